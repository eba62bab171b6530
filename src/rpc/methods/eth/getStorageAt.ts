import type { RpcMethod } from '../../context.js'
import { stateAt } from '../../blocks.js'
import { toWord } from '../../hex.js'
import { expectParams, parseAddress, parseBlockRef, parseSlot } from '../../params.js'

/** eth_getStorageAt(address, slot, block = latest): always a 32-byte word. */
export const getStorageAt: RpcMethod = async (params, { backend }) => {
  expectParams(params, 2, 3)
  const address = parseAddress(params[0], 0)
  const slot = parseSlot(params[1], 1)
  const state = stateAt(backend, parseBlockRef(params[2], 2))
  return toWord(await state.storage(address, slot))
}
