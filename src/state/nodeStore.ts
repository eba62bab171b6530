import type { KvStore, WriteBatch } from './kvStore.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { bytesToHex, equalBytes } from '../primitives/bytes.js'
import { latin1OfBytes } from '../primitives/byteKeys.js'
import { isSharedView, ownBytes, transientBytes } from '../primitives/byteSlab.js'
import {
  BRANCH,
  LEAF,
  STORED_REF_BYTES,
  decodeStoredNode,
  encodeNode,
  encodeStoredNode,
  isNode,
  locationKey,
  nodeHash,
  readLocation,
  refHash,
  storedRef,
  writeLocation,
  type BranchNode,
  type ExtensionNode,
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
  persist(batch: WriteBatch, nodes: readonly TrieNode[], top: NodeRef | undefined, removal?: TrieRemoval): void
  /** The next location, for a bulk build that writes its nodes itself (children first). */
  allocate(): number
  /** The stored reference of a committed trie root, or undefined when no committed trie has it. */
  rootRef(root: Uint8Array): Uint8Array | undefined
  /**
   * True when a committed trie has this root hash. With a state history: when it is the base root of a kept
   * removal entry (the head is the caller's to know), so a root from before pruning began reads as pruned.
   */
  hasRoot(root: Uint8Array): boolean
  /** Makes committed nodes (already durable) available from memory: MutableTrie.newNodes's `cacheable`. */
  remember(nodes: Iterable<TrieNode>): void
  readonly cachedNodes: number
  /** Estimated heap bytes the cached nodes hold (see nodeCost). */
  readonly cachedBytes: number
}

/**
 * What an account-trie commit took out of the trie it started from (`base`): MutableTrie.removedLocations.
 * With a state history, persist records it, and deletes what commits older than the history removed.
 */
export interface TrieRemoval {
  base: NodeRef | undefined
  removed: readonly number[]
}

const FIRST_KEY = new Uint8Array(8)
const LAST_KEY = new Uint8Array(8).fill(0xff)

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
 * A cached node outlives its block, so its arrays get allocations of their own instead of views that would keep
 * a slab alive (byteSlab.ts). Embedded children are left as they are: with 32-byte keys a node embeds only
 * below depth 50 or so, far under the cached levels.
 */
function ownArrays(node: BranchNode | ExtensionNode): void {
  if (node.kind === BRANCH && node.source !== undefined && isSharedView(node.source)) {
    node.source = node.source.slice()
    // A record starts with its node's encoding.
    if (node.enc !== undefined) node.enc = node.source.subarray(0, node.enc.length)
  } else if (node.enc !== undefined) node.enc = ownBytes(node.enc)
}

/**
 * Trie nodes from the store, with a bounded LRU of decoded inner nodes by location: the top levels of a
 * trie (CACHED_LEVELS) are touched by every block. Nodes below them and leaves are not cached: each is read
 * about once in many blocks. With a `stateHistory`, the account trie of only the last that many commits besides
 * the head is kept (ADR 0013); 0 keeps every root.
 */
