import type { RpcMethod } from '../../context.js'
import { toQuantity } from '../../hex.js'
import { expectParams } from '../../params.js'

/** eth_chainId (EIP-695). */
export const chainId: RpcMethod = (params, { backend }) => {
  expectParams(params, 0)
  return toQuantity(backend.chainId)
}
