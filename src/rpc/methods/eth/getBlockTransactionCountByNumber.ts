import type { RpcMethod } from '../../context.js'
import { blockAt } from '../../blocks.js'
import { toQuantity } from '../../hex.js'
import { expectParams, parseBlockTag } from '../../params.js'

/** eth_getBlockTransactionCountByNumber: null for an unknown block. */
export const getBlockTransactionCountByNumber: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  const block = blockAt(backend, parseBlockTag(params[0], 0))
  return block === undefined ? null : toQuantity(block.transactions.length)
}
