import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'

/** eth_newBlockFilter: polls return new block hashes. */
export const newBlockFilter: RpcMethod = (params, { filters }) => {
  expectParams(params, 0)
  return filters.newBlockFilter()
}
