import type { Block, TxReceipt } from '../chain/types.js'
import { keccak256 } from '../crypto/keccak.js'
import type { RpcBackend } from './backend.js'
import { formatBlock, formatTransaction } from './format.js'
import { toHex } from './hex.js'
import { formatLocation, formatRawInBlock, formatRawTransaction } from './rawTransaction.js'
import type { HexString, RpcBlock, RpcTransaction } from './rpcTypes.js'

/**
 * A block's transactions for RPC answers, from what the store already holds: each receipt carries its
 * transaction's hash and sender, so nothing is re-hashed, re-recovered or decoded through @ethereumjs.
 * The slower path (keccak of each transaction, backend.blockTransactions) remains for a block whose
 * receipts are not available.
 */

/** eth_getBlockBy{Number,Hash}: the block with transaction hashes, or full transactions. */
export function formatBlockResult(backend: RpcBackend, block: Block, fullTransactions: boolean): RpcBlock {
  return formatBlock(block, fullTransactions ? formatBlockTransactions(backend, block) : blockTransactionHashes(backend, block))
}

export function blockTransactionHashes(backend: RpcBackend, block: Block): HexString[] {
  const receipts = receiptsOf(backend, block)
  if (receipts !== undefined) return receipts.map((r) => toHex(r.transactionHash))
  return block.transactions.map((raw) => toHex(keccak256(raw)))
}

export function formatBlockTransactions(backend: RpcBackend, block: Block): RpcTransaction[] {
  const receipts = receiptsOf(backend, block)
  const blockNumber = block.header.number
  const baseFee = block.header.baseFeePerGas
  if (receipts !== undefined) {
    const location = formatLocation(block.hash, blockNumber)
    try {
      return receipts.map((r, index) => formatRawInBlock(block.transactions[index] as Uint8Array, r.transactionHash, r.from, location, index, baseFee))
    } catch {
      // A transaction type the raw formatter does not know: @ethereumjs decodes it below.
    }
  }
  return backend.blockTransactions(block).map((tx, index) => formatTransaction(tx, { blockHash: block.hash, blockNumber, index }, baseFee))
}

/** The formatted transaction at `index` of `block`, or null (eth_getTransactionByBlock*AndIndex). */
export function formatTransactionInBlock(backend: RpcBackend, block: Block, index: number): RpcTransaction | null {
  const raw = block.transactions[index]
  if (raw === undefined) return null
  const location = { blockHash: block.hash, blockNumber: block.header.number, index }
  const receipt = receiptsOf(backend, block)?.[index]
  if (receipt !== undefined) {
    try {
      return formatRawTransaction(raw, receipt.transactionHash, receipt.from, location, block.header.baseFeePerGas)
    } catch {
      // Unknown type: the @ethereumjs path below.
    }
  }
  const tx = backend.blockTransactions(block)[index]
  return tx === undefined ? null : formatTransaction(tx, location, block.header.baseFeePerGas)
}

/** The block's receipts when they line up with its transactions (they always do for stored blocks). */
function receiptsOf(backend: RpcBackend, block: Block): TxReceipt[] | undefined {
  if (block.transactions.length === 0) return []
  const receipts = backend.blockReceipts(block.hash)
  return receipts !== undefined && receipts.length === block.transactions.length ? receipts : undefined
}
