import type { BlockHeader } from '../chain/header.js'
import type { Block, LogEntry, LogFilter, SignedTx, TxLocation, TxReceipt } from '../chain/types.js'

/**
 * What the RPC layer needs from the node. The node's composition root implements it; RPC tests use a fake.
 * Block numbers are resolved by RPC from tags ('latest', 'pending', 'safe', 'finalized' = head; 'earliest' = 0).
 */
export interface RpcBackend {
  readonly chainId: bigint
  readonly clientVersion: string

  headNumber(): bigint
  blockByNumber(number: bigint): Block | undefined
  blockByHash(hash: Uint8Array): Block | undefined
  /** The block's transactions with recovered senders. */
  blockTransactions(block: Block): SignedTx[]
  transaction(hash: Uint8Array): { tx: SignedTx; location: TxLocation | undefined } | undefined
  receipt(txHash: Uint8Array): TxReceipt | undefined
  blockReceipts(blockHash: Uint8Array): TxReceipt[] | undefined
  logs(filter: LogFilter): LogEntry[]

  /** State reads at a committed block. Undefined when that block's state is not available. */
  stateAt(blockNumber: bigint): StateView | undefined
  /** The pending nonce of an address (the pool's next nonce, or the state nonce). */
  pendingNonce(address: Uint8Array): bigint | Promise<bigint>

  /** Decodes, validates and admits a raw transaction. Throws SteleError with a tx error code. */
  sendRawTransaction(raw: Uint8Array): Promise<Uint8Array>
  /** Executes a call on top of a block's state and throws EXECUTION_REVERTED with data on revert. */
  call(request: CallRequest, blockNumber: bigint, overrides?: StateOverrides): Promise<CallResult>
  estimateGas(request: CallRequest, blockNumber: bigint, overrides?: StateOverrides): Promise<bigint>

  /** Suggested fees. */
  gasPrice(): bigint
  maxPriorityFeePerGas(): bigint

  /** Subscriptions: each returns an unsubscribe function. */
  onNewBlock(listener: (block: Block, receipts: TxReceipt[]) => void): () => void
  onPendingTransaction(listener: (hash: Uint8Array) => void): () => void

  /** Connected peers (net_peerCount); 0 when absent. */
  peerCount?(): number
  /** Sync progress while catching up (eth_syncing); undefined or absent when in sync. */
  syncStatus?(): { startingBlock: bigint; currentBlock: bigint; highestBlock: bigint } | undefined
  /** The base fee of the block after `parent` (eth_feeHistory); absent means EIP-1559's formula. */
  nextBaseFee?(parent: BlockHeader): bigint

  /**
   * Extra namespaces (qbft_*, stele_*, admin_*) register their methods here; may be empty. They throw
   * SteleError like everything else; `details.rpcCode` (a number) picks a JSON-RPC code explicitly.
   */
  extraMethods?(): Record<string, (params: unknown[]) => unknown | Promise<unknown>>
}

export interface StateView {
  balance(address: Uint8Array): Promise<bigint>
  nonce(address: Uint8Array): Promise<bigint>
  code(address: Uint8Array): Promise<Uint8Array>
  storage(address: Uint8Array, slot: Uint8Array): Promise<Uint8Array>
  /** EIP-1186 proof. */
  proof(address: Uint8Array, slots: Uint8Array[]): Promise<AccountProof>
}

export interface AccountProof {
  address: Uint8Array
  balance: bigint
  nonce: bigint
  codeHash: Uint8Array
  storageHash: Uint8Array
  accountProof: Uint8Array[]
  storageProof: { key: Uint8Array; value: bigint; proof: Uint8Array[] }[]
}

export interface CallRequest {
  from?: Uint8Array
  to?: Uint8Array
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  data?: Uint8Array
  nonce?: bigint
  accessList?: { address: Uint8Array; storageKeys: Uint8Array[] }[]
}

export interface CallResult {
  returnData: Uint8Array
  gasUsed: bigint
}

export type StateOverrides = Map<
  string /* lowercase 0x address */,
  { balance?: bigint; nonce?: bigint; code?: Uint8Array; state?: Map<string, Uint8Array>; stateDiff?: Map<string, Uint8Array> }
>
