import type { RpcMethod } from '../../context.js'
import { parseLogCriteria } from '../../logFilter.js'
import { expectParams } from '../../params.js'

/** eth_newFilter(criteria): a log filter polled with eth_getFilterChanges. */
export const newFilter: RpcMethod = (params, { filters }) => {
  expectParams(params, 1)
  return filters.newLogFilter(parseLogCriteria(params[0], 0))
}
