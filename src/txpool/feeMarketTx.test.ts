import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { create1559FeeMarketTxFromBytesArray, type FeeMarket1559Tx } from '@ethereumjs/tx'
import { createChainCommon } from '../execution/common.js'
import { bigintToBytes, bytesToBigint } from '../primitives/bytes.js'
import { SECP256K1_HALF_N, SECP256K1_N } from '../crypto/secp256k1.js'
import type { RlpItem } from '../primitives/rlp.js'
import { createSharedTxCommon } from './decodeRawTransaction.js'
import { buildFeeMarketTx } from './feeMarketTx.js'

const CHAIN_ID = 1337n
const common = createSharedTxCommon(createChainCommon(CHAIN_ID))

/** What @ethereumjs builds from the same fields, or undefined where it throws. */
function reference(values: RlpItem[]): FeeMarket1559Tx | undefined {
  try {
    return create1559FeeMarketTxFromBytesArray(values as Parameters<typeof create1559FeeMarketTxFromBytesArray>[0], { common, freeze: false })
  } catch {
    return undefined
  }
}

function assertSameTx(built: FeeMarket1559Tx, want: FeeMarket1559Tx): void {
  assert.equal(Object.getPrototypeOf(built), Object.getPrototypeOf(want))
  assert.deepEqual(Object.keys(built), Object.keys(want), 'same properties in the same order (one object shape)')
  for (const key of Object.keys(want) as (keyof FeeMarket1559Tx)[]) {
    if (key === 'common') assert.equal(built.common, want.common)
    else assert.deepStrictEqual(built[key], want[key], `property ${String(key)}`)
  }
  assert.deepEqual(built.serialize(), want.serialize())
  assert.deepEqual(built.getHashedMessageToSign(), want.getHashedMessageToSign())
  assert.equal(built.getIntrinsicGas(), want.getIntrinsicGas())
  assert.equal(built.getUpfrontCost(7n), want.getUpfrontCost(7n))
  assert.equal(Object.isFrozen(built), Object.isFrozen(want))
}

const uint = (max: bigint) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(0n, 1n, max, max + 1n) },
    { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: max < 2n ** 40n ? max : 2n ** 40n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max }) },
  )
/** An integer field: mostly canonical bytes in range, sometimes out of range or padded with a zero. */
const intField = (max: bigint) =>
  fc.oneof(
    { weight: 40, arbitrary: uint(max).map((n) => bigintToBytes(n)) },
    { weight: 1, arbitrary: uint(max).map((n) => Uint8Array.of(0, ...bigintToBytes(n))) },
    { weight: 1, arbitrary: fc.constant([] as RlpItem) },
  )
const bytesOf = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
const accessItem = fc.oneof(
  { weight: 30, arbitrary: fc.tuple(bytesOf(20), fc.array(bytesOf(32), { maxLength: 2 })).map(([a, s]) => [a, s] as RlpItem) },
  { weight: 1, arbitrary: fc.tuple(bytesOf(19), fc.array(bytesOf(32), { maxLength: 1 })).map(([a, s]) => [a, s] as RlpItem) },
  { weight: 1, arbitrary: fc.tuple(bytesOf(20), fc.array(bytesOf(31), { minLength: 1, maxLength: 1 })).map(([a, s]) => [a, s] as RlpItem) },
  { weight: 1, arbitrary: bytesOf(20) as fc.Arbitrary<RlpItem> },
)
const fields = fc.tuple(
  fc.oneof({ weight: 20, arbitrary: fc.constant(bigintToBytes(CHAIN_ID)) }, { weight: 1, arbitrary: fc.constant(bigintToBytes(CHAIN_ID + 1n)) }),
  intField(2n ** 64n - 1n),
  intField(2n ** 256n - 1n),
  intField(2n ** 256n - 1n),
  intField(2n ** 64n - 1n),
  fc.oneof({ weight: 20, arbitrary: bytesOf(20) }, { weight: 1, arbitrary: fc.constantFrom(new Uint8Array(0), new Uint8Array(19), new Uint8Array(21)) }),
  intField(2n ** 256n - 1n),
  fc.oneof({ weight: 20, arbitrary: fc.uint8Array({ maxLength: 80 }) }, { weight: 1, arbitrary: fc.constant([] as RlpItem) }),
  fc.oneof({ weight: 20, arbitrary: fc.array(accessItem, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant(new Uint8Array(0) as RlpItem) }),
  fc.oneof({ weight: 20, arbitrary: fc.constantFrom(new Uint8Array(0), Uint8Array.of(1)) }, { weight: 1, arbitrary: fc.constantFrom(Uint8Array.of(0), Uint8Array.of(2), Uint8Array.of(1, 0)) }),
  intField(SECP256K1_N),
  fc.oneof({ weight: 10, arbitrary: intField(SECP256K1_HALF_N) }, { weight: 1, arbitrary: fc.bigInt({ min: SECP256K1_HALF_N + 1n, max: 2n ** 256n - 1n }).map((n) => bigintToBytes(n)) }),
)

test('buildFeeMarketTx builds what @ethereumjs builds, and nothing it refuses', () => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`fee market tx property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  let built = 0
  let refusedByBoth = 0
  let missed = 0
  fc.assert(
    fc.property(fields, fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, -1) }), fc.boolean(), fc.boolean(), (tuple, lengthChange, orderFees, asBuffers) => {
      // Decoding a Buffer gives Buffer views: the built tx must still hold plain arrays of its own.
      const values: RlpItem[] = asBuffers ? tuple.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v)) : [...tuple]
      // Half the time, tip and fee cap in the order the constructor wants (random pairs are half wrong).
      const [tip, feeCap] = [values[2], values[3]]
      if (orderFees && tip instanceof Uint8Array && feeCap instanceof Uint8Array && bytesToBigint(tip) > bytesToBigint(feeCap)) [values[2], values[3]] = [feeCap, tip]
      if (lengthChange > 0) values.push(new Uint8Array(0))
      if (lengthChange < 0) values.pop()
      const want = reference(values)
      const fast = buildFeeMarketTx(values, common)
      if (fast === undefined) {
        if (want === undefined) refusedByBoth++
        else missed++ // e.g. an empty r, which the constructor takes and recovery refuses later
        return
      }
      assert.ok(want !== undefined, 'the shortcut must not build a tx the constructor refuses')
      assertSameTx(fast, want)
      built++
    }),
    { seed, numRuns: 3_000 },
  )
  // Both halves of the property must have been exercised.
  console.log(`built ${built}, refused by both ${refusedByBoth}, left to the constructor ${missed}`)
  assert.ok(built > 300, `built ${built}`)
  assert.ok(refusedByBoth > 300, `refused by both ${refusedByBoth}`)
})

test('a creation, or a Common that is not shared, goes to the constructor', () => {
  const values: RlpItem[] = [bigintToBytes(CHAIN_ID), new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(0x52, 0x08), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), [], new Uint8Array(0), Uint8Array.of(5), Uint8Array.of(6)]
  assert.equal(buildFeeMarketTx(values, common), undefined)
  const call = [...values]
  call[5] = new Uint8Array(20).fill(0xaa)
  assert.ok(buildFeeMarketTx(call, common) !== undefined)
  assert.equal(buildFeeMarketTx(call, createChainCommon(CHAIN_ID)), undefined)
})
