import type { RpcMethod } from '../../context.js'
import { toQuantity } from '../../hex.js'
import { expectParams, parseHash } from '../../params.js'

/** eth_getBlockTransactionCountByHash: null for an unknown block. */
export const getBlockTransactionCountByHash: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  const block = backend.blockByHash(parseHash(params[0], 0))
  return block === undefined ? null : toQuantity(block.transactions.length)
}
