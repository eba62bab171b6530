import type { KvStore } from './kvStore.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { bytesToHex } from '../primitives/bytes.js'
import { LEAF, decodeNode, encodeNode, nodeHash, type TrieNode } from './trieNode.js'
import type { NodeLoader } from './mutableTrie.js'

export interface NodeStore extends NodeLoader {
  /** Makes committed nodes (already durable) available from memory. */
  remember(nodes: Iterable<TrieNode>): void
  readonly cachedNodes: number
}

/**
 * Trie nodes from the `trie` space, with a bounded LRU of decoded inner nodes: the top levels of the
 * account trie are touched by every block. Leaves are not cached: each is read about once per update.
 */
export function createNodeStore(store: KvStore, maxCachedNodes: number): NodeStore {
  const cache = new Map<string, TrieNode>()
  const keyOf = (hash: Uint8Array) => Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1')
  // Evicting in batches: a Map iterator must skip the holes that LRU refreshes leave at the front, so
  // evicting one entry at a time would rescan them on every insert.
  const slack = Math.max(16, maxCachedNodes >> 3)
  const add = (key: string, node: TrieNode) => {
    cache.set(key, node)
    if (cache.size > maxCachedNodes + slack) {
      let excess = cache.size - maxCachedNodes
      for (const oldest of cache.keys()) {
        if (excess-- <= 0) break
        cache.delete(oldest)
      }
    }
  }
  return {
    load(hash) {
      const key = keyOf(hash)
      const hit = cache.get(key)
      if (hit !== undefined) {
        // Refresh its place in the LRU order.
        cache.delete(key)
        cache.set(key, hit)
        return hit
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
        add(keyOf(nodeHash(node)), node)
      }
    },
    get cachedNodes() {
      return cache.size
    },
  }
}
