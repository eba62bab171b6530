import type { RpcMethod } from '../../context.js'
import { blockAt } from '../../blocks.js'
import { expectParams, parseBlockTag, parseHash, parseQuantity } from '../../params.js'

/** QBFT has no uncles: counts are 0x0 for known blocks (null otherwise), uncle getters are always null. */

export const getUncleCountByBlockNumber: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  return blockAt(backend, parseBlockTag(params[0], 0)) === undefined ? null : '0x0'
}

export const getUncleCountByBlockHash: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  return backend.blockByHash(parseHash(params[0], 0)) === undefined ? null : '0x0'
}

export const getUncleByBlockNumberAndIndex: RpcMethod = (params) => {
  expectParams(params, 2)
  parseBlockTag(params[0], 0)
  parseQuantity(params[1], 1, 'index')
  return null
}

export const getUncleByBlockHashAndIndex: RpcMethod = (params) => {
  expectParams(params, 2)
  parseHash(params[0], 0)
  parseQuantity(params[1], 1, 'index')
  return null
}
