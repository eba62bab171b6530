import type { RpcMethod } from '../../context.js'
import { toQuantity } from '../../hex.js'
import { expectParams } from '../../params.js'

/** net_peerCount: connected peers, as a quantity. */
export const peerCount: RpcMethod = (params, { backend }) => {
  expectParams(params, 0)
  return toQuantity(backend.peerCount?.() ?? 0)
}
