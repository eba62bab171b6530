import type { RpcMethod } from '../../context.js'
import { blockAt } from '../../blocks.js'
import { expectParams, parseBlockTag } from '../../params.js'

/** eth_getUncleCountByBlockNumber: QBFT has no uncles, so 0x0 for a known block, null otherwise. */
export const getUncleCountByBlockNumber: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  return blockAt(backend, parseBlockTag(params[0], 0)) === undefined ? null : '0x0'
}
