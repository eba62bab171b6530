import type { RpcMethod } from '../../context.js'
import { stateAt } from '../../blocks.js'
import { toQuantity } from '../../hex.js'
import { expectParams, parseAddress, parseBlockRef } from '../../params.js'

/** eth_getBalance(address, block = latest). */
export const getBalance: RpcMethod = async (params, { backend }) => {
  expectParams(params, 1, 2)
  const address = parseAddress(params[0], 0)
  const state = stateAt(backend, parseBlockRef(params[1], 1))
  return toQuantity(await state.balance(address))
}
