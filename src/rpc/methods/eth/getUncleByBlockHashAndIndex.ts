import type { RpcMethod } from '../../context.js'
import { expectParams, parseHash, parseQuantity } from '../../params.js'

/** eth_getUncleByBlockHashAndIndex: always null (QBFT has no uncles); params are still validated. */
export const getUncleByBlockHashAndIndex: RpcMethod = (params) => {
  expectParams(params, 2)
  parseHash(params[0], 0)
  parseQuantity(params[1], 1, 'index')
  return null
}
