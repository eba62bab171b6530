import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isSharedView, transientBytes } from '../primitives/byteSlab.js'
import { createMemoryStore, lmdbMapSize, openLmdbStore, WriteBatch, type KvStore } from './kvStore.js'

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

test('memory store: an owned slab view is kept as a copy of its own, so it does not pin its slab', () => {
  const store = createMemoryStore()
  const view = transientBytes(300).fill(5)
  const plain = new Uint8Array(300).fill(6)
  const batch = new WriteBatch()
  batch.putOwned('trieNodes', Uint8Array.of(1), view)
  batch.putOwned('trieNodes', Uint8Array.of(2), plain)
  store.write(batch)
  const kept = store.get('trieNodes', Uint8Array.of(1))
  assert.ok(kept !== undefined && !isSharedView(kept))
  assert.deepEqual(kept, view)
  assert.equal(store.get('trieNodes', Uint8Array.of(2)), plain, 'an owned array of its own is kept without a copy')
})

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

test('memory and lmdb stores agree on range order for keys of any bytes and lengths', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
  console.log(`kvStore.test: FUZZ_SEED=${seed}`)
  let state = seed
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return state >>> 16
  }
  const keys: Uint8Array[] = []
  for (let i = 0; i < 300; i++) keys.push(Uint8Array.from({ length: 1 + (next() % 4) }, () => (next() % 3 === 0 ? 0xff : next() & 255)))
  const batch = new WriteBatch()
  for (const [i, key] of keys.entries()) batch.put('data', key, k(i & 255))
  const dir = mkdtempSync(join(tmpdir(), 'stele-kv-'))
  const lmdb = openLmdbStore(dir)
  const memory = createMemoryStore()
  try {
    lmdb.write(batch)
    memory.write(batch)
    for (let q = 0; q < 50; q++) {
      const [a, b] = [keys[next() % keys.length] as Uint8Array, keys[next() % keys.length] as Uint8Array]
      const [start, end] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a]
      for (const options of [{}, { reverse: true }, { limit: 3 }, { reverse: true, limit: 2 }]) {
        const hex = (store: KvStore) => [...store.range('data', start, end, options)].map(([key, value]) => `${Buffer.from(key).toString('hex')}=${value[0]}`)
        assert.deepEqual(hex(memory), hex(lmdb), `range ${Buffer.from(start).toString('hex')}..${Buffer.from(end).toString('hex')} ${JSON.stringify(options)}`)
      }
    }
  } finally {
    await lmdb.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('lmdb writeBehind: reads see a batch at once, in order with later batches, and it is durable once settled (against the memory store)', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
  console.log(`kvStore.test writeBehind: FUZZ_SEED=${seed}`)
  let state = seed
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return state >>> 16
  }
  const keyPool = Array.from({ length: 40 }, () => Uint8Array.from({ length: 1 + (next() % 3) }, () => (next() % 4 === 0 ? 0 : next() & 255)))
  const dir = mkdtempSync(join(tmpdir(), 'stele-kv-'))
  let lmdb = openLmdbStore(dir)
  const memory = createMemoryStore()
  const compareAll = (what: string) => {
    for (const key of keyPool) assert.deepEqual(lmdb.get('data', key), memory.get('data', key), `${what}: get ${Buffer.from(key).toString('hex')}`)
    for (let q = 0; q < 8; q++) {
      const [a, b] = [keyPool[next() % keyPool.length] as Uint8Array, keyPool[next() % keyPool.length] as Uint8Array]
      const [start, end] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a]
      for (const options of [{}, { reverse: true }, { limit: 2 }, { reverse: true, limit: 3 }]) {
        const hex = (store: KvStore) => [...store.range('data', start, end, options)].map(([key, value]) => `${Buffer.from(key).toString('hex')}=${value[0]}`)
        assert.deepEqual(hex(lmdb), hex(memory), `${what}: range ${Buffer.from(start).toString('hex')}..${Buffer.from(end).toString('hex')} ${JSON.stringify(options)}`)
      }
    }
  }
  try {
    for (let round = 0; round < 30; round++) {
      const inFlight: Promise<void>[] = []
      for (let b = 0; b < 1 + (next() % 4); b++) {
        const batch = new WriteBatch()
        for (let i = 0; i < 1 + (next() % 12); i++) {
          const key = keyPool[next() % keyPool.length] as Uint8Array
          if (next() % 4 === 0) batch.del('data', key)
          else batch.put('data', key, k(next() & 255))
        }
        inFlight.push(lmdb.writeBehind(batch))
        memory.write(batch)
        compareAll(`round ${round}, batch ${b} in flight`)
      }
      assert.throws(() => lmdb.write(new WriteBatch().put('data', k(1), k(1))), /background writes are in flight/)
      await Promise.all(inFlight)
      compareAll(`round ${round}, settled`)
      if (round % 10 === 9) {
        await lmdb.close()
        lmdb = openLmdbStore(dir)
        compareAll(`round ${round}, reopened`)
      }
    }
  } finally {
    await lmdb.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('lmdb get: each value is its own copy, of its own length, whatever was read after it; a plain put is copied, an owned one kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-kv-'))
  try {
    const store = openLmdbStore(dir)
    const long = new Uint8Array(700).map((_, i) => i & 255)
    store.write(new WriteBatch().put('trieNodes', k(1), long).put('trieNodes', k(2), k(5, 6, 7)).put('trieNodes', k(3), new Uint8Array(0)))
    const first = store.get('trieNodes', k(1)) as Uint8Array
    const second = store.get('trieNodes', k(2)) as Uint8Array
    assert.deepEqual(second, k(5, 6, 7))
    assert.deepEqual(first, long, 'the first value survives the read after it')
    assert.deepEqual(store.get('trieNodes', k(3)), new Uint8Array(0))
    // A value larger than lmdb-js's read buffer (it grows the buffer), then a small one after it.
    const large = new Uint8Array(200_000).map((_, i) => (i * 7) & 255)
    store.write(new WriteBatch().put('code', k(4), large))
    const big = store.get('code', k(4)) as Uint8Array
    assert.deepEqual(store.get('trieNodes', k(2)), k(5, 6, 7))
    assert.deepEqual(big, large)
    assert.deepEqual(store.get('code', k(4)), large)
    first[0] = 99
    assert.equal((store.get('trieNodes', k(1)) as Uint8Array)[0], 0, 'a caller cannot change what the next read sees')
    // Pending writeBehind values are what reads return until they are written.
    const plain = k(1, 1)
    const owned = k(2, 2)
    const written = store.writeBehind(new WriteBatch().put('meta', k(8), plain).putOwned('meta', k(9), owned))
    plain[0] = 7
    assert.deepEqual(store.get('meta', k(8)), k(1, 1))
    assert.equal(store.get('meta', k(9)), owned)
    await written
    assert.deepEqual(store.get('meta', k(9)), k(2, 2))
    await store.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

// /proc/self/maps is Linux's.
test('lmdb store: the file is mapped into 64 GiB of address space up front, and grows only with its data', { skip: process.platform !== 'linux' }, async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'stele-kv-')))
  const store = openLmdbStore(join(dir, 'db'))
  try {
    store.write(new WriteBatch().put('meta', k(1), new Uint8Array(1000)))
    const file = join(dir, 'db', 'data.mdb')
    assert.ok(statSync(file).size < 16 * 2 ** 20, `data.mdb is ${statSync(file).size} bytes`)
    // A smaller map is remapped as the data grows, and the old mapping's pages stay in RSS (kvStore.ts).
    const mapped = readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .filter((line) => line.endsWith(file))
      .map((line) => line.split(' ')[0]?.split('-').map((hex) => BigInt(`0x${hex}`)) ?? [])
      .reduce((sum, [start, end]) => sum + ((end ?? 0n) - (start ?? 0n)), 0n)
    assert.ok(mapped >= 64n * 2n ** 30n, `${mapped} bytes mapped`)
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('lmdb map size: 64 GiB with no address-space limit or a large one, 1 GiB under a lower limit or without /proc', () => {
  const limits = (soft: string) =>
    `Limit                     Soft Limit           Hard Limit           Units     \nMax address space         ${soft}            unlimited            bytes     \n`
  assert.equal(lmdbMapSize(limits('unlimited')), 64 * 2 ** 30)
  assert.equal(lmdbMapSize(limits(String(2 ** 40))), 64 * 2 ** 30)
  // lmdb-js kills the process (SIGSEGV) when it cannot reserve its map: under `ulimit -v 40000000` it must ask for less.
  assert.equal(lmdbMapSize(limits('40960000000')), 2 ** 30)
  assert.equal(lmdbMapSize(undefined), 2 ** 30)
})
