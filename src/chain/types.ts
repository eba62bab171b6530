import type { TypedTransaction } from '@ethereumjs/tx'
import type { BlockHeader } from './header.js'

/** The hub of chain data types shared by execution, storage, RPC, p2p and proofs. */

export interface Log {
  address: Uint8Array
  topics: Uint8Array[]
  data: Uint8Array
}

/** A receipt as consensus commits it (its RLP is what receiptsRoot covers). */
export interface ConsensusReceipt {
  /** EIP-2718 type: 0 legacy, 1 access list, 2 dynamic fee. */
  type: number
  status: 0 | 1
  cumulativeGasUsed: bigint
  logsBloom: Uint8Array
  logs: Log[]
}

/** A receipt with the context RPC serves (eth_getTransactionReceipt). */
export interface TxReceipt extends ConsensusReceipt {
  transactionHash: Uint8Array
  transactionIndex: number
  blockHash: Uint8Array
  blockNumber: bigint
  from: Uint8Array
  to: Uint8Array | undefined
  contractAddress: Uint8Array | undefined
  gasUsed: bigint
  effectiveGasPrice: bigint
}

/** A sealed block. `transactions` are EIP-2718 serialized; `hash` is blockHash(header). */
export interface Block {
  header: BlockHeader
  hash: Uint8Array
  transactions: Uint8Array[]
  /** Hashes notarized in this block; their Merkle root is header.extraData.vanity (docs/spec/data.md). */
  anchors: Uint8Array[]
}

/** A transaction with its sender already recovered (recovered once, at pool admission or block decode). */
export interface SignedTx {
  tx: TypedTransaction
  hash: Uint8Array
  from: Uint8Array
  serialized: Uint8Array
}

export interface TxLocation {
  blockHash: Uint8Array
  blockNumber: bigint
  index: number
}

export interface LogFilter {
  fromBlock: bigint
  toBlock: bigint
  /** Any of these addresses; empty means any. */
  addresses: Uint8Array[]
  /** Per position: null for any, or any of the listed topics. */
  topics: (Uint8Array[] | null)[]
}

export interface LogEntry extends Log {
  blockNumber: bigint
  blockHash: Uint8Array
  transactionHash: Uint8Array
  transactionIndex: number
  logIndex: number
}

export interface Account {
  nonce: bigint
  balance: bigint
  storageRoot: Uint8Array
  codeHash: Uint8Array
}
