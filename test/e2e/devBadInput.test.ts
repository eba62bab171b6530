import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startNode, type SteleNode } from '../../src/node/node.js'
import { devGenesis } from '../../src/cli/dev/devCommand.js'
import { deriveDevKeys } from '../../src/crypto/hdKeys.js'
import { privateKeyToAddress } from '../../src/crypto/secp256k1.js'
import { bytesToHex } from '../../src/primitives/bytes.js'
import { silentLogger } from '../../src/primitives/logger.js'
import { compileErc20 } from '../fixtures/compile.js'
import { signEip1559Tx } from '../fixtures/rawTx.js'
import { rpc, waitUntil } from './processHarness.js'

// Every error of the single-node issue, against a real dev node: the JSON-RPC code and geth's message,
// and the node keeps running afterwards.
let node: SteleNode
let url: string
const [rich, poor, other] = deriveDevKeys(3)
const fees = { chainId: 1337n, maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }

before(async () => {
  const nodeKey = deriveDevKeys(4)[3]!.privateKey
  const genesis = devGenesis({ chainId: 1337n, validator: privateKeyToAddress(nodeKey), funded: [rich!.address], balanceWei: 10n ** 22n, gasLimit: 100_000_000n, baseFee: 1_000_000_000n })
  node = await startNode({ genesis, nodeKey, dataDir: undefined, rpc: { host: '127.0.0.1', port: 0 }, clientVersion: 'stele/test', logger: silentLogger })
  url = node.rpc.url
})
after(async () => node?.stop())

async function raw(body: string): Promise<{ status: number; json: { error?: { code: number; message: string; data?: string } } & Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: response.status, json: (await response.json()) as never }
}

async function rpcError(method: string, params: unknown[]): Promise<{ code: number; message: string; data?: string }> {
  const { json } = await raw(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))
  assert.ok(json.error, `${method} should fail`)
  return json.error
}

const transfer = (nonce: bigint, overrides: Partial<Parameters<typeof signEip1559Tx>[0]> = {}, key = rich!.privateKey) =>
  signEip1559Tx({ ...fees, nonce, gas: 21_000n, to: other!.address, value: 1n, data: new Uint8Array(), ...overrides }, key)

test('parse error, invalid request, method not found, invalid params', async () => {
  assert.equal((await raw('{"jsonrpc":"2.0","id":1,"method":')).json.error?.code, -32700)
  assert.equal((await raw('{"jsonrpc":"2.0","id":1}')).json.error?.code, -32600)
  assert.equal((await rpcError('eth_doesNotExist', [])).code, -32601)
  assert.equal((await rpcError('eth_getBalance', ['0x1234', 'latest'])).code, -32602)
})

test('a request body over the limit is refused', async () => {
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: ['x'.repeat(6 * 1024 * 1024)] })
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }).catch(() => undefined)
  assert.ok(response === undefined || response.status === 413)
})

test('transaction errors carry geth codes and messages', async () => {
  const first = transfer(0n)
  await rpc(url, 'eth_sendRawTransaction', [first.raw])
  await waitUntil('first transfer mined', () => rpc<{ status: string } | null>(url, 'eth_getTransactionReceipt', [first.hash]).then((r) => r ?? undefined))

  const low = await rpcError('eth_sendRawTransaction', [transfer(0n).raw])
  assert.equal(low.code, -32000)
  assert.match(low.message, /^nonce too low: address 0x[0-9a-fA-F]{40}, tx: 0 state: 1$/)

  const broke = await rpcError('eth_sendRawTransaction', [transfer(0n, {}, poor!.privateKey).raw])
  assert.match(broke.message, /^insufficient funds for gas \* price \+ value/)

  const cheap = await rpcError('eth_sendRawTransaction', [transfer(1n, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }).raw])
  assert.match(cheap.message, /^max fee per gas less than block base fee/)

  const wrongChain = await rpcError('eth_sendRawTransaction', [transfer(1n, { chainId: 999n }).raw])
  assert.match(wrongChain.message, /invalid chain id/)

  const badSig = transfer(1n).raw
  const corrupted = `${badSig.slice(0, -64)}${'f'.repeat(64)}`
  assert.match((await rpcError('eth_sendRawTransaction', [corrupted])).message, /invalid sender|invalid/)

  const oversized = await rpcError('eth_sendRawTransaction', [transfer(1n, { gas: 30_000_000n, data: new Uint8Array(130 * 1024) }).raw])
  assert.match(oversized.message, /^oversized data/)

  const intrinsic = await rpcError('eth_sendRawTransaction', [transfer(1n, { gas: 20_000n }).raw])
  assert.match(intrinsic.message, /^intrinsic gas too low/)

  // A nonce gap is queued, not rejected: the hash comes back, and nothing is mined until the gap fills.
  const gapped = transfer(3n)
  assert.equal(await rpc(url, 'eth_sendRawTransaction', [gapped.raw]), gapped.hash)
  assert.equal(await rpc(url, 'eth_getTransactionReceipt', [gapped.hash]), null)
  for (const n of [1n, 2n]) await rpc(url, 'eth_sendRawTransaction', [transfer(n).raw])
  await waitUntil('the gap filled and the queued transaction mined', () => rpc<{ status: string } | null>(url, 'eth_getTransactionReceipt', [gapped.hash]).then((r) => r ?? undefined))
})

test('a revert returns code 3 with the revert data', async () => {
  const erc20 = compileErc20()
  const ctor = (s: string) => s.padStart(64, '0')
  const args = ctor('60') + ctor('a0') + ctor('3e8') + ctor('1') + '54'.padEnd(64, '0') + ctor('1') + '54'.padEnd(64, '0')
  const deploy = signEip1559Tx({ ...fees, nonce: 4n, gas: 3_000_000n, to: undefined, value: 0n, data: Buffer.from(erc20.bytecode.slice(2) + args, 'hex') }, rich!.privateKey)
  await rpc(url, 'eth_sendRawTransaction', [deploy.raw])
  const receipt = await waitUntil('deploy', () => rpc<{ contractAddress: string } | null>(url, 'eth_getTransactionReceipt', [deploy.hash]).then((r) => r ?? undefined))
  // transfer(address,uint256) from an account without tokens.
  const data = `0xa9059cbb${bytesToHex(other!.address).slice(2).padStart(64, '0')}${'1'.padStart(64, '0')}`
  const error = await rpcError('eth_call', [{ from: bytesToHex(poor!.address), to: receipt.contractAddress, data }, 'latest'])
  assert.equal(error.code, 3)
  assert.equal(error.message, 'execution reverted: ERC20: insufficient balance')
  assert.match(error.data ?? '', /^0x08c379a0/)
  assert.ok(BigInt(await rpc<string>(url, 'eth_blockNumber')) > 0n, 'the node keeps running')
})
