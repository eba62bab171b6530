import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStore, openLmdbStore, WriteBatch, type KvStore } from './kvStore.js'

const k = (...b: number[]) => Uint8Array.from(b)

function exercise(store: KvStore) {
  store.write(new WriteBatch().put('meta', k(1), k(10)).put('meta', k(2), k(20)).put('meta', k(3), k(30)).put('blocks', k(1), k(99)))
  assert.deepEqual(store.get('meta', k(2)), k(20))
  assert.deepEqual(store.get('blocks', k(1)), k(99))
  assert.equal(store.get('blocks', k(2)), undefined)
  assert.deepEqual([...store.range('meta', k(1), k(3))].map(([key]) => key[0]), [1, 2])
  assert.deepEqual([...store.range('meta', k(1), k(4), { reverse: true })].map(([key]) => key[0]), [3, 2, 1])
  assert.deepEqual([...store.range('meta', k(0), k(4), { reverse: true, limit: 1 })].map(([key]) => key[0]), [3])
  store.write(new WriteBatch().del('meta', k(2)))
  assert.equal(store.get('meta', k(2)), undefined)
}

test('memory store: put, get, range, delete', () => exercise(createMemoryStore()))

test('lmdb store: put, get, range, delete, and data survives reopening', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-kv-'))
  try {
    const store = openLmdbStore(dir)
    exercise(store)
    await store.close()
    const again = openLmdbStore(dir)
    assert.deepEqual(again.get('meta', k(3)), k(30))
    await again.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
