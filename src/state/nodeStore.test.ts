import { test } from 'node:test'
import assert from 'node:assert/strict'
import { keccak256 } from '../crypto/keccak.js'
import { createMemoryStore, WriteBatch } from './kvStore.js'
import { createNodeStore, nodeCost } from './nodeStore.js'
import { MutableTrie } from './mutableTrie.js'
import { BRANCH, encodeNode, nodeHash, type TrieNode } from './trieNode.js'

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
    for (const node of fresh) if (encodeNode(node).length >= 32) batch.put('trie', nodeHash(node), encodeNode(node))
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
  const top = nodes.load(root)
  assert.equal(top.kind, BRANCH)
})

test('the node cache stays within its node bound', () => {
  const { peakNodes } = commitRounds(50, 1 << 30, 10, 200)
  assert.ok(peakNodes >= 40 && peakNodes <= 50 + 16, `peak ${peakNodes} nodes`)
})

test('nodeCost grows with the encoding: a full branch costs several times a two-child one', () => {
  const hash = new Uint8Array(32).fill(7)
  const branch = (children: number): TrieNode => ({ kind: BRANCH, children: Array.from({ length: 16 }, (_, i) => (i < children ? hash : undefined)), enc: undefined, hash: undefined, owner: undefined })
  assert.ok(nodeCost(branch(16)) > 4 * nodeCost(branch(2)))
})
