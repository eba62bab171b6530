import type { RpcMethod } from '../../context.js'
import { blockAt } from '../../blocks.js'
import { formatBlockReceipts } from '../../format.js'
import { expectParams, parseBlockRef } from '../../params.js'

/** eth_getBlockReceipts(tag | hash | EIP-1898 object): null for an unknown block. */
export const getBlockReceipts: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  const block = blockAt(backend, parseBlockRef(params[0], 0))
  if (block === undefined) return null
  const receipts = backend.blockReceipts(block.hash)
  return receipts === undefined ? null : formatBlockReceipts(receipts)
}
