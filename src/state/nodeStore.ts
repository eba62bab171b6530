import type { KvStore } from './kvStore.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { bytesToHex } from '../primitives/bytes.js'
import { LEAF, decodeNode, encodeNode, nodeHash, type TrieNode } from './trieNode.js'
import type { NodeLoader } from './mutableTrie.js'
import { latin1OfBytes } from '../primitives/byteKeys.js'

export interface NodeStore extends NodeLoader {
  /** Makes committed nodes (already durable) available from memory. */
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
 * Heap held by a cached node, estimated from its encoding: each 32-byte child reference is a Uint8Array
 * of its own (about 250 bytes with its ArrayBuffer), so a full branch (532 encoded bytes) holds about
 * 4.5 KB and a two-child one about 1 KB (heap snapshots of a dev node: ~50,000 small nodes took ~50 MB).
 * Counting nodes alone would let 50,000 full branches of a large trie take about 220 MB.
 */
export function nodeCost(node: TrieNode): number {
  return 320 + 8 * encodeNode(node).length
}

/**
 * Trie nodes from the `trie` space, with a bounded LRU of decoded inner nodes: the top levels of the
 * account trie are touched by every block. Leaves are not cached: each is read about once per update.
 */
export function createNodeStore(store: KvStore, limits: NodeCacheLimits): NodeStore {
  const cache = new Map<string, { node: TrieNode; cost: number }>()
  let bytes = 0
  // Evicting in batches: a Map iterator must skip the holes that LRU refreshes leave at the front, so
  // evicting one entry at a time would rescan them on every insert.
  const slackNodes = Math.max(16, limits.maxNodes >> 3)
  const slackBytes = limits.maxBytes >> 3
  const add = (key: string, node: TrieNode) => {
    const old = cache.get(key)
    if (old !== undefined) {
      cache.delete(key)
      bytes -= old.cost
    }
    const cost = nodeCost(node)
    cache.set(key, { node, cost })
    bytes += cost
    if (cache.size > limits.maxNodes + slackNodes || bytes > limits.maxBytes + slackBytes) {
      for (const [oldest, entry] of cache) {
        if (cache.size <= limits.maxNodes && bytes <= limits.maxBytes) break
        cache.delete(oldest)
        bytes -= entry.cost
      }
    }
  }
  return {
    load(hash) {
      const key = latin1OfBytes(hash)
      const hit = cache.get(key)
      if (hit !== undefined) {
        // Refresh its place in the LRU order.
        cache.delete(key)
        cache.set(key, hit)
        return hit.node
      }
      const enc = store.get('trie', hash)
      if (enc === undefined) {
        throw new SteleError(ErrorCode.Storage, `missing trie node ${bytesToHex(hash)}`, { details: { hash: bytesToHex(hash) } })
      }
      const node = decodeNode(enc, hash.slice())
      if (node.kind !== LEAF) add(key, node)
      return node
    },
    remember(nodes) {
      for (const node of nodes) {
        if (node.kind === LEAF) continue
        if (encodeNode(node).length < 32) continue
        add(latin1OfBytes(nodeHash(node)), node)
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
