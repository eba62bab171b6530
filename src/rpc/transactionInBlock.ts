import type { Block } from '../chain/types.js'
import type { RpcBackend } from './backend.js'
import { formatTransactionInBlock } from './blockTransactions.js'

/** The formatted transaction at `index` of `block`, or null (eth_getTransactionByBlock*AndIndex). */
export function transactionInBlock(backend: RpcBackend, block: Block | undefined, index: bigint): unknown {
  if (block === undefined || index >= BigInt(block.transactions.length)) return null
  return formatTransactionInBlock(backend, block, Number(index))
}
