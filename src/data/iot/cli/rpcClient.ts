import { signEip1559Transaction } from '../../../chain/eip1559Transaction.js'
import { privateKeyToAddress } from '../../../crypto/secp256k1.js'
import { bytesToHex, hexToBytes, type Hex } from '../../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../../primitives/errors.js'
import { decodeRevertReason } from '../../verify/registryAbi.js'

/** A plain fetch JSON-RPC client for the `stele iot` commands: eth_call, signed transactions, receipts. */
export interface RpcClient {
  readonly url: string
  request<T = unknown>(method: string, params?: unknown[]): Promise<T>
  /** eth_call against the latest block; throws EXECUTION_REVERTED with the reason. */
  call(to: Uint8Array, data: Uint8Array): Promise<Uint8Array>
}

export function createRpcClient(url: string, options: { timeoutMs?: number } = {}): RpcClient {
  let id = 0
  const timeoutMs = options.timeoutMs ?? 30_000
  const request = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    let response: Response
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (cause) {
      throw new SteleError(ErrorCode.Network, `cannot reach ${url}: ${(cause as Error).message}`, { cause })
    }
    const body = (await response.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } }
    if (body.error) {
      const reason = typeof body.error.data === 'string' && body.error.data.startsWith('0x') ? decodeRevertReason(hexToBytes(body.error.data)) : undefined
      const code = body.error.code === 3 || /revert/i.test(body.error.message) ? ErrorCode.ExecutionReverted : ErrorCode.InvalidInput
      throw new SteleError(code, `${method}: ${reason ?? body.error.message}`, { details: { rpcCode: body.error.code } })
    }
    return body.result as T
  }
  return {
    url,
    request,
    async call(to, data) {
      return hexToBytes(await request<Hex>('eth_call', [{ to: bytesToHex(to), data: bytesToHex(data) }, 'latest']))
    },
  }
}

export interface SentTx {
  hash: Hex
  blockNumber: bigint
  status: 0 | 1
}

/**
 * A sender for one account: keeps its own nonce so many transactions can be in flight, signs EIP-1559
 * transactions natively, and waits for receipts with a bound.
 */
export interface TxSender {
  readonly address: Uint8Array
  send(to: Uint8Array, data: Uint8Array, gas?: bigint): Promise<Hex>
  waitForReceipt(hash: Hex, timeoutMs?: number): Promise<SentTx>
  /** send, then wait; throws EXECUTION_REVERTED with the revert reason when the transaction fails. */
  sendAndWait(to: Uint8Array, data: Uint8Array, gas?: bigint): Promise<SentTx>
}

export async function createTxSender(rpc: RpcClient, privateKey: Uint8Array): Promise<TxSender> {
  const address = privateKeyToAddress(privateKey)
  const chainId = BigInt(await rpc.request<Hex>('eth_chainId'))
  let nonce = BigInt(await rpc.request<Hex>('eth_getTransactionCount', [bytesToHex(address), 'pending']))
  const gasPrice = BigInt(await rpc.request<Hex>('eth_gasPrice'))
  // Twice the current price leaves room for base-fee growth while a batch is pending.
  const maxFeePerGas = gasPrice * 2n
  const maxPriorityFeePerGas = 0n

  const sender: TxSender = {
    address,
    async send(to, data, gas = 1_000_000n) {
      const raw = bytesToHex(signEip1559Transaction({ chainId, nonce: nonce++, maxPriorityFeePerGas, maxFeePerGas, gas, to, value: 0n, data }, privateKey).raw)
      return rpc.request<Hex>('eth_sendRawTransaction', [raw])
    },
    async waitForReceipt(hash, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const receipt = await rpc.request<{ blockNumber: Hex; status: Hex } | null>('eth_getTransactionReceipt', [hash])
        if (receipt) return { hash, blockNumber: BigInt(receipt.blockNumber), status: receipt.status === '0x1' ? 1 : 0 }
        if (Date.now() > deadline) throw new SteleError(ErrorCode.Network, `transaction ${hash} not mined within ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    async sendAndWait(to, data, gas) {
      // A dry run first gives the revert reason, which a mined failed transaction does not carry.
      await rpc.request('eth_call', [{ from: bytesToHex(address), to: bytesToHex(to), data: bytesToHex(data) }, 'latest'])
      const sent = await sender.waitForReceipt(await sender.send(to, data, gas))
      if (sent.status !== 1) throw new SteleError(ErrorCode.ExecutionReverted, `transaction ${sent.hash} failed`)
      return sent
    },
  }
  return sender
}

