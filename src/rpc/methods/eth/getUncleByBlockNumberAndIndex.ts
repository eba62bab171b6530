import type { RpcMethod } from '../../context.js'
import { expectParams, parseBlockTag, parseQuantity } from '../../params.js'

/** eth_getUncleByBlockNumberAndIndex: always null (QBFT has no uncles); params are still validated. */
export const getUncleByBlockNumberAndIndex: RpcMethod = (params) => {
  expectParams(params, 2)
  parseBlockTag(params[0], 0)
  parseQuantity(params[1], 1, 'index')
  return null
}
