import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'
import { filterId } from './getFilterChanges.js'

/** eth_uninstallFilter(id): true when the filter existed. */
export const uninstallFilter: RpcMethod = (params, { filters }) => {
  expectParams(params, 1)
  return filters.uninstall(filterId(params[0]))
}
