import type { RpcMethod } from '../../context.js'
import { stateAt } from '../../blocks.js'
import { toQuantity } from '../../hex.js'
import { expectParams, parseAddress, parseBlockRef } from '../../params.js'

/** eth_getTransactionCount(address, block = latest): 'pending' counts the pool's queued nonces too. */
export const getTransactionCount: RpcMethod = async (params, { backend }) => {
  expectParams(params, 1, 2)
  const address = parseAddress(params[0], 0)
  if (params[1] === 'pending') return toQuantity(await backend.pendingNonce(address))
  const state = stateAt(backend, parseBlockRef(params[1], 1))
  return toQuantity(await state.nonce(address))
}
