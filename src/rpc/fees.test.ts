import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { BlockHeader } from '../chain/header.js'
import { blobBaseFee, nextBaseFee, nextExcessBlobGas } from './fees.js'

function header(fields: Partial<BlockHeader>): BlockHeader {
  return { gasLimit: 30_000_000n, gasUsed: 0n, baseFeePerGas: 1_000_000_000n, excessBlobGas: 0n, blobGasUsed: 0n, ...fields } as BlockHeader
}

describe('fee arithmetic', () => {
  it('EIP-1559: at target unchanged, full +12.5%, empty -12.5%, at least +1 above target', () => {
    assert.equal(nextBaseFee(header({ gasUsed: 15_000_000n })), 1_000_000_000n)
    assert.equal(nextBaseFee(header({ gasUsed: 30_000_000n })), 1_125_000_000n)
    assert.equal(nextBaseFee(header({ gasUsed: 0n })), 875_000_000n)
    assert.equal(nextBaseFee(header({ gasUsed: 15_000_001n, baseFeePerGas: 7n })), 8n)
    assert.equal(nextBaseFee(header({ gasUsed: 0n, baseFeePerGas: 0n })), 0n)
  })

  it('EIP-4844 blob base fee (values from the EIP reference fake_exponential)', () => {
    assert.equal(blobBaseFee(0n), 1n)
    assert.equal(blobBaseFee(3_338_477n), 2n)
    assert.equal(blobBaseFee(33_384_770n), 22_026n)
    assert.equal(blobBaseFee(7_864_320n), 10n)
    assert.equal(nextExcessBlobGas(header({ excessBlobGas: 0n, blobGasUsed: 786_432n })), 393_216n)
    assert.equal(nextExcessBlobGas(header({ excessBlobGas: 100n, blobGasUsed: 0n })), 0n)
  })
})
