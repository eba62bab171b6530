import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isSharedView, ownBytes, transientBytes } from './byteSlab.js'

test('transient arrays of 65 bytes to 1 KiB are zeroed, disjoint views into a shared slab', () => {
  const arrays = Array.from({ length: 100 }, (_, i) => transientBytes(65 + ((i * 37) % 960)))
  for (const [i, a] of arrays.entries()) {
    assert.ok(isSharedView(a), `array ${i} is a view`)
    assert.ok(a.every((b) => b === 0), `array ${i} starts zeroed`)
    a.fill(i + 1)
  }
  // Writing each with its own index left every other untouched: no two overlap.
  for (const [i, a] of arrays.entries()) assert.ok(a.every((b) => b === i + 1), `array ${i} kept its bytes`)
})

test('small and large transient arrays get their own allocation', () => {
  for (const length of [0, 1, 64, 1025, 20_000]) {
    const a = transientBytes(length)
    assert.equal(a.length, length)
    assert.equal(isSharedView(a), false, `${length} bytes`)
  }
})

test('ownBytes copies a slab view and returns an array of its own unchanged', () => {
  const view = transientBytes(200).fill(7)
  const owned = ownBytes(view)
  assert.notEqual(owned, view)
  assert.deepEqual(owned, view)
  assert.equal(isSharedView(owned), false)
  const plain = new Uint8Array(200)
  assert.equal(ownBytes(plain), plain)
  const small = new Uint8Array(10)
  assert.equal(ownBytes(small), small)
})
