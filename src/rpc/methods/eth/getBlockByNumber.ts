import type { RpcMethod } from '../../context.js'
import { blockAt } from '../../blocks.js'
import { formatBlockResult } from '../../blockTransactions.js'
import { expectParams, parseBlockTag, parseBoolean } from '../../params.js'

/** eth_getBlockByNumber(tag, fullTransactions): null for an unknown block. */
export const getBlockByNumber: RpcMethod = (params, { backend }) => {
  expectParams(params, 1, 2)
  const ref = parseBlockTag(params[0], 0)
  const full = params[1] === undefined ? false : parseBoolean(params[1], 1)
  const block = blockAt(backend, ref)
  if (block === undefined) return null
  return formatBlockResult(backend, block, full)
}
