import type { Block } from '../chain/types.js'
import type { RpcBackend } from './backend.js'
import { formatTransaction } from './format.js'

/** The formatted transaction at `index` of `block`, or null (eth_getTransactionByBlock*AndIndex). */
export function transactionInBlock(backend: RpcBackend, block: Block | undefined, index: bigint): unknown {
  if (block === undefined || index >= BigInt(block.transactions.length)) return null
  const tx = backend.blockTransactions(block)[Number(index)]
  if (tx === undefined) return null
  return formatTransaction(tx, { blockHash: block.hash, blockNumber: block.header.number, index: Number(index) }, block.header.baseFeePerGas)
}
