import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'

/** net_listening: always true while the server answers. */
export const listening: RpcMethod = (params) => {
  expectParams(params, 0)
  return true
}
