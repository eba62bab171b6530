import type { RpcMethod } from '../../context.js'
import { blobBaseFee as blobBaseFeeFor, nextExcessBlobGas } from '../../fees.js'
import { toQuantity } from '../../hex.js'
import { expectParams } from '../../params.js'

/** eth_blobBaseFee: the blob base fee of the next block (EIP-4844; 1 wei while no blobs are used). */
export const blobBaseFee: RpcMethod = (params, { backend }) => {
  expectParams(params, 0)
  const head = backend.blockByNumber(backend.headNumber())
  return toQuantity(head === undefined ? 1n : blobBaseFeeFor(nextExcessBlobGas(head.header)))
}
