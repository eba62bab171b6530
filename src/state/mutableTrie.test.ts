import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MerklePatriciaTrie, createMerkleProof } from '@ethereumjs/mpt'
import { bytesToHex } from '../primitives/bytes.js'
import { isSharedView } from '../primitives/byteSlab.js'
import { createMemoryStore, WriteBatch, type KvStore } from './kvStore.js'
import { createNodeStore, type NodeStore } from './nodeStore.js'
import { EMPTY_ROOT, MutableTrie, trieProof } from './mutableTrie.js'
import { BRANCH, LEAF, childAt, isNode, readLocation } from './trieNode.js'
import { keccak256 } from '../crypto/keccak.js'

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
console.log(`mutableTrie.test: FUZZ_SEED=${seed}`)

// Keys drawn from a few shared prefixes so that tries get deep paths, extensions and embedded nodes
// (short leaves under long shared prefixes), which random 32-byte hashes alone would never produce.
const keyArb = fc.tuple(fc.constantFrom(0, 2, 28, 31), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(3)).map(([shared, tail, prefix]) => {
  const key = tail.slice()
  for (let i = 0; i < shared; i++) key[i] = prefix * 17
  return key
})
const valueArb = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.uint8Array({ minLength: 1, maxLength: 80 }))
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: keyArb, value: valueArb }),
  fc.record({ kind: fc.constant('del' as const), key: keyArb }),
)

/** Writes a session's new nodes as a block commit does, then makes them shared and cached. */
function commit(store: KvStore, nodes: NodeStore, trie: MutableTrie): void {
  const batch = new WriteBatch()
  const fresh = trie.newNodes()
  nodes.persist(batch, fresh, trie.rootRef())
  store.write(batch)
  MutableTrie.release(fresh)
  nodes.remember(fresh)
}

test('property: roots and proofs equal @ethereumjs/mpt across committed batches (with reloads from the store)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(opArb, { maxLength: 40 }), { minLength: 1, maxLength: 6 }), async (batches) => {
      const store = createMemoryStore()
      const nodes = createNodeStore(store, { maxNodes: 8, maxBytes: 1 << 20 }) // tiny cache: most reads go to the store
      const reference = new MerklePatriciaTrie({ useKeyHashing: false })
      let root: Uint8Array = EMPTY_ROOT
      const seen: Uint8Array[] = []
      for (const ops of batches) {
        const trie = new MutableTrie(nodes, root)
        for (const [n, op] of ops.entries()) {
          // Halfway, a persist whose batch is never written (a replaced prepareCommit): the nodes it stored
          // change further, and the final persist must not keep any of its records.
          if (n === ops.length >> 1) {
            trie.rootHash()
            nodes.persist(new WriteBatch(), trie.newNodes(), trie.rootRef())
          }
          seen.push(op.key)
          if (op.kind === 'put') {
            trie.put(op.key, op.value)
            await reference.put(op.key, op.value)
          } else {
            trie.del(op.key)
            await reference.del(op.key)
          }
        }
        root = trie.rootHash()
        assert.equal(bytesToHex(root), bytesToHex(reference.root()))
        commit(store, nodes, trie)
        const reader = new MutableTrie(nodes, root)
        for (const key of seen.slice(-10)) {
          const expected = await reference.get(key)
          assert.equal(bytesToHex(reader.get(key) ?? new Uint8Array()), bytesToHex(expected ?? new Uint8Array()))
          const proof = trieProof(nodes, root, key).map(bytesToHex)
          const expectedProof = (await createMerkleProof(reference, key)).map(bytesToHex)
          assert.deepEqual(proof, expectedProof)
        }
      }
    }),
    { seed, numRuns: 60, includeErrorInReport: true },
  )
})

test('an emptied trie has the empty root, and a single small leaf is still hashed as the root', () => {
  const nodes = createNodeStore(createMemoryStore(), { maxNodes: 8, maxBytes: 1 << 20 })
  const trie = new MutableTrie(nodes, undefined)
  const key = new Uint8Array(32).fill(7)
  trie.put(key, Uint8Array.of(1))
  const root = trie.rootHash()
  assert.notDeepEqual(root, EMPTY_ROOT)
  assert.equal(root.length, 32)
  trie.del(key)
  assert.deepEqual(trie.rootHash(), EMPTY_ROOT)
})

// A small pool of keys, so that batches update and delete keys the committed trie holds.
const poolKeys = Array.from({ length: 24 }, (_, i) => {
  const key = new Uint8Array(32).fill(i * 11)
  // Shared prefixes of 0, 1 and 30 bytes: extensions, deep branches and short leaves.
  const shared = [0, 1, 30][i % 3] as number
  for (let j = shared; j < 32; j++) key[j] = (i * 37 + j * 101) & 255
  return key
})
const poolOpArb = fc.record({ put: fc.boolean(), k: fc.nat(poolKeys.length - 1), value: valueArb })

