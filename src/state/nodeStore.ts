import type { KvStore, WriteBatch } from './kvStore.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { bytesToHex } from '../primitives/bytes.js'
import {
  LEAF,
  STORED_REF_BYTES,
  decodeStoredNode,
  encodeNode,
  encodeStoredNode,
  locationKey,
  nodeHash,
  readLocation,
  refHash,
  storedRef,
  type NodeRef,
  type TrieNode,
} from './trieNode.js'
import { CACHED_LEVELS, type NodeLoader } from './mutableTrie.js'

/**
 * Trie nodes by location (ADR 0012): `trieNodes` maps an 8-byte location, assigned in write order, to the
 * node's record (its standard encoding and its children's locations); `trieRoots` maps each committed
 * trie root's hash to its location. A block's new nodes thus land at the right edge of the B-tree.
 * One NodeStore per store: it hands out locations from a counter read when it is created.
 */
export interface NodeStore extends NodeLoader {
  /**
   * Adds a trie session's new nodes to the batch, given parents before children (MutableTrie.newNodes). Each
   * node stored (32 bytes or more, or the root) gets the next location in its `loc`, children first, and
   * the root is indexed. Persisting the same nodes again gives them new locations: only the batch of the
   * latest call may be written (stateOverlay.prepareCommit enforces that for its own).
   */
  persist(batch: WriteBatch, nodes: readonly TrieNode[], top: NodeRef | undefined): void
  /** The next location, for a bulk build that writes its nodes itself (children first). */
  allocate(): number
  /** The stored reference of a committed trie root, or undefined when no committed trie has it. */
  rootRef(root: Uint8Array): Uint8Array | undefined
  /** True when a committed trie has this root hash. */
  hasRoot(root: Uint8Array): boolean
  /** Makes committed nodes (already durable) available from memory: MutableTrie.newNodes's `cacheable`. */
  remember(nodes: Iterable<TrieNode>): void
  readonly cachedNodes: number
  /** Estimated heap bytes the cached nodes hold (see nodeCost). */
  readonly cachedBytes: number
}

export interface NodeCacheLimits {
  /** At most this many nodes. */
  maxNodes: number
  /** At most about this many bytes of heap, by nodeCost's estimate. */
  maxBytes: number
}

/**
 * Heap held by a cached node, estimated from its encoding. The estimate dates from when each child reference
 * (hash and location) was a Uint8Array of its own, about 250 bytes with its ArrayBuffer: a full branch (532
 * encoded bytes) then held about 4.5 KB and a two-child one about 1 KB (heap snapshots of a dev node: ~50,000
 * small nodes took ~50 MB). A committed branch now holds its children as numeric slots of its record
 * (trieNode.ts, ChildSlot), so this over-counts, and the cache stays under its byte limit. Counting nodes
 * alone would let 50,000 full branches of a large trie take far more than the limit.
 */
export function nodeCost(node: TrieNode): number {
  return 320 + 8 * encodeNode(node).length
}

/**
 * Trie nodes from the store, with a bounded LRU of decoded inner nodes by location: the top levels of a
 * trie (CACHED_LEVELS) are touched by every block. Nodes below them and leaves are not cached: each is read
 * about once in many blocks.
 */
export function createNodeStore(store: KvStore, limits: NodeCacheLimits): NodeStore {
  const cache = new Map<number, { node: TrieNode; cost: number }>()
  let bytes = 0
  // Evicting in batches: a Map iterator must skip the holes that LRU refreshes leave at the front, so
  // evicting one entry at a time would rescan them on every insert.
  const slackNodes = Math.max(16, limits.maxNodes >> 3)
  const slackBytes = limits.maxBytes >> 3
  const add = (loc: number, node: TrieNode) => {
    const old = cache.get(loc)
    if (old !== undefined) {
      cache.delete(loc)
      bytes -= old.cost
    }
    const cost = nodeCost(node)
    cache.set(loc, { node, cost })
    bytes += cost
    if (cache.size > limits.maxNodes + slackNodes || bytes > limits.maxBytes + slackBytes) {
      for (const [oldest, entry] of cache) {
        if (cache.size <= limits.maxNodes && bytes <= limits.maxBytes) break
        cache.delete(oldest)
        bytes -= entry.cost
      }
    }
  }
  let next = 1
  for (const [key] of store.range('trieNodes', new Uint8Array(8), new Uint8Array(8).fill(0xff), { reverse: true, limit: 1 })) next = readLocation(key, 0) + 1
  const missing = (ref: Uint8Array) => {
    const hash = bytesToHex(refHash(ref))
    return new SteleError(ErrorCode.Storage, `missing trie node ${hash}`, { details: { hash } })
  }
  return {
    load(ref, depth) {
      let loc: number
      if (ref.length === STORED_REF_BYTES) loc = readLocation(ref, 32)
      else {
        const root = store.get('trieRoots', ref)
        if (root === undefined) throw missing(ref)
        loc = readLocation(root, 0)
      }
      const hit = cache.get(loc)
      if (hit !== undefined) {
        // Refresh its place in the LRU order.
        cache.delete(loc)
        cache.set(loc, hit)
        return hit.node
      }
      const record = store.get('trieNodes', locationKey(loc))
      if (record === undefined) throw missing(ref)
      const node = decodeStoredNode(record, ref.slice(0, 32), loc)
      if (node.kind !== LEAF && depth < CACHED_LEVELS) add(loc, node)
      return node
    },
    persist(batch, nodes, top) {
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i] as TrieNode
        if (node !== top && encodeNode(node).length < 32) continue
        node.loc = next++
        const key = locationKey(node.loc)
        batch.putOwned('trieNodes', key, encodeStoredNode(node))
        if (node === top) batch.put('trieRoots', nodeHash(node), key)
      }
    },
    allocate: () => next++,
    rootRef(root) {
      const loc = store.get('trieRoots', root)
      return loc === undefined ? undefined : storedRef(root, readLocation(loc, 0))
    },
    hasRoot: (root) => store.get('trieRoots', root) !== undefined,
    remember(nodes) {
      for (const node of nodes) {
        if (node.kind === LEAF || node.loc === undefined) continue
        if (encodeNode(node).length < 32) continue
        add(node.loc, node)
      }
    },
    get cachedNodes() {
      return cache.size
    },
    get cachedBytes() {
      return bytes
    },
  }
}
