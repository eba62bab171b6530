import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, isSteleError } from '../primitives/errors.js'
import { decodeGossipBatch, encodeGossipBatch } from './gossipBatch.js'

const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
console.log(`gossipBatch property seed: ${seed} (replay with FUZZ_SEED=${seed})`)

test('gossip batch: items round trip', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { minLength: 1, maxLength: 30 }), (items) => {
      assert.deepEqual(decodeGossipBatch(encodeGossipBatch(items), 100).map((i) => [...i]), items.map((i) => [...i]))
    }),
    { seed, numRuns: 200 },
  )
})

test('gossip batch: arbitrary bytes either decode within bounds or throw NETWORK', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        const items = decodeGossipBatch(bytes, 16)
        assert.ok(items.length > 0 && items.every((i) => i.length <= 16))
      } catch (error) {
        assert.ok(isSteleError(error, ErrorCode.Network))
      }
    }),
    { seed, numRuns: 500 },
  )
  assert.throws(() => decodeGossipBatch(new Uint8Array(0), 16), /empty/)
  assert.throws(() => decodeGossipBatch(Uint8Array.of(0, 0, 0, 17, ...new Uint8Array(17)), 16), /too large/)
  assert.throws(() => decodeGossipBatch(Uint8Array.of(0, 0, 0, 2, 1), 16), /truncated/)
})
