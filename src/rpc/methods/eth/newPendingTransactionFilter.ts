import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'

/** eth_newPendingTransactionFilter: polls return hashes of newly admitted transactions. */
export const newPendingTransactionFilter: RpcMethod = (params, { filters }) => {
  expectParams(params, 0, 1)
  return filters.newPendingTransactionFilter()
}
