import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { BlockHeader } from '../chain/header.js'
import { keccak256 } from '../crypto/keccak.js'
import { bytesToHex } from '../primitives/bytes.js'
import { ErrorCode, isSteleError } from '../primitives/errors.js'
import { createMemoryStore, WriteBatch } from '../state/kvStore.js'
import { createAnchorPool, decodeAnchorRecord, encodeAnchorRecords, parseAnchorHashes } from './anchorPool.js'
import { anchorRoot, indexAnchors, lookupAnchor, MAX_ANCHORS_PER_CALL, validateBlockAnchors } from './anchorIndex.js'

const h = (i: number) => keccak256(new TextEncoder().encode(`doc ${i}`))
const hashes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => h(from + i))

function fakeBlock(number: bigint, anchors: Uint8Array[]) {
  const header = { number, extraData: { vanity: anchorRoot(anchors), validators: [], vote: undefined, round: 0, seals: [] } } as unknown as BlockHeader
  return { header, hash: keccak256(new Uint8Array([Number(number)])), anchors }
}

test('a batch over the limit is refused whole', () => {
  const pool = createAnchorPool({ lookup: () => undefined })
  assert.throws(() => pool.submit(hashes(MAX_ANCHORS_PER_CALL + 1)), (e) => isSteleError(e, 'OVERSIZED_DATA') && /at most 10000/.test(e.message))
  assert.equal(pool.pendingCount, 0)
  assert.equal(pool.submit(hashes(MAX_ANCHORS_PER_CALL)).length, MAX_ANCHORS_PER_CALL)
  assert.equal(pool.pendingCount, MAX_ANCHORS_PER_CALL)
})

test('one malformed hash anywhere in a batch admits nothing', () => {
  const pool = createAnchorPool({ lookup: () => undefined })
  const batch = hashes(1000)
  batch[500] = batch[500]!.subarray(0, 31)
  assert.throws(() => pool.submit(batch), (e) => isSteleError(e, 'INVALID_INPUT') && /hash 500 must be exactly 32 bytes, got 31/.test(e.message))
  assert.equal(pool.pendingCount, 0)
  assert.throws(() => pool.submit([]), (e) => isSteleError(e, 'INVALID_INPUT'))
})

test('the hex parser names the bad entry and decodes nothing of a bad batch', () => {
  const good = hashes(3).map(bytesToHex)
  assert.deepEqual(parseAnchorHashes(good).map(bytesToHex), good)
  assert.throws(() => parseAnchorHashes([good[0], 'zz', good[1]]), (e) => isSteleError(e, 'INVALID_HEX') && /hash 1/.test(e.message))
  assert.throws(() => parseAnchorHashes([good[0], `0x${'g'.repeat(64)}`]), (e) => isSteleError(e, 'INVALID_HEX'))
  assert.throws(() => parseAnchorHashes([`${good[0]}00`]), (e) => isSteleError(e, 'INVALID_INPUT') && /got 33/.test(e.message))
  assert.throws(() => parseAnchorHashes([good[0]!.slice(0, 64)]), (e) => isSteleError(e, 'INVALID_INPUT') && /got 31/.test(e.message))
  assert.throws(() => parseAnchorHashes([12]), (e) => isSteleError(e, 'INVALID_HEX'))
  assert.throws(() => parseAnchorHashes('0x00'), (e) => isSteleError(e, 'INVALID_INPUT'))
  assert.throws(() => parseAnchorHashes(Array(MAX_ANCHORS_PER_CALL + 1).fill(good[0])), (e) => isSteleError(e, 'OVERSIZED_DATA'))
})

