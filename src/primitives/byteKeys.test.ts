import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { hexOfBytes, latin1OfBytes } from './byteKeys.js'

/** Buffer#toString over the view's own bytes: what the helpers must return. */
const viaBuffer = (bytes: Uint8Array, encoding: 'hex' | 'latin1') => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding)

test('hexOfBytes and latin1OfBytes read only the view, at any offset and size', () => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`byteKeys property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  // Sizes on both sides of V8's 64-byte limit for bytes kept inside the array object.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(40), fc.nat(40), (whole, from, cut) => {
      const start = Math.min(from, whole.length)
      const view = whole.subarray(start, Math.max(start, whole.length - cut))
      assert.equal(hexOfBytes(view), viaBuffer(view, 'hex'))
      assert.equal(latin1OfBytes(view), viaBuffer(view, 'latin1'))
      const copy = view.slice()
      assert.equal(hexOfBytes(copy), viaBuffer(copy, 'hex'))
      assert.equal(latin1OfBytes(copy), viaBuffer(copy, 'latin1'))
    }),
    { seed, numRuns: 500, includeErrorInReport: true },
  )
})

test('hexOfBytes and latin1OfBytes at the byte-value edges and on empty input', () => {
  const edges = Uint8Array.of(0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0xfe, 0xff)
  assert.equal(hexOfBytes(edges), '00010f107f80feff')
  assert.equal(latin1OfBytes(edges), '\x00\x01\x0f\x10\x7f\x80\xfe\xff')
  assert.equal(hexOfBytes(new Uint8Array(0)), '')
  assert.equal(latin1OfBytes(new Uint8Array(0)), '')
})
