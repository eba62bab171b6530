import { ErrorCode, SteleError } from '../primitives/errors.js'
import { equalBytes } from '../primitives/bytes.js'
import { keccak256 } from '../crypto/keccak.js'
import {
  BRANCH,
  EXTENSION,
  LEAF,
  adoptRecord,
  bytesToNibbles,
  childAt,
  encodeNode,
  isLeafChild,
  isNode,
  nodeHash,
  storedChildLocation,
  refHash,
  storedRef,
  type BranchNode,
  type ChildSlot,
  type ExtensionNode,
  type LeafNode,
  type NodeRef,
  type TrieNode,
} from './trieNode.js'

/** keccak256(RLP('')): the root of an empty trie. */
export const EMPTY_ROOT = keccak256(Uint8Array.of(0x80))

/**
 * The nibble levels at the top of a trie whose nodes the node store keeps in memory (4,369 branches at most
 * per trie). A level-4 branch of a 1M-account trie is touched about once in 40 blocks of 1,500 transfers, so
 * caching the levels below only churned the old generation and cost GC (docs/performance.md, item 24).
 */
export const CACHED_LEVELS = 4

/** Loads committed nodes by reference: a stored reference, or a root's hash (through a cache). */
export interface NodeLoader {
  /**
   * `depth`: the node's nibble depth in its trie; nodes at CACHED_LEVELS and below are not cached, and their
   * arrays may be views into a shared slab (byteSlab.ts): what is kept beyond the block must be copied.
   */
  load(ref: Uint8Array, depth: number): TrieNode
}

/**
 * One editing session on a Merkle-Patricia trie with fixed 32-byte keys (the secure trie: keys are
 * already keccak256 hashes). Updates are copy-on-write against committed nodes and in place on nodes this
 * session created, and nothing is hashed until `rootHash()`: a block's changes hash each dirty node once.
 */
export class MutableTrie {
  private root: NodeRef | undefined
  /**
   * The locations of the stored nodes this session has taken out of its trie (replaced by a copy, merged or
   * deleted), in the order it did so. Pruning (nodeStore.ts) deletes them once no kept root reaches them.
   */
  private readonly removed: number[] = []

  constructor(
    private readonly loader: NodeLoader,
    root: NodeRef | undefined,
  ) {
    this.root = root instanceof Uint8Array && equalBytes(root, EMPTY_ROOT) ? undefined : root
  }

  /** The locations of stored nodes this session took out of its trie since it started or since `forgetRemoved`. */
  removedLocations(): readonly number[] {
    return this.removed
  }

  /** Called once a persist of this session is durable: its removals are recorded with it. */
  forgetRemoved(): void {
    this.removed.length = 0
  }

  /** The current root reference (undefined for the empty trie). */
  rootRef(): NodeRef | undefined {
    return this.root
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return trieGet(this.loader, this.root, key)
  }

  /**
   * Sets `key` to `value`. `present` says the key is in the trie this session started from (the caller knows
   * it from flat state). A committed leaf met on the key's path is then the key's own leaf: committed nodes
   * keep the place they had in that trie, so it is replaced without being read (stored references mark
   * leaves, trieNode.ts). Pass false when unsure; the hint must not be given once the trie has moved on from that start.
   */
  put(key: Uint8Array, value: Uint8Array, present = false): void {
    const nibbles = bytesToNibbles(key)
    this.root = this.insert(this.root, nibbles, 0, value, present)
  }

  del(key: Uint8Array): void {
    this.root = this.remove(this.root, bytesToNibbles(key), 0)
  }

  /** Hashes every dirty node and returns the root hash. */
  rootHash(): Uint8Array {
    if (this.root === undefined) return EMPTY_ROOT
    if (this.root instanceof Uint8Array) return refHash(this.root)
    return nodeHash(this.root)
  }

  /**
   * The nodes reachable from the root that are not committed yet (call after rootHash). Embedded nodes are
   * returned too (the caller stores only those of 32 bytes or more, and the root whatever its size). With
   * `cacheable`, the new nodes above CACHED_LEVELS are also pushed there, for the node store to remember.
   */
  newNodes(cacheable?: TrieNode[]): TrieNode[] {
    const out: TrieNode[] = []
    const walk = (ref: ChildSlot, depth: number) => {
      if (!isNode(ref) || ref.owner !== this) return
      out.push(ref)
      if (depth < CACHED_LEVELS) cacheable?.push(ref)
      if (ref.kind === BRANCH) for (const child of ref.children) walk(child, depth + 1)
      else if (ref.kind === EXTENSION) walk(ref.child, depth + ref.path.length)
    }
    walk(this.root, 0)
    return out
  }

  /** drop() for child `i` of a branch, which is replaced without being read (the presence hint). */
  private dropChild(node: BranchNode, i: number): void {
    const child = node.children[i]
    if (isNode(child)) this.drop(child)
    else {
      const loc = storedChildLocation(node, i)
      if (loc !== undefined) this.removed.push(loc)
    }
  }