test('queue order, duplicates, take, commit and first-anchoring-wins', () => {
  const store = createMemoryStore()
  const pool = createAnchorPool({ lookup: (x) => lookupAnchor(store, x) })
  const [a, b, c, d] = hashes(4)
  assert.deepEqual(pool.submit([a!, b!, a!]).map((s) => s.status), ['pending', 'pending', 'pending'])
  assert.equal(pool.pendingCount, 2)
  pool.submit([c!, b!])
  assert.deepEqual(pool.take(10).map(bytesToHex), [a, b, c].map((x) => bytesToHex(x!)))
  assert.deepEqual(pool.take(2).map(bytesToHex), [a, b].map((x) => bytesToHex(x!)))
  assert.deepEqual(pool.take(0), [])

  // A block commits a and b (in the order the builder took them).
  const block = fakeBlock(5n, pool.take(2))
  validateBlockAnchors(block, (x) => lookupAnchor(store, x))
  const batch = new WriteBatch()
  indexAnchors(block, batch, store)
  store.write(batch)
  pool.onBlockCommitted(block)
  assert.equal(pool.pendingCount, 1)
  assert.deepEqual(lookupAnchor(store, b!), { blockNumber: 5n, blockHash: block.hash, index: 1 })

  // Anchoring again returns the first anchoring and queues nothing.
  const again = pool.submit([b!, d!])
  assert.deepEqual(again[0], { hash: b, status: 'anchored', blockNumber: 5n, blockHash: block.hash, index: 1 })
  assert.equal(again[1]!.status, 'pending')
  assert.equal(pool.pendingCount, 2)
  assert.deepEqual(pool.status(a!), { hash: a, status: 'anchored', blockNumber: 5n, blockHash: block.hash, index: 0 })
  assert.equal(pool.status(h(99)), undefined)

  // A block that re-anchors b is invalid.
  assert.throws(() => validateBlockAnchors(fakeBlock(6n, [d!, b!]), (x) => lookupAnchor(store, x)), (e) => isSteleError(e, 'INVALID_BLOCK') && /already anchored/.test(e.message))
})

test('block anchor validation: duplicates, sizes and the vanity root', () => {
  const none = () => undefined
  const [a, b] = hashes(2)
  validateBlockAnchors(fakeBlock(1n, []), none)
  assert.deepEqual(fakeBlock(1n, []).header.extraData.vanity, new Uint8Array(32))
  assert.throws(() => validateBlockAnchors(fakeBlock(1n, [a!, a!]), none), (e) => isSteleError(e, 'INVALID_BLOCK') && /twice/.test(e.message))
  assert.throws(() => validateBlockAnchors(fakeBlock(1n, [a!.subarray(1)]), none), (e) => isSteleError(e, 'INVALID_BLOCK'))
  const wrongRoot = fakeBlock(1n, [a!, b!])
  wrongRoot.anchors = [b!, a!]
  assert.throws(() => validateBlockAnchors(wrongRoot, none), (e) => isSteleError(e, 'INVALID_BLOCK') && /vanity/.test(e.message))
})

test('the pool refuses a batch that would overflow maxPending, whole', () => {
  const pool = createAnchorPool({ lookup: () => undefined, maxPending: 5 })
  pool.submit(hashes(4))
  assert.throws(() => pool.submit(hashes(2, 4)), (e) => isSteleError(e, 'TXPOOL_FULL'))
  assert.equal(pool.pendingCount, 4)
  // Already pending hashes do not count against the limit.
  pool.submit([...hashes(4), h(4)])
  assert.equal(pool.pendingCount, 5)
})

test('anchor records (gossip, journal): at most MAX_ANCHORS_PER_CALL hashes each, decoded back in order; malformed ones refused', () => {
  const many = hashes(MAX_ANCHORS_PER_CALL + 3)
  const records = encodeAnchorRecords(many)
  assert.deepEqual(records.map((r) => r.length), [MAX_ANCHORS_PER_CALL * 32, 3 * 32])
  assert.deepEqual(records.flatMap(decodeAnchorRecord).map(bytesToHex), many.map(bytesToHex))
  assert.deepEqual(encodeAnchorRecords([]), [])
  assert.throws(() => decodeAnchorRecord(new Uint8Array(33)), (e) => isSteleError(e, ErrorCode.InvalidInput))
  assert.throws(() => decodeAnchorRecord(new Uint8Array(32 * (MAX_ANCHORS_PER_CALL + 1))), (e) => isSteleError(e, ErrorCode.InvalidInput))
})
