import type { RpcMethod } from '../../context.js'
import { expectParams, parseHash } from '../../params.js'

/** eth_getUncleCountByBlockHash: QBFT has no uncles, so 0x0 for a known block, null otherwise. */
export const getUncleCountByBlockHash: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  return backend.blockByHash(parseHash(params[0], 0)) === undefined ? null : '0x0'
}
