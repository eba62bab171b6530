import type { RpcMethod } from '../../context.js'
import { blockAt } from '../../blocks.js'
import { transactionInBlock } from '../../transactionInBlock.js'
import { expectParams, parseBlockTag, parseQuantity } from '../../params.js'

/** eth_getTransactionByBlockNumberAndIndex: null when the block or index does not exist. */
export const getTransactionByBlockNumberAndIndex: RpcMethod = (params, { backend }) => {
  expectParams(params, 2)
  const block = blockAt(backend, parseBlockTag(params[0], 0))
  return transactionInBlock(backend, block, parseQuantity(params[1], 1, 'index'))
}