  private resolve(ref: NodeRef, depth: number): TrieNode {
    return ref instanceof Uint8Array ? this.loader.load(ref, depth) : ref
  }

  private leaf(path: Uint8Array, value: Uint8Array): LeafNode {
    return { kind: LEAF, path, value, enc: undefined, hash: undefined, owner: this, loc: undefined }
  }

  private extension(path: Uint8Array, child: NodeRef): ExtensionNode {
    return { kind: EXTENSION, path, child, enc: undefined, hash: undefined, owner: this, loc: undefined }
  }

  private branch(): BranchNode {
    return { kind: BRANCH, children: new Array(16).fill(undefined), source: undefined, enc: undefined, hash: undefined, owner: this, loc: undefined, record: undefined, stored: undefined }
  }

  /** The node itself when this session owns it (marked dirty), else a dirty copy owned by this session. */
  private writable<T extends TrieNode>(node: T): T {
    if (node.owner === this) {
      node.enc = undefined
      node.hash = undefined
      if (node.kind === BRANCH) node.stored = undefined
      return node
    }
    this.drop(node)
    // Literal shapes (not spreads) keep every node object in one hidden class.
    const copy: TrieNode =
      node.kind === BRANCH
        ? { kind: BRANCH, children: node.children.slice(), source: node.source, enc: undefined, hash: undefined, owner: this, loc: undefined, record: undefined, stored: undefined }
        : node.kind === LEAF
          ? { kind: LEAF, path: node.path, value: node.value, enc: undefined, hash: undefined, owner: this, loc: undefined }
          : { kind: EXTENSION, path: node.path, child: node.child, enc: undefined, hash: undefined, owner: this, loc: undefined }
    return copy as T
  }

  /** Notes that a node read from the store (another session's, or committed) leaves this trie. */
  private drop(node: TrieNode): void {
    if (node.owner !== this && node.loc !== undefined) this.removed.push(node.loc)
  }

  private insert(ref: NodeRef | undefined, key: Uint8Array, depth: number, value: Uint8Array, present: boolean): NodeRef {
    if (ref === undefined) return this.leaf(key.subarray(depth), value)
    const node = this.resolve(ref, depth)
    if (node.kind === BRANCH) {
      const i = key[depth] as number
      const hinted = present && isLeafChild(node, i)
      if (hinted) this.dropChild(node, i)
      const old = hinted ? undefined : childAt(node, i)
      const child = hinted ? this.leaf(key.subarray(depth + 1), value) : this.insert(old, key, depth + 1, value, present)
      if (!changed(old, child)) return ref
      const out = this.writable(node)
      out.children[i] = child
      return out
    }
    const rest = key.subarray(depth)
    const c = commonPrefixLength(node.path, rest)
    if (node.kind === LEAF) {
      if (c === node.path.length && c === rest.length) {
        if (equalBytes(node.value, value)) return ref
        const out = this.writable(node)
        out.value = value
        return out
      }
      if (c === node.path.length || c === rest.length) throw keyLengthError()
      this.drop(node)
      const branch = this.branch()
      branch.children[node.path[c] as number] = this.leaf(node.path.subarray(c + 1), node.value)
      branch.children[rest[c] as number] = this.leaf(rest.subarray(c + 1), value)
      return c > 0 ? this.extension(rest.subarray(0, c), branch) : branch
    }
    if (c === node.path.length) {
      const child = this.insert(node.child, key, depth + c, value, present)
      if (!changed(node.child, child)) return ref
      const out = this.writable(node)
      out.child = child
      return out
    }
    if (c === rest.length) throw keyLengthError()
    this.drop(node)
    const branch = this.branch()
    branch.children[node.path[c] as number] =
      c + 1 < node.path.length ? this.extension(node.path.subarray(c + 1), node.child) : node.child
    branch.children[rest[c] as number] = this.leaf(rest.subarray(c + 1), value)
    return c > 0 ? this.extension(rest.subarray(0, c), branch) : branch
  }

