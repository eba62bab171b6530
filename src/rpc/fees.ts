import type { BlockHeader } from '../chain/header.js'

/** Fee arithmetic for eth_feeHistory and eth_blobBaseFee when the backend does not provide it. */

/** EIP-1559's base fee update with elasticity 2 and change denominator 8. */
export function nextBaseFee(parent: BlockHeader): bigint {
  const target = parent.gasLimit / 2n
  if (target === 0n || parent.gasUsed === target) return parent.baseFeePerGas
  if (parent.gasUsed > target) {
    const delta = (parent.baseFeePerGas * (parent.gasUsed - target)) / target / 8n
    return parent.baseFeePerGas + (delta > 1n ? delta : 1n)
  }
  const delta = (parent.baseFeePerGas * (target - parent.gasUsed)) / target / 8n
  return parent.baseFeePerGas - delta
}

// EIP-4844 (Cancun) constants.
export const MAX_BLOB_GAS_PER_BLOCK = 786_432
const TARGET_BLOB_GAS_PER_BLOCK = 393_216n
const MIN_BLOB_BASE_FEE = 1n
const BLOB_BASE_FEE_UPDATE_FRACTION = 3_338_477n

export function nextExcessBlobGas(parent: BlockHeader): bigint {
  const total = parent.excessBlobGas + parent.blobGasUsed
  return total < TARGET_BLOB_GAS_PER_BLOCK ? 0n : total - TARGET_BLOB_GAS_PER_BLOCK
}

export function blobBaseFee(excessBlobGas: bigint): bigint {
  return fakeExponential(MIN_BLOB_BASE_FEE, excessBlobGas, BLOB_BASE_FEE_UPDATE_FRACTION)
}

/** EIP-4844's integer approximation of factor * e^(numerator / denominator). */
function fakeExponential(factor: bigint, numerator: bigint, denominator: bigint): bigint {
  let i = 1n
  let output = 0n
  let accum = factor * denominator
  while (accum > 0n) {
    output += accum
    accum = (accum * numerator) / (denominator * i)
    i++
  }
  return output / denominator
}
