import { test } from 'node:test'
import assert from 'node:assert/strict'
import { keccak256 } from '../crypto/keccak.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isSharedView } from '../primitives/byteSlab.js'
import { createMemoryStore, openLmdbStore, WriteBatch } from './kvStore.js'
import { createNodeStore, nodeCost } from './nodeStore.js'
import { CACHED_LEVELS, MutableTrie } from './mutableTrie.js'
import { BRANCH, LEAF, childAt, STORED_REF_BYTES, decodeStoredNode, encodeStoredNode, isNode, locationKey, readLocation, type TrieNode } from './trieNode.js'

/** Commits `blocks` rounds of `perBlock` puts, remembering each round's nodes as the state does. */
function commitRounds(maxNodes: number, maxBytes: number, blocks: number, perBlock: number) {
  const store = createMemoryStore()
  const nodes = createNodeStore(store, { maxNodes, maxBytes })
  let root: Uint8Array | undefined
  let peakBytes = 0
  let peakNodes = 0
  for (let b = 0; b < blocks; b++) {
    const trie = new MutableTrie(nodes, root)
    for (let i = 0; i < perBlock; i++) trie.put(keccak256(Uint8Array.of(b, i >> 8, i & 255)), Uint8Array.of(1, b))
    root = trie.rootHash()
    const fresh = trie.newNodes()
    const batch = new WriteBatch()
    nodes.persist(batch, fresh, trie.rootRef())
    store.write(batch)
    MutableTrie.release(fresh)
    nodes.remember(fresh)
    peakBytes = Math.max(peakBytes, nodes.cachedBytes)
    peakNodes = Math.max(peakNodes, nodes.cachedNodes)
  }
  return { nodes, root: root as Uint8Array, peakBytes, peakNodes }
}

test('the node cache stays within its byte bound (plus the eviction slack of one eighth)', () => {
  const maxBytes = 200_000
  const { peakBytes, nodes, root } = commitRounds(1_000_000, maxBytes, 20, 300)
  assert.ok(peakBytes > maxBytes / 2, `the cache filled (${peakBytes} bytes)`)
  assert.ok(peakBytes <= maxBytes * 1.125 + 5000, `peak ${peakBytes} bytes within the bound`)
  // Evicted nodes are read back from the store.
  const top = nodes.load(root, 0)
  assert.equal(top.kind, BRANCH)
})

test('the node cache stays within its node bound', () => {
  const { peakNodes } = commitRounds(50, 1 << 30, 10, 200)
  assert.ok(peakNodes >= 40 && peakNodes <= 50 + 16, `peak ${peakNodes} nodes`)
})

test('nodeCost grows with the encoding: a full branch costs several times a two-child one', () => {
  const hash = new Uint8Array(32).fill(7)
  const branch = (children: number): TrieNode => ({ kind: BRANCH, children: Array.from({ length: 16 }, (_, i) => (i < children ? hash : undefined)), source: undefined, enc: undefined, hash: undefined, owner: undefined, loc: undefined, record: undefined, stored: undefined })
  assert.ok(nodeCost(branch(16)) > 4 * nodeCost(branch(2)))
})

test('nodes are stored by location in write order, children before parents, and read back through their parents', () => {
  const store = createMemoryStore()
  const nodes = createNodeStore(store, { maxNodes: 4, maxBytes: 1 << 20 })
  const trie = new MutableTrie(nodes, undefined)
  for (let i = 0; i < 200; i++) trie.put(keccak256(Uint8Array.of(i)), new Uint8Array(40).fill(i))
  const root = trie.rootHash()
  const fresh = trie.newNodes()
  const batch = new WriteBatch()
  nodes.persist(batch, fresh, trie.rootRef())
  store.write(batch)
  // The root is the last node written, and the roots index names its location.
  const stored = batch.ops.filter((op) => op.space === 'trieNodes').map((op) => readLocation(op.key, 0))
  assert.deepEqual(stored, [...stored].sort((a, b) => a - b), 'locations in write order')
  const rootLocation = store.get('trieRoots', root)
  assert.ok(rootLocation !== undefined)
  assert.equal(readLocation(rootLocation, 0), stored[stored.length - 1])
  assert.ok(nodes.hasRoot(root))
  MutableTrie.release(fresh)
  // A new store on the same data continues after the last location, and reads every key through the root.
  const again = createNodeStore(store, { maxNodes: 4, maxBytes: 1 << 20 })
  assert.equal(again.allocate(), (stored[stored.length - 1] as number) + 1)
  const reader = new MutableTrie(again, root)
  for (let i = 0; i < 200; i++) assert.deepEqual(reader.get(keccak256(Uint8Array.of(i))), new Uint8Array(40).fill(i))
  const top = again.load(root, 0)
  assert.equal(top.kind, BRANCH)
  if (top.kind === BRANCH) {
    for (let i = 0; i < 16; i++) {
      const child = childAt(top, i)
      assert.ok(child instanceof Uint8Array && child.length === STORED_REF_BYTES)
    }
  }
})

test('a stored record with missing or extra child locations is refused as corrupt', () => {
  const store = createMemoryStore()
  const nodes = createNodeStore(store, { maxNodes: 4, maxBytes: 1 << 20 })
  const trie = new MutableTrie(nodes, undefined)
  for (let i = 0; i < 40; i++) trie.put(keccak256(Uint8Array.of(i)), new Uint8Array(40).fill(i))
  const root = trie.rootHash()
  const batch = new WriteBatch()
  nodes.persist(batch, trie.newNodes(), trie.rootRef())
  store.write(batch)
  const location = readLocation(store.get('trieRoots', root) as Uint8Array, 0)
  const record = store.get('trieNodes', locationKey(location)) as Uint8Array
  const node = decodeStoredNode(record, root, location)
  assert.deepEqual(encodeStoredNode(node), record, 'a record round-trips')
  assert.throws(() => decodeStoredNode(record.subarray(0, record.length - 8), root, location), /corrupt trie node/)
  const extra = new Uint8Array(record.length + 8)
  extra.set(record)
  assert.throws(() => decodeStoredNode(extra, root, location), /corrupt trie node/)
})

