import type { RpcMethod } from '../../context.js'
import { toQuantity } from '../../hex.js'
import { expectParams } from '../../params.js'

/** eth_maxPriorityFeePerGas: suggested tip. */
export const maxPriorityFeePerGas: RpcMethod = (params, { backend }) => {
  expectParams(params, 0)
  return toQuantity(backend.maxPriorityFeePerGas())
}
