import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'
import { filterId } from './getFilterChanges.js'

/** eth_getFilterLogs(id): every log matching a log filter's criteria. */
export const getFilterLogs: RpcMethod = (params, { filters }) => {
  expectParams(params, 1)
  return filters.logs(filterId(params[0]))
}
