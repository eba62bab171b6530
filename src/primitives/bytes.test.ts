import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { bigintToBytes, bytesToBigint, bytesToHex } from './bytes.js'

const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
console.log(`bytes property seed: ${seed} (replay with FUZZ_SEED=${seed})`)

/** The definition: minimal big-endian hex, zero is empty. */
function referenceBytes(value: bigint): string {
  if (value === 0n) return '0x'
  const hex = value.toString(16)
  return `0x${hex.length % 2 ? `0${hex}` : hex}`
}

test('bigintToBytes is minimal big-endian and bytesToBigint inverts it, across the 6-byte fast path', () => {
  const value = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 56n }), fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.constantFrom(0n, 1n, 255n, 256n, 2n ** 48n - 1n, 2n ** 48n, 2n ** 53n + 1n, 2n ** 96n - 1n, 2n ** 96n, 10n ** 24n, 2n ** 256n - 1n, 2n ** 600n + 7n))
  fc.assert(
    fc.property(value, (v) => {
      const bytes = bigintToBytes(v)
      assert.equal(bytesToHex(bytes), referenceBytes(v))
      assert.equal(bytesToBigint(bytes), v)
    }),
    { seed, numRuns: 2000 },
  )
})

test('bytesToBigint reads leading zeros and any length', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      assert.equal(bytesToBigint(bytes), bytes.length === 0 ? 0n : BigInt(bytesToHex(bytes)))
    }),
    { seed, numRuns: 2000 },
  )
})

test('bigintToBytes refuses negative values', () => {
  assert.throws(() => bigintToBytes(-1n), /negative/)
})
