import type { RpcMethod } from '../../context.js'
import { transactionInBlock } from '../../transactionInBlock.js'
import { expectParams, parseHash, parseQuantity } from '../../params.js'

/** eth_getTransactionByBlockHashAndIndex: null when the block or index does not exist. */
export const getTransactionByBlockHashAndIndex: RpcMethod = (params, { backend }) => {
  expectParams(params, 2)
  const block = backend.blockByHash(parseHash(params[0], 0))
  return transactionInBlock(backend, block, parseQuantity(params[1], 1, 'index'))
}
