import type { RpcMethod } from '../../context.js'
import { toQuantity } from '../../hex.js'
import { expectParams } from '../../params.js'

/** eth_gasPrice: suggested legacy gas price. */
export const gasPrice: RpcMethod = (params, { backend }) => {
  expectParams(params, 0)
  return toQuantity(backend.gasPrice())
}
