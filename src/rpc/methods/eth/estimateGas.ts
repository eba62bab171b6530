import type { RpcMethod } from '../../context.js'
import { stateBlockNumber } from '../../blocks.js'
import { toQuantity } from '../../hex.js'
import { expectParams, parseBlockRef, parseCallRequest, parseStateOverrides } from '../../params.js'

/** eth_estimateGas(tx, block = latest, stateOverrides?). */
export const estimateGas: RpcMethod = async (params, { backend }) => {
  expectParams(params, 1, 3)
  const request = parseCallRequest(params[0], 0)
  const blockNumber = stateBlockNumber(backend, parseBlockRef(params[1], 1))
  const overrides = parseStateOverrides(params[2], 2)
  return toQuantity(await backend.estimateGas(request, blockNumber, overrides))
}
