import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'

/** net_version: the chain id in decimal, as geth answers it. */
export const version: RpcMethod = (params, { backend }) => {
  expectParams(params, 0)
  return backend.chainId.toString(10)
}
