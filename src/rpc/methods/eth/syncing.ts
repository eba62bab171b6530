import type { RpcMethod } from '../../context.js'
import { toQuantity } from '../../hex.js'
import { expectParams } from '../../params.js'

/** eth_syncing: false, or geth's progress object while catching up. */
export const syncing: RpcMethod = (params, { backend }) => {
  expectParams(params, 0)
  const status = backend.syncStatus?.()
  if (status === undefined) return false
  return {
    startingBlock: toQuantity(status.startingBlock),
    currentBlock: toQuantity(status.currentBlock),
    highestBlock: toQuantity(status.highestBlock),
  }
}
