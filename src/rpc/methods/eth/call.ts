import type { RpcMethod } from '../../context.js'
import { stateBlockNumber } from '../../blocks.js'
import { toHex } from '../../hex.js'
import { expectParams, parseBlockRef, parseCallRequest, parseStateOverrides } from '../../params.js'

/** eth_call(tx, block = latest, stateOverrides?): a revert becomes code 3 with the revert data. */
export const call: RpcMethod = async (params, { backend }) => {
  expectParams(params, 1, 3)
  const request = parseCallRequest(params[0], 0)
  const blockNumber = stateBlockNumber(backend, parseBlockRef(params[1], 1))
  const overrides = parseStateOverrides(params[2], 2)
  const result = await backend.call(request, blockNumber, overrides)
  return toHex(result.returnData)
}