test(`only the top ${CACHED_LEVELS} levels of a trie stay in memory: new nodes to remember, and nodes read from the store`, () => {
  const store = createMemoryStore()
  const nodes = createNodeStore(store, { maxNodes: 1 << 20, maxBytes: 1 << 30 })
  const trie = new MutableTrie(nodes, undefined)
  // 40,000 keys: levels 0-3 are full branches, and level 4 holds branches too.
  for (let i = 0; i < 40_000; i++) trie.put(keccak256(Uint8Array.of(i >> 16, (i >> 8) & 255, i & 255)), Uint8Array.of(1))
  const root = trie.rootHash()
  const cacheable: TrieNode[] = []
  const fresh = trie.newNodes(cacheable)
  const inner = cacheable.filter((node) => node.kind !== LEAF).length
  assert.ok(inner > 4300 && cacheable.length <= 1 + 16 + 256 + 4096, `the nodes of levels 0-3 (${cacheable.length})`)
  assert.ok(fresh.length > 40_000 + cacheable.length, 'all new nodes are persisted')
  const batch = new WriteBatch()
  nodes.persist(batch, fresh, trie.rootRef())
  store.write(batch)
  MutableTrie.release(fresh)
  nodes.remember(cacheable)
  assert.equal(nodes.cachedNodes, inner)
  // Reading keys back goes through level-4 branches from the store, which are not added.
  const reader = new MutableTrie(nodes, root)
  for (let i = 0; i < 2000; i++) assert.deepEqual(reader.get(keccak256(Uint8Array.of(i >> 16, (i >> 8) & 255, i & 255))), Uint8Array.of(1))
  assert.equal(nodes.cachedNodes, inner)
})

test('records read while their batch is in flight: a cached depth owns its copy, a deeper one may share a slab', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-nodes-'))
  const store = openLmdbStore(dir)
  try {
    const nodes = createNodeStore(store, { maxNodes: 1000, maxBytes: 1 << 24 })
    const trie = new MutableTrie(nodes, undefined)
    for (let i = 0; i < 3000; i++) trie.put(keccak256(Uint8Array.of(i >> 8, i & 255)), new Uint8Array(40).fill(i & 255))
    const root = trie.rootHash()
    const fresh = trie.newNodes()
    const batch = new WriteBatch()
    nodes.persist(batch, fresh, trie.rootRef())
    const written = store.writeBehind(batch)
    // Still in flight: the store answers with the batch's own arrays, slab views (byteSlab.ts).
    const top = createNodeStore(store, { maxNodes: 1000, maxBytes: 1 << 24 }).load(root, 0)
    assert.ok(top.kind === BRANCH && top.source !== undefined && !isSharedView(top.source), 'the root, cached, owns its record')
    await written
    // Once durable, a read below the cached levels is copied into a slab; one at a cached depth is not.
    const reader = createNodeStore(store, { maxNodes: 1000, maxBytes: 1 << 24 })
    const deep = reader.load(childAt(top, 0) as Uint8Array, CACHED_LEVELS)
    assert.ok(deep.kind === BRANCH && deep.source !== undefined && isSharedView(deep.source), 'a deep node reads into a slab')
    const cached = reader.load(childAt(top, 0) as Uint8Array, 1)
    assert.ok(cached.kind === BRANCH && cached.source !== undefined && !isSharedView(cached.source), 'a cached depth reads into its own allocation')
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a root leaf left by a delete that collapses the trie keeps no slab alive', async () => {
  // Two keys that share their first six nibbles: the branch that splits them sits below the cached levels, so
  // its leaves are read into slabs. Deleting one moves the other up to the root, which the state head keeps.
  const dir = mkdtempSync(join(tmpdir(), 'stele-nodes-'))
  const store = openLmdbStore(dir)
  try {
    const nodes = createNodeStore(store, { maxNodes: 1000, maxBytes: 1 << 24 })
    const kept = new Uint8Array(32).fill(0x11)
    const deleted = kept.slice()
    deleted[3] = 0x22
    const commit = async (trie: MutableTrie) => {
      trie.rootHash()
      const cacheable: TrieNode[] = []
      const fresh = trie.newNodes(cacheable)
      const batch = new WriteBatch()
      nodes.persist(batch, fresh, trie.rootRef())
      await store.writeBehind(batch)
      MutableTrie.release(fresh)
      nodes.remember(cacheable)
    }
    const first = new MutableTrie(nodes, undefined)
    first.put(kept, new Uint8Array(80).fill(1))
    first.put(deleted, new Uint8Array(80).fill(2))
    await commit(first)
    const second = new MutableTrie(nodes, first.rootHash())
    second.del(deleted)
    await commit(second)
    const root = second.rootRef()
    assert.ok(isNode(root) && root.kind === LEAF && root.enc !== undefined)
    assert.deepEqual(root.value, new Uint8Array(80).fill(1))
    // The byte length of the allocation behind each array: a slab's would be 16 KiB.
    assert.equal(root.value.buffer.byteLength, root.value.byteLength, 'the leaf value has its own allocation')
    assert.equal(root.enc.buffer.byteLength, root.enc.byteLength, 'the leaf encoding has its own allocation')
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