  /** Returns `ref` itself when the key is absent. */
  private remove(ref: NodeRef | undefined, key: Uint8Array, depth: number): NodeRef | undefined {
    if (ref === undefined) return undefined
    const node = this.resolve(ref, depth)
    if (node.kind === BRANCH) {
      const i = key[depth] as number
      const old = childAt(node, i)
      if (old === undefined) return ref
      const child = this.remove(old, key, depth + 1)
      if (!changed(old, child)) return ref
      if (child !== undefined) {
        const out = this.writable(node)
        out.children[i] = child
        return out
      }
      let remaining = -1
      for (let j = 0; j < 16; j++) {
        if (j === i || node.children[j] === undefined) continue
        if (remaining !== -1) {
          const out = this.writable(node)
          out.children[i] = undefined
          return out
        }
        remaining = j
      }
      if (remaining === -1) throw new SteleError(ErrorCode.Storage, 'malformed trie: branch with a single child')
      // Dropped once the sibling is read: a failed read leaves the branch in the trie and off the list.
      const out = this.prefixed(Uint8Array.of(remaining), childAt(node, remaining) as NodeRef, depth + 1)
      this.drop(node)
      return out
    }
    const rest = key.subarray(depth)
    const c = commonPrefixLength(node.path, rest)
    if (c < node.path.length) return ref
    if (node.kind === LEAF) {
      if (c < rest.length) return ref
      this.drop(node)
      return undefined
    }
    const child = this.remove(node.child, key, depth + c)
    if (!changed(node.child, child)) return ref
    if (child === undefined) throw new SteleError(ErrorCode.Storage, 'malformed trie: extension above a single leaf')
    const out = this.prefixed(node.path, child, depth + c)
    this.drop(node)
    return out
  }

  /**
   * `path` followed by `ref`, merging with the child's own path where the trie shape requires it. `depth`:
   * where `ref` sits now, below `path`.
   */
  private prefixed(path: Uint8Array, ref: NodeRef, depth: number): TrieNode {
    const child = this.resolve(ref, depth)
    if (child.kind === BRANCH) return this.extension(path, ref)
    this.drop(child)
    // A copy: a leaf read deep in the trie holds its value in a slab (byteSlab.ts), and the merged leaf moves up,
    // where it may become the root that the state head keeps.
    if (child.kind === LEAF) return this.leaf(concatNibbles(path, child.path), child.value.slice())
    return this.extension(concatNibbles(path, child.path), child.child)
  }

  /** After the session's nodes are durable: they become shared, and children are held by stored reference only. */
  static release(nodes: TrieNode[]): void {
    for (const node of nodes) {
      node.owner = undefined
      if (node.kind === BRANCH) {
        if (!adoptRecord(node)) {
          // No hashed child is left (adoptRecord found no record), so no slot needs the copied-from record.
          for (let i = 0; i < 16; i++) node.children[i] = detach(node.children[i])
          node.source = undefined
        }
      } else if (node.kind === EXTENSION) {
        node.child = detach(node.child) as NodeRef
      }
    }
  }
}

// Replacing a hashed child by its stored reference keeps the cached graph from pinning whole subtrees in memory.
function detach(ref: ChildSlot): ChildSlot {
  if (!isNode(ref)) return ref
  const enc = encodeNode(ref)
  if (enc.length < 32) return ref
  if (ref.loc === undefined) throw new SteleError(ErrorCode.Internal, 'a trie node released before it was stored')
  return storedRef(nodeHash(ref), ref.loc, ref.kind === LEAF)
}

function changed(old: NodeRef | undefined, now: NodeRef | undefined): boolean {
  return old !== now || (isNode(now) && now.enc === undefined)
}

function keyLengthError(): SteleError {
  return new SteleError(ErrorCode.Internal, 'trie keys must all have the same length')
}

function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  return i
}

function concatNibbles(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

export function trieGet(loader: NodeLoader, root: NodeRef | undefined, keyBytes: Uint8Array): Uint8Array | undefined {
  const key = bytesToNibbles(keyBytes)
  let ref = root
  let depth = 0
  while (ref !== undefined) {
    if (ref instanceof Uint8Array && equalBytes(ref, EMPTY_ROOT) && depth === 0) return undefined
    const node = ref instanceof Uint8Array ? loader.load(ref, depth) : ref
    if (node.kind === BRANCH) {
      ref = childAt(node, key[depth] as number)
      depth++
      continue
    }
    const rest = key.subarray(depth)
    if (commonPrefixLength(node.path, rest) < node.path.length) return undefined
    if (node.kind === LEAF) return node.path.length === rest.length ? node.value : undefined
    depth += node.path.length
    ref = node.child
  }
  return undefined
}

/**
 * The encodings of the nodes on the path to `key`, root first (an EIP-1186 proof; it proves absence when
 * the key is missing). Embedded nodes appear as their own entries, as @ethereumjs/mpt produces them.
 */
export function trieProof(loader: NodeLoader, root: NodeRef | undefined, keyBytes: Uint8Array): Uint8Array[] {
  const key = bytesToNibbles(keyBytes)
  const proof: Uint8Array[] = []
  let ref = root
  let depth = 0
  while (ref !== undefined) {
    if (ref instanceof Uint8Array && equalBytes(ref, EMPTY_ROOT) && depth === 0) break
    const node = ref instanceof Uint8Array ? loader.load(ref, depth) : ref
    proof.push(encodeNode(node))
    if (node.kind === BRANCH) {
      ref = childAt(node, key[depth] as number)
      depth++
      continue
    }
    const rest = key.subarray(depth)
    if (node.kind === LEAF || commonPrefixLength(node.path, rest) < node.path.length) break
    depth += node.path.length
    ref = node.child
  }
  return proof
}
