import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, isSteleError } from '../primitives/errors.js'
import { MAX_SYNC_BLOCK_BYTES, MAX_SYNC_RESPONSE_BYTES } from './network.js'
import {
  FrameDecoder,
  boundSyncResponse,
  decodeBlocksHeader,
  decodeStatusResponse,
  decodeSyncRequest,
  encodeBlocksHeader,
  encodeErrorResponse,
  encodeFrame,
  encodeStatusResponse,
  encodeSyncRequest,
} from './syncCodec.js'

const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
console.log(`syncCodec property seed: ${seed} (replay with FUZZ_SEED=${seed})`)

test('sync codec: frames survive any split of the byte stream', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
      (frames, cuts) => {
        const wire = Buffer.concat(frames.map(encodeFrame))
        const decoder = new FrameDecoder(300)
        const out: Uint8Array[] = []
        let offset = 0
        let i = 0
        while (offset < wire.length) {
          const size = cuts[i++ % cuts.length] as number
          // Buffer chunks share one pool, as libp2p's do: the decoder must honour byteOffset.
          out.push(...decoder.push(wire.subarray(offset, offset + size)))
          offset += size
        }
        assert.equal(decoder.buffered, 0)
        assert.deepEqual(out.map((f) => [...f]), frames.map((f) => [...f]))
      },
    ),
    { seed, numRuns: 200 },
  )
})

test('sync codec: a declared frame length over the limit is refused before buffering', () => {
  const decoder = new FrameDecoder(10)
  assert.deepEqual(decoder.push(encodeFrame(new Uint8Array(10))).length, 1)
  assert.throws(() => decoder.push(Uint8Array.of(0, 0, 0, 11)), (e) => isSteleError(e, ErrorCode.Network))
})

test('sync codec: requests round trip and malformed ones are refused', () => {
  assert.deepEqual(decodeSyncRequest(encodeSyncRequest({ kind: 'status' })), { kind: 'status' })
  const blocks = { kind: 'blocks', from: 2n ** 64n - 1n, count: 256 } as const
  assert.deepEqual(decodeSyncRequest(encodeSyncRequest(blocks)), blocks)
  for (const bad of [new Uint8Array(0), Uint8Array.of(0x03), Uint8Array.of(0x01, 0), new Uint8Array(13).fill(2)]) {
    assert.throws(() => decodeSyncRequest(bad), (e) => isSteleError(e, ErrorCode.Network))
  }
  // count 0 and count above the maximum
  assert.throws(() => decodeSyncRequest(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
  assert.throws(() => decodeSyncRequest(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1)))
  assert.throws(() => encodeSyncRequest({ kind: 'blocks', from: -1n, count: 1 }))
})

test('sync codec: responses round trip and error responses throw with the reason', () => {
  const status = { head: 123_456n, headHash: new Uint8Array(32).fill(7) }
  assert.deepEqual(decodeStatusResponse(encodeStatusResponse(status)), status)
  assert.equal(decodeBlocksHeader(encodeBlocksHeader(42)), 42)
  assert.throws(() => decodeBlocksHeader(encodeErrorResponse('not serving blocks')), /not serving blocks/)
  assert.throws(() => decodeStatusResponse(Uint8Array.of(0, 1, 2)), (e) => isSteleError(e, ErrorCode.Network))
  assert.throws(() => encodeStatusResponse({ head: 1n, headHash: new Uint8Array(31) }))
})

test('sync codec: responders never send more than asked, an oversized block, or too many bytes', () => {
  const small = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]
  assert.equal(boundSyncResponse(small, 2).length, 2)
  const huge = new Uint8Array(MAX_SYNC_BLOCK_BYTES + 1)
  assert.deepEqual(boundSyncResponse([Uint8Array.of(1), huge, Uint8Array.of(3)], 3), [Uint8Array.of(1)])
  const big = new Uint8Array(MAX_SYNC_BLOCK_BYTES)
  const many = Array.from({ length: 5 }, () => big)
  const bounded = boundSyncResponse(many, 5)
  assert.equal(bounded.length, MAX_SYNC_RESPONSE_BYTES / MAX_SYNC_BLOCK_BYTES)
})