export function createNodeStore(store: KvStore, limits: NodeCacheLimits, stateHistory = 0): NodeStore {
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
  for (const [key] of store.range('trieNodes', FIRST_KEY, LAST_KEY, { reverse: true, limit: 1 })) next = readLocation(key, 0) + 1
  let nextRemoval = 1
  for (const [key] of store.range('trieRemovals', FIRST_KEY, LAST_KEY, { reverse: true, limit: 1 })) nextRemoval = readLocation(key, 0) + 1
  /**
   * With a state history, the roots still kept: each removal entry's base root (when it removed one) by the
   * entry's sequence, and how many entries name each root. Kept in step with `persist` calls, so an entry of a
   * batch never written stays here until its sequence falls out of the history.
   */
  const keptBySequence = new Map<number, string>()
  const keptRoots = new Map<string, number>()
  const keep = (sequence: number, entry: Uint8Array) => {
    if (readLocation(entry, 32) === 0) return // locations start at 1: this commit removed no root
    const root = latin1OfBytes(entry.subarray(0, 32))
    keptBySequence.set(sequence, root)
    keptRoots.set(root, (keptRoots.get(root) ?? 0) + 1)
  }
  const forgetThrough = (sequence: number) => {
    for (const [at, root] of keptBySequence) {
      if (at > sequence) break
      keptBySequence.delete(at)
      const count = (keptRoots.get(root) as number) - 1
      if (count > 0) keptRoots.set(root, count)
      else keptRoots.delete(root)
    }
  }
  if (stateHistory > 0) for (const [key, entry] of store.range('trieRemovals', FIRST_KEY, LAST_KEY)) keep(readLocation(key, 0), entry)
  /**
   * Records what a commit took out of the account trie, and deletes the nodes that commits `stateHistory` or
   * more removals ago took out: no root of those last commits reaches them (ADR 0013).
   */
  const recordRemoval = (batch: WriteBatch, removedSet: Set<number>, baseRoot: NodeRef | undefined, newRoot: Uint8Array | undefined) => {
    // In key order, so that pruning deletes them walking LMDB's B-tree forward, a page's nodes in one visit.
    const removed = [...removedSet].sort((a, b) => a - b)
    const entry = new Uint8Array(STORED_REF_BYTES + 8 * removed.length)
    // The base root, whose index entry goes with it, when this commit took it out of the trie.
    const base = baseRoot === undefined ? undefined : storedRootRef(baseRoot)
    if (base !== undefined && removedSet.has(readLocation(base, 32))) entry.set(base, 0)
    for (let i = 0; i < removed.length; i++) writeLocation(entry, STORED_REF_BYTES + 8 * i, removed[i] as number)
    const sequence = nextRemoval++
    batch.putOwned('trieRemovals', locationKey(sequence), entry)
    keep(sequence, entry)
    if (sequence <= stateHistory) return
    forgetThrough(sequence - stateHistory)
    // At most two entries a commit: after the history was lowered, pruning catches up over many commits instead of
    // dirtying most of the file in one transaction.
    for (const [key, old] of store.range('trieRemovals', FIRST_KEY, locationKey(sequence - stateHistory + 1), { limit: 2 })) {
      // The entry is a fresh copy, which nothing writes to: its locations serve as the keys.
      for (let at = STORED_REF_BYTES; at < old.length; at += 8) batch.del('trieNodes', old.subarray(at, at + 8))
      const rootHash = old.subarray(0, 32)
      const rootLoc = store.get('trieRoots', rootHash)
      // A commit back to that same root hash re-indexed it in this batch, which the store cannot show yet.
      const indexedNow = newRoot !== undefined && equalBytes(newRoot, rootHash)
      if (!indexedNow && rootLoc !== undefined && readLocation(rootLoc, 0) === readLocation(old, 32)) batch.del('trieRoots', rootHash.slice())
      batch.del('trieRemovals', key.slice())
    }
  }
  /** A root as hash and location; undefined when it was never stored (no location to delete). */
  const storedRootRef = (root: NodeRef): Uint8Array | undefined => {
    if (isNode(root)) return root.loc === undefined ? undefined : storedRef(nodeHash(root), root.loc)
    if (root.length === STORED_REF_BYTES) return root
    const loc = store.get('trieRoots', root)
    return loc === undefined ? undefined : storedRef(root, readLocation(loc, 0))
  }
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
      const cacheable = depth < CACHED_LEVELS
      // A node below the cached levels dies with its block: its record can be a slab view (byteSlab.ts).
      const record = store.get('trieNodes', locationKey(loc), cacheable ? undefined : transientBytes)
      if (record === undefined) throw missing(ref)
      // A record still in flight comes back as the batch's own array, which may be a slab view.
      const node = decodeStoredNode(cacheable ? ownBytes(record) : record, ref.slice(0, 32), loc)
      if (node.kind !== LEAF && cacheable) add(loc, node)
      return node
    },
    persist(batch, nodes, top, removal) {
      // A location that a new record still names is not removed: a guard, since a delete cannot be undone.
      const removed = removal !== undefined && stateHistory > 0 && removal.removed.length > 0 ? new Set(removal.removed) : undefined
      if (removed !== undefined && top !== undefined) {
        const kept = storedRootRef(top)
        if (kept !== undefined) removed.delete(readLocation(kept, 32))
      }
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i] as TrieNode
        if (node !== top && encodeNode(node).length < 32) continue
        node.loc = next++
        const key = locationKey(node.loc)
        const record = encodeStoredNode(node)
        batch.putOwned('trieNodes', key, record)
        if (node === top) batch.put('trieRoots', nodeHash(node), key)
        if (removed !== undefined) for (let at = encodeNode(node).length; at < record.length; at += 8) removed.delete(readLocation(record, at))
      }
      if (removed !== undefined) recordRemoval(batch, removed, (removal as TrieRemoval).base, isNode(top) ? nodeHash(top) : undefined)
    },
    allocate: () => next++,
    rootRef(root) {
      const loc = store.get('trieRoots', root)
      return loc === undefined ? undefined : storedRef(root, readLocation(loc, 0))
    },
    hasRoot: (root) => (stateHistory > 0 ? keptRoots.has(latin1OfBytes(root)) : store.get('trieRoots', root) !== undefined),
    remember(nodes) {
      for (const node of nodes) {
        // Leaves are not cached, but a root leaf stays referenced as the state head until the next commit.
        if (node.kind === LEAF && node.enc !== undefined) node.enc = ownBytes(node.enc)
        if (node.kind === LEAF || node.loc === undefined) continue
        if (encodeNode(node).length < 32) continue
        ownArrays(node)
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
