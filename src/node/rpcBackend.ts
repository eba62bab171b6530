import type { Block, SignedTx, TxReceipt } from '../chain/types.js'
import { QBFT_MIX_HASH } from '../chain/header.js'
import { callOnState, estimateGasOnState } from '../execution/call.js'
import { nextBaseFee, type BlockEnv } from '../execution/blockExecution.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { RpcBackend, StateView } from '../rpc/backend.js'
import { stateNotAvailable } from '../rpc/blocks.js'
import type { Ledger } from './ledger.js'

export interface RpcBackendDeps {
  ledger: Ledger
  clientVersion: string
  pendingNonce(address: Uint8Array): Promise<bigint> | bigint
  submit(raw: Uint8Array): Promise<Uint8Array>
  pooled(hash: Uint8Array): SignedTx | undefined
  onNewBlock(listener: (block: Block, receipts: TxReceipt[]) => void): () => void
  onPendingTransaction(listener: (hash: Uint8Array) => void): () => void
  extraMethods?: () => Record<string, (params: unknown[]) => unknown | Promise<unknown>>
}

/** Implements what RPC needs on top of the ledger and pool. */
export function createRpcBackend(deps: RpcBackendDeps): RpcBackend {
  const { ledger } = deps
  const { blocks, state, common } = ledger

  function envAt(number: bigint): { env: BlockEnv; root: Uint8Array } | undefined {
    const block = blocks.blockByNumber(number)
    if (!block) return undefined
    const h = block.header
    // Calls run in the context of the block after `number`, as geth does for "latest".
    return {
      root: h.stateRoot,
      env: { number: h.number + 1n, timestamp: h.timestamp, gasLimit: h.gasLimit, baseFeePerGas: nextBaseFee(h), coinbase: h.coinbase, mixHash: QBFT_MIX_HASH },
    }
  }

  function requireEnv(number: bigint) {
    const at = envAt(number)
    if (!at) throw new SteleError(ErrorCode.NotFound, 'header not found')
    if (state.reader(at.root) === undefined) throw stateNotAvailable(number)
    return at
  }

  const backend: RpcBackend = {
    chainId: common.chainId(),
    clientVersion: deps.clientVersion,
    headNumber: () => blocks.headNumber(),
    blockByNumber: (n) => blocks.blockByNumber(n),
    blockByHash: (h) => blocks.blockByHash(h),
    blockTransactions: (block) => ledger.decodeTransactions(block, blocks.senders(block.header.number)),
    transaction(hash) {
      const location = blocks.txLocation(hash)
      if (location) {
        const block = blocks.blockByNumber(location.blockNumber)
        if (!block) return undefined
        const [tx] = ledger.decodeTransactions({ ...block, transactions: [block.transactions[location.index] as Uint8Array] }, [blocks.senders(location.blockNumber)[location.index] as Uint8Array])
        return tx ? { tx, location } : undefined
      }
      const pooled = deps.pooled(hash)
      return pooled ? { tx: pooled, location: undefined } : undefined
    },
    receipt(txHash) {
      const location = blocks.txLocation(txHash)
      return location ? blocks.receipts(location.blockNumber)[location.index] : undefined
    },
    blockReceipts(blockHash) {
      const number = blocks.numberOf(blockHash)
      return number === undefined ? undefined : blocks.receipts(number)
    },
    logs: (filter) => blocks.logs(filter),
    stateAt(number): StateView | undefined {
      const block = blocks.blockByNumber(number)
      const reader = block && state.reader(block.header.stateRoot)
      if (!reader) return undefined
      return {
        balance: async (a) => (await reader.account(a))?.balance ?? 0n,
        nonce: async (a) => (await reader.account(a))?.nonce ?? 0n,
        code: (a) => reader.code(a),
        storage: (a, slot) => reader.storage(a, slot),
        proof: (a, slots) => reader.proof(a, slots),
      }
    },
    pendingNonce: (address) => deps.pendingNonce(address),
    sendRawTransaction: (raw) => deps.submit(raw),
    async call(request, number, overrides) {
      const { env, root } = requireEnv(number)
      return callOnState(common, state.overlay(root), env, request, overrides)
    },
    async estimateGas(request, number, overrides) {
      const { env, root } = requireEnv(number)
      return estimateGasOnState(common, () => state.overlay(root), env, request, overrides)
    },
    gasPrice() {
      const head = blocks.head().header
      return nextBaseFee(head) + backend.maxPriorityFeePerGas()
    },
    maxPriorityFeePerGas: () => (blocks.head().header.baseFeePerGas === 0n ? 0n : 1_000_000_000n),
    onNewBlock: deps.onNewBlock,
    onPendingTransaction: deps.onPendingTransaction,
    ...(deps.extraMethods ? { extraMethods: deps.extraMethods } : {}),
  }
  return backend
}

