import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'

/** eth_accounts: the node holds no user keys. */
export const accounts: RpcMethod = (params) => {
  expectParams(params, 0)
  return []
}
