import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'

/** eth_getFilterChanges(id): what happened since the last poll, each item once. */
export const getFilterChanges: RpcMethod = (params, { filters }) => {
  expectParams(params, 1)
  return filters.changes(filterId(params[0]))
}

export function filterId(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : String(value)
}
