import type { RpcMethod } from '../../context.js'
import { formatTransactionInBlock } from '../../blockTransactions.js'
import { formatTransaction } from '../../format.js'
import { expectParams, parseHash } from '../../params.js'

/** eth_getTransactionByHash: mined or pending, null when unknown. */
export const getTransactionByHash: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  const hash = parseHash(params[0], 0)
  // Mined: formatted from the block's bytes and the receipt's sender, without decoding through @ethereumjs.
  const receipt = backend.receipt(hash)
  const block = receipt && backend.blockByHash(receipt.blockHash)
  const mined = block && formatTransactionInBlock(backend, block, receipt.transactionIndex)
  if (mined) return mined
  const found = backend.transaction(hash)
  if (found === undefined) return null
  const { tx, location } = found
  // Only dynamic-fee transactions need the block's base fee (for their effective gasPrice).
  const baseFee = location !== undefined && tx.tx.type >= 2 ? backend.blockByHash(location.blockHash)?.header.baseFeePerGas : undefined
  return formatTransaction(tx, location, baseFee)
}
