import type { RpcMethod } from '../../context.js'
import { formatBlockResult } from '../../blockTransactions.js'
import { expectParams, parseBoolean, parseHash } from '../../params.js'

/** eth_getBlockByHash(hash, fullTransactions): null for an unknown block. */
export const getBlockByHash: RpcMethod = (params, { backend }) => {
  expectParams(params, 1, 2)
  const hash = parseHash(params[0], 0)
  const full = params[1] === undefined ? false : parseBoolean(params[1], 1)
  const block = backend.blockByHash(hash)
  if (block === undefined) return null
  return formatBlockResult(backend, block, full)
}