test('property: puts with the presence hint (the key is in the committed trie) give the roots of @ethereumjs/mpt', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(poolOpArb, { maxLength: 30 }), { minLength: 1, maxLength: 6 }), async (batches) => {
      const store = createMemoryStore()
      const nodes = createNodeStore(store, { maxNodes: 4, maxBytes: 1 << 20 })
      const reference = new MerklePatriciaTrie({ useKeyHashing: false })
      let root: Uint8Array = EMPTY_ROOT
      const committed = new Set<number>()
      for (const ops of batches) {
        const trie = new MutableTrie(nodes, root)
        // The hint describes the trie the session started from, even after this session deleted the key.
        const atStart = new Set(committed)
        for (const op of ops) {
          const key = poolKeys[op.k] as Uint8Array
          if (op.put) {
            trie.put(key, op.value, atStart.has(op.k))
            await reference.put(key, op.value)
            committed.add(op.k)
          } else {
            trie.del(key)
            await reference.del(key)
            committed.delete(op.k)
          }
        }
        root = trie.rootHash()
        assert.equal(bytesToHex(root), bytesToHex(reference.root()))
        commit(store, nodes, trie)
      }
    }),
    { seed, numRuns: 80, includeErrorInReport: true },
  )
})

/** 300 hashed keys set to [1, 2, 3] in a new trie, not committed: full branches at the top, leaves below. */
function filledTrie() {
  const store = createMemoryStore()
  const nodes = createNodeStore(store, { maxNodes: 1000, maxBytes: 1 << 24 })
  const keys = Array.from({ length: 300 }, (_, i) => keccak256(Uint8Array.of(i >> 8, i & 255)))
  const trie = new MutableTrie(nodes, undefined)
  for (const key of keys) trie.put(key, Uint8Array.of(1, 2, 3))
  return { store, nodes, keys, trie, root: trie.rootHash() }
}

test('a put with the presence hint replaces a committed leaf without reading it', () => {
  const { store, nodes, keys, trie: first, root } = filledTrie()
  commit(store, nodes, first)
  const loadedKinds: number[] = []
  const counting = { load: (ref: Uint8Array, depth: number) => { const node = nodes.load(ref, depth); loadedKinds.push(node.kind); return node } }
  const hinted = new MutableTrie(counting, root)
  const plain = new MutableTrie(nodes, root)
  for (const key of keys.slice(0, 100)) {
    hinted.put(key, Uint8Array.of(9), true)
    plain.put(key, Uint8Array.of(9))
  }
  assert.equal(bytesToHex(hinted.rootHash()), bytesToHex(plain.rootHash()))
  assert.equal(loadedKinds.filter((kind) => kind === LEAF).length, 0, 'no leaf was read')
  assert.ok(loadedKinds.length > 0, 'the branches above them were read')
})

test('a committed branch holds its children as slots of the record written last, and a decoded one as slots of its record', () => {
  const { store, nodes, keys, trie, root } = filledTrie()
  const fresh = trie.newNodes()
  // Persisted twice, as by a second prepareCommit: only the second batch is written.
  nodes.persist(new WriteBatch(), fresh, trie.rootRef())
  const batch = new WriteBatch()
  nodes.persist(batch, fresh, trie.rootRef())
  store.write(batch)
  MutableTrie.release(fresh)
  nodes.remember(fresh)
  const top = trie.rootRef()
  assert.ok(isNode(top) && top.kind === BRANCH)
  const written = batch.ops.find((op) => op.space === 'trieNodes' && readLocation(op.key, 0) === top.loc)
  assert.ok(written?.value !== undefined && top.source !== undefined, 'the root branch was written and has a source')
  assert.equal(bytesToHex(top.source), bytesToHex(written.value), "the branch's source is the record written")
  // Cached, so it must not keep a slab alive (byteSlab.ts): the record is a copy of its own.
  assert.ok(!isSharedView(top.source) && top.enc !== undefined && top.enc.buffer === top.source.buffer, 'the cached record and encoding own one allocation')
  assert.ok(top.children.every((slot) => typeof slot === 'number'), 'no node or reference object per child')
  // Reads through the released nodes follow the locations written (the first persist's were not).
  const reader = new MutableTrie(nodes, root)
  for (const key of keys) assert.deepEqual(reader.get(key), Uint8Array.of(1, 2, 3))
  const cold = createNodeStore(store, { maxNodes: 1000, maxBytes: 1 << 24 }).load(root, 0)
  assert.ok(cold.kind === BRANCH)
  assert.ok(cold.source !== undefined && !isSharedView(cold.source), 'a node loaded at a cached depth owns its record')
  for (let i = 0; i < 16; i++) {
    assert.equal(typeof cold.children[i], 'number')
    assert.deepEqual(childAt(cold, i), childAt(top, i))
  }
})

test('a branch whose hashed children became embedded after an unwritten persist does not keep that record', () => {
  // Keys that differ in their last nibble only: one branch at depth 63, its leaves' paths empty. With eight, the
  // branch ends at 34 bytes and is stored again; with two, it ends under 32 bytes, embedded and not stored.
  for (const count of [8, 2]) {
    const store = createMemoryStore()
    const nodes = createNodeStore(store, { maxNodes: 100, maxBytes: 1 << 20 })
    const keys = Array.from({ length: count }, (_, i) => {
      const key = new Uint8Array(32).fill(0x5a)
      key[31] = i
      return key
    })
    const trie = new MutableTrie(nodes, undefined)
    for (const key of keys) trie.put(key, new Uint8Array(40).fill(1)) // leaves of 32 bytes or more: hashed
    trie.rootHash()
    nodes.persist(new WriteBatch(), trie.newNodes(), trie.rootRef())
    for (const key of keys) trie.put(key, Uint8Array.of(2)) // leaves of 3 bytes: embedded in the branch
    const root = trie.rootHash()
    commit(store, nodes, trie)
    const reader = new MutableTrie(nodes, root)
    for (const key of keys) assert.deepEqual(reader.get(key), Uint8Array.of(2), `${count} keys`)
  }
})
