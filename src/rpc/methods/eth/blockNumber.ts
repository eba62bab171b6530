import type { RpcMethod } from '../../context.js'
import { toQuantity } from '../../hex.js'
import { expectParams } from '../../params.js'

/** eth_blockNumber: the head. */
export const blockNumber: RpcMethod = (params, { backend }) => {
  expectParams(params, 0)
  return toQuantity(backend.headNumber())
}
