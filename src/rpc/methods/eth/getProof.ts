import type { RpcMethod } from '../../context.js'
import { stateAt } from '../../blocks.js'
import { formatProof } from '../../format.js'
import { expectParams, invalidParams, parseAddress, parseBlockRef, parseSlot } from '../../params.js'

/** eth_getProof(address, storageKeys, block) (EIP-1186). */
export const getProof: RpcMethod = async (params, { backend }) => {
  expectParams(params, 2, 3)
  const address = parseAddress(params[0], 0)
  const keys = params[1]
  if (!Array.isArray(keys)) throw invalidParams('invalid argument 1: storage keys must be an array')
  const slots = keys.map((key: unknown) => parseSlot(key, 1))
  const state = stateAt(backend, parseBlockRef(params[2], 2))
  return formatProof(await state.proof(address, slots))
}
