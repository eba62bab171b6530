import type { RpcMethod } from '../../context.js'
import { formatReceipt } from '../../format.js'
import { expectParams, parseHash } from '../../params.js'

/** eth_getTransactionReceipt: null until mined. */
export const getTransactionReceipt: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  const receipt = backend.receipt(parseHash(params[0], 0))
  if (receipt === undefined) return null
  let firstLogIndex = 0
  // Log indices are block-wide: count the logs of earlier receipts, only when this one has logs to number.
  if (receipt.logs.length > 0 && receipt.transactionIndex > 0) {
    const siblings = backend.blockReceipts(receipt.blockHash) ?? []
    for (let i = 0; i < receipt.transactionIndex && i < siblings.length; i++) firstLogIndex += (siblings[i] as typeof receipt).logs.length
  }
  return formatReceipt(receipt, firstLogIndex)
}
