import { keccak256 } from '../crypto/keccak.js'
import { EMPTY_ROOT } from './mutableTrie.js'
import { BRANCH, EXTENSION, LEAF, bytesToNibbles, encodeNode, type NodeRef, type TrieNode } from './trieNode.js'

/**
 * Builds a trie from entries sorted by (32-byte) key in one pass, encoding and hashing each node once and
 * handing it to `emit` as soon as its subtree is complete (children before parents), so memory stays
 * proportional to the trie depth: the genesis path for a large allocation. `emit` returns the reference the
 * parent keeps (the stored reference, with the node's location). Returns the root: what the root's `emit`
 * returned, or without `emit`, its hash.
 */
export function buildTrieFromSorted(
  count: number,
  keyAt: (i: number) => Uint8Array,
  valueAt: (i: number) => Uint8Array,
  emit?: (node: TrieNode, hash: Uint8Array) => Uint8Array,
): Uint8Array {
  if (count === 0) return EMPTY_ROOT
  const nibble = (key: Uint8Array, i: number) => ((key[i >> 1] as number) >> (i & 1 ? 0 : 4)) & 15

  // A child reference: what `emit` returned (or the hash), or the node itself when it embeds (< 32 bytes).
  const finish = (node: TrieNode, isRoot: boolean): NodeRef => {
    const enc = encodeNode(node)
    if (enc.length < 32 && !isRoot) return node
    const hash = keccak256(enc)
    return emit === undefined ? hash : emit(node, hash)
  }

  const build = (lo: number, hi: number, depth: number, isRoot: boolean): NodeRef => {
    const first = keyAt(lo)
    if (hi - lo === 1) {
      const leaf: TrieNode = { kind: LEAF, path: bytesToNibbles(first).subarray(depth), value: valueAt(lo), enc: undefined, hash: undefined, owner: undefined, loc: undefined }
      return finish(leaf, isRoot)
    }
    const last = keyAt(hi - 1)
    let shared = depth
    while (shared < 64 && nibble(first, shared) === nibble(last, shared)) shared++
    if (shared === 64) throw new Error('duplicate keys in a bulk trie build')
    const children: (NodeRef | undefined)[] = new Array(16).fill(undefined)
    let start = lo
    while (start < hi) {
      const n = nibble(keyAt(start), shared)
      let end = start + 1
      while (end < hi && nibble(keyAt(end), shared) === n) end++
      children[n] = build(start, end, shared + 1, false)
      start = end
    }
    const branch: TrieNode = { kind: BRANCH, children, source: undefined, enc: undefined, hash: undefined, owner: undefined, loc: undefined, record: undefined, stored: undefined }
    if (shared === depth) return finish(branch, isRoot)
    const path = bytesToNibbles(first).subarray(depth, shared)
    const extension: TrieNode = { kind: EXTENSION, path, child: finish(branch, false), enc: undefined, hash: undefined, owner: undefined, loc: undefined }
    return finish(extension, isRoot)
  }

  return build(0, count, 0, true) as Uint8Array
}

/** The order of `count` 32-byte keys packed in `keys` (key i at i * 32), ascending. */
export function sortPackedKeys(keys: Uint8Array, count: number): Uint32Array {
  const order = new Uint32Array(count)
  const prefix = new Uint32Array(count)
  for (let i = 0; i < count; i++) {
    order[i] = i
    const o = i * 32
    prefix[i] = (((keys[o] as number) << 24) | ((keys[o + 1] as number) << 16) | ((keys[o + 2] as number) << 8) | (keys[o + 3] as number)) >>> 0
  }
  order.sort((a, b) => {
    const pa = prefix[a] as number
    const pb = prefix[b] as number
    if (pa !== pb) return pa < pb ? -1 : 1
    for (let j = 4; j < 32; j++) {
      const d = (keys[a * 32 + j] as number) - (keys[b * 32 + j] as number)
      if (d !== 0) return d
    }
    return 0
  })
  return order
}

const PACKED_BLOCK = 8 * 1024 * 1024

/**
 * Store entries with keys of one fixed length, collected in packed buffers (not one object per entry) and
 * given back in the order they were added: the bulk path adds trie nodes in location order, so LMDB appends
 * to the B-tree's right edge instead of rewriting pages all over the file.
 */
export class PackedEntries {
  private keys: Uint8Array
  private blocks: Uint8Array[] = [new Uint8Array(PACKED_BLOCK)]
  private used = 0
  private where: Uint32Array // per entry: block, offset, length
  count = 0

  /** `expected`: an entry count estimate (sized up front so the arrays are not copied while growing). */
  constructor(
    private readonly keyBytes: number,
    expected = 1024,
  ) {
    const capacity = Math.max(1024, Math.ceil(expected))
    this.keys = new Uint8Array(keyBytes * capacity)
    this.where = new Uint32Array(3 * capacity)
  }

  add(key: Uint8Array, value: Uint8Array): void {
    if (key.length !== this.keyBytes) throw new Error(`a packed key of ${key.length} bytes`)
    if ((this.count + 1) * this.keyBytes > this.keys.length) {
      const grown = new Uint8Array(this.keys.length * 2)
      grown.set(this.keys)
      this.keys = grown
      const where = new Uint32Array(this.where.length * 2)
      where.set(this.where)
      this.where = where
    }
    if (this.used + value.length > PACKED_BLOCK) {
      this.blocks.push(new Uint8Array(Math.max(PACKED_BLOCK, value.length)))
      this.used = 0
    }
    const block = this.blocks[this.blocks.length - 1] as Uint8Array
    block.set(value, this.used)
    this.keys.set(key, this.count * this.keyBytes)
    this.where.set([this.blocks.length - 1, this.used, value.length], this.count * 3)
    this.used += value.length
    this.count++
  }

  /** Every entry as [key, value] in the order added (views into the packed buffers). */
  *entries(): Generator<readonly [Uint8Array, Uint8Array]> {
    const k = this.keyBytes
    for (let n = 0; n < this.count; n++) {
      const block = this.where[n * 3] as number
      const offset = this.where[n * 3 + 1] as number
      const length = this.where[n * 3 + 2] as number
      yield [this.keys.subarray(n * k, n * k + k), (this.blocks[block] as Uint8Array).subarray(offset, offset + length)]
    }
  }
}
