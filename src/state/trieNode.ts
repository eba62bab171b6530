import { keccak256 } from '../crypto/keccak.js'
import { transientBytes } from '../primitives/byteSlab.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'

/**
 * Ethereum Merkle-Patricia trie nodes, with our own RLP codec: node encoding and hashing are the hot path
 * of state-root computation, and a general RLP library allocates far more than these fixed shapes need.
 *
 * A child is referenced either by the node object (loaded or newly built) or by bytes (not loaded yet): a
 * stored reference, the 32-byte hash followed by the node's 8-byte location in the store (ADR 0012), or
 * for a trie's root, its 32-byte hash alone. Nodes whose encoding is shorter than 32 bytes are embedded in
 * their parent, never by reference.
 */
export type NodeRef = TrieNode | Uint8Array

/**
 * A branch's child slot. A committed branch (decoded from its record, or released once its record is written)
 * holds each child it references by hash as a number: where that child's hash and location sit in the
 * record (`source`); childAt makes a reference of it when the child is visited. Decoding a full branch then
 * allocates nothing per child, and re-encoding a copy takes the untouched children's hashes from the record.
 */
export type ChildSlot = NodeRef | number | undefined

/** Bytes of a stored reference: hash (32) ‖ location (8, big-endian). */
export const STORED_REF_BYTES = 40

/**
 * The hash a reference names (a stored reference carries its location after it): a copy for a stored
 * reference. Not a subarray: a view of a small typed array makes V8 move its bytes to a new backing store
 * first, which cost more than the copy (docs/performance.md, items 21 and 23).
 */
export function refHash(ref: Uint8Array): Uint8Array {
  return ref.length === STORED_REF_BYTES ? ref.slice(0, 32) : ref
}

/** Writes the 32-byte hash a reference names at `offset`, without a view or a copy of the reference. */
function writeRefHash(out: Uint8Array, offset: number, ref: Uint8Array): void {
  for (let i = 0; i < 32; i++) out[offset + i] = ref[i] as number
}

export const BRANCH = 0
export const EXTENSION = 1
export const LEAF = 2

interface NodeBase {
  /** RLP encoding; undefined while the node is dirty (changed since it was last encoded). */
  enc: Uint8Array | undefined
  /** keccak256(enc), computed on demand. */
  hash: Uint8Array | undefined
  /** The trie session allowed to mutate this node in place; undefined for shared (committed) nodes. */
  owner: object | undefined
  /** Where the node is stored (nodeStore.ts), once it is; undefined for new and embedded nodes. */
  loc: number | undefined
}
export interface BranchNode extends NodeBase {
  kind: typeof BRANCH
  children: ChildSlot[]
  /** The stored record that the numeric child slots point into; undefined when there are none. */
  source: Uint8Array | undefined
  /**
   * The allocation `enc` is the start of, with room after it for the locations of the children referenced by
   * hash: encodeStoredNode fills them in once, instead of copying the encoding into a record (an off-heap
   * allocation and a copy per stored branch). Undefined when there is no such room.
   */
  record: Uint8Array | undefined
  /** The record encodeStoredNode wrote last, until adoptRecord makes it the node's source. */
  stored: Uint8Array | undefined
}
export interface ExtensionNode extends NodeBase {
  kind: typeof EXTENSION
  /** Nibbles. */
  path: Uint8Array
  child: NodeRef
}
export interface LeafNode extends NodeBase {
  kind: typeof LEAF
  path: Uint8Array
  value: Uint8Array
}
export type TrieNode = BranchNode | ExtensionNode | LeafNode

export function isNode(ref: ChildSlot): ref is TrieNode {
  return typeof ref === 'object' && !(ref instanceof Uint8Array)
}

/** A numeric slot: the child's hash at `at` in the source record and its location at `locAt`. */
function slotOf(at: number, locAt: number): number {
  return at + locAt * SLOT_SPAN
}
/** Where a slot's hash sits in its source record. */
function slotHashAt(slot: number): number {
  return slot % SLOT_SPAN
}
/** Where a slot's location sits in its source record. */
function slotLocationAt(slot: number): number {
  return Math.floor(slot / SLOT_SPAN)
}
/** Records are under 1 KiB (a full branch and its 16 locations: 660 bytes), so both offsets fit in one small integer. */
const SLOT_SPAN = 1024

/**
 * The branch's child `i` as a reference: a numeric slot becomes a new stored reference (not kept in the
 * slot, so reading a shared branch never writes to it).
 */
export function childAt(node: BranchNode, i: number): NodeRef | undefined {
  const slot = node.children[i]
  if (typeof slot !== 'number') return slot
  return storedRefAt(node.source as Uint8Array, slotHashAt(slot), slotLocationAt(slot))
}

/**
 * The location of the branch's child `i` when the child is referenced by hash (a slot or a stored reference),
 * without making a reference; undefined for an empty slot, an embedded node, or a node object.
 */
export function storedChildLocation(node: BranchNode, i: number): number | undefined {
  const slot = node.children[i]
  if (typeof slot === 'number') return readLocation(node.source as Uint8Array, slotLocationAt(slot))
  return slot instanceof Uint8Array && slot.length === STORED_REF_BYTES ? readLocation(slot, 32) : undefined
}

/** A stored reference copied from a record: the hash at `at`, the location at `locAt`. */
function storedRefAt(record: Uint8Array, at: number, locAt: number): Uint8Array {
  const out = new Uint8Array(STORED_REF_BYTES)
  for (let k = 0; k < 32; k++) out[k] = record[at + k] as number
  for (let k = 0; k < 8; k++) out[32 + k] = record[locAt + k] as number
  return out
}

/** True when the branch's child `i` is a stored reference flagged as a leaf, without materializing it. */
export function isLeafChild(node: BranchNode, i: number): boolean {
  const slot = node.children[i]
  if (typeof slot === 'number') return (((node.source as Uint8Array)[slotLocationAt(slot)] as number) & LEAF_FLAG) !== 0
  return slot instanceof Uint8Array && isLeafRef(slot)
}

export function bytesToNibbles(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    out[2 * i] = b >> 4
    out[2 * i + 1] = b & 15
  }
  return out
}

/** Encodes the node (and any dirty descendants) and returns its encoding. */
export function encodeNode(node: TrieNode): Uint8Array {
  if (node.enc !== undefined) return node.enc
  let enc: Uint8Array
  if (node.kind === LEAF) {
    enc = encodeShortNode(node.path, true, node.value, false)
  } else if (node.kind === EXTENSION) {
    enc = encodeShortNode(node.path, false, encodeRef(node.child), true)
  } else {
    enc = encodeBranch(node)
  }
  node.enc = enc
  node.hash = undefined
  return enc
}

export function nodeHash(node: TrieNode): Uint8Array {
  if (node.hash !== undefined && node.enc !== undefined) return node.hash
  const enc = encodeNode(node)
  node.hash = keccak256(enc)
  return node.hash
}

/** A leaf or extension: [hex-prefixed path, value or child reference] written in one buffer. */
function encodeShortNode(path: Uint8Array, leaf: boolean, second: Uint8Array, secondIsEncoded: boolean): Uint8Array {
  const hp = hexPrefix(path, leaf)
  if (second.length >= 0xff00) {
    return encodeList([encodeString(hp), secondIsEncoded ? second : encodeString(second)])
  }
  const hpLength = hp.length === 1 && (hp[0] as number) < 0x80 ? 1 : hp.length + (hp.length < 56 ? 1 : 2)
  const secondHeader = secondIsEncoded || (second.length === 1 && (second[0] as number) < 0x80) ? 0 : second.length < 56 ? 1 : second.length < 256 ? 2 : 3
  const payload = hpLength + secondHeader + second.length
  const out = transientBytes(listHeaderLength(payload) + payload)
  let o = writeListHeader(out, payload)
  if (hpLength === 1) out[o++] = hp[0] as number
  else {
    if (hp.length < 56) out[o++] = 0x80 + hp.length
    else {
      out[o++] = 0xb8
      out[o++] = hp.length
    }
    out.set(hp, o)
    o += hp.length
  }
  if (secondHeader === 1) out[o++] = 0x80 + second.length
  else if (secondHeader === 2) {
    out[o++] = 0xb8
    out[o++] = second.length
  } else if (secondHeader === 3) {
    out[o++] = 0xb9
    out[o++] = second.length >> 8
    out[o++] = second.length & 0xff
  }
  out.set(second, o)
  return out
}

// Branches are most of the hashing work: encode them into one buffer, sized in a first pass that encodes
// and hashes the children (both cached on them), with room for the stored record's child locations.
function encodeBranch(node: BranchNode): Uint8Array {
  const children = node.children
  let payload = 1 // the (always empty) value slot
  let hashed = 0
  for (let i = 0; i < 16; i++) {
    const child = children[i]
    if (child === undefined) payload += 1
    else if (typeof child === 'number' || child instanceof Uint8Array) {
      payload += 33
      hashed++
    } else {
      const enc = encodeNode(child)
      if (enc.length < 32) payload += enc.length
      else {
        nodeHash(child)
        payload += 33
        hashed++
      }
    }
  }
  const length = listHeaderLength(payload) + payload
  const total = length + 8 * hashed
  let out: Uint8Array
  // A view of an array of up to 64 bytes would make V8 move its bytes first (docs/performance.md, item 21).
  if (hashed > 0 && total > 64) {
    node.record = transientBytes(total)
    out = node.record.subarray(0, length)
  } else {
    node.record = undefined
    out = transientBytes(length)
  }
  let offset = writeListHeader(out, payload)
  for (let i = 0; i < 16; i++) {
    const child = children[i]
    if (child === undefined) out[offset++] = 0x80
    else if (typeof child === 'number') {
      out[offset++] = 0xa0
      const source = node.source as Uint8Array
      const at = slotHashAt(child)
      for (let k = 0; k < 32; k++) out[offset + k] = source[at + k] as number
      offset += 32
    } else if (child instanceof Uint8Array) {
      out[offset++] = 0xa0
      writeRefHash(out, offset, child)
      offset += 32
    } else {
      const enc = child.enc as Uint8Array
      if (enc.length < 32) {
        out.set(enc, offset)
        offset += enc.length
      } else {
        out[offset++] = 0xa0
        out.set(child.hash as Uint8Array, offset)
        offset += 32
      }
    }
  }
  out[offset] = 0x80
  return out
}

/** Bytes of an RLP list header for a payload under 64 KiB (every trie node's). */
function listHeaderLength(payload: number): number {
  return payload < 56 ? 1 : payload < 256 ? 2 : 3
}

/** Writes the list header at the start of `out`; returns where the payload starts. */
function writeListHeader(out: Uint8Array, payload: number): number {
  if (payload < 56) {
    out[0] = 0xc0 + payload
    return 1
  }
  if (payload < 256) {
    out[0] = 0xf8
    out[1] = payload
    return 2
  }
  out[0] = 0xf9
  out[1] = payload >> 8
  out[2] = payload & 0xff
  return 3
}

/** How a parent refers to a child: the embedded encoding when shorter than 32 bytes, else its hash. */
function encodeRef(ref: NodeRef): Uint8Array {
  if (ref instanceof Uint8Array) return encodeHashString(ref)
  const enc = encodeNode(ref)
  return enc.length < 32 ? enc : encodeHashString(nodeHash(ref))
}


/** RLP of a reference's 32-byte hash (a stored reference's location is not part of it). */
function encodeHashString(ref: Uint8Array): Uint8Array {
  const out = new Uint8Array(33)
  out[0] = 0xa0
  writeRefHash(out, 1, ref)
  return out
}

function encodeString(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 1 && (bytes[0] as number) < 0x80) return bytes
  const header = lengthHeader(bytes.length, 0x80)
  const out = new Uint8Array(header.length + bytes.length)
  out.set(header, 0)
  out.set(bytes, header.length)
  return out
}

function encodeList(items: Uint8Array[]): Uint8Array {
  let length = 0
  for (const item of items) length += item.length
  const header = lengthHeader(length, 0xc0)
  const out = new Uint8Array(header.length + length)
  out.set(header, 0)
  let offset = header.length
  for (const item of items) {
    out.set(item, offset)
    offset += item.length
  }
  return out
}

function lengthHeader(length: number, offset: number): Uint8Array {
  if (length < 56) return Uint8Array.of(offset + length)
  if (length < 0x100) return Uint8Array.of(offset + 56, length)
  if (length < 0x10000) return Uint8Array.of(offset + 57, length >> 8, length & 0xff)
  return Uint8Array.of(offset + 58, length >> 16, (length >> 8) & 0xff, length & 0xff)
}

function hexPrefix(path: Uint8Array, leaf: boolean): Uint8Array {
  const odd = path.length % 2
  const out = new Uint8Array((path.length >> 1) + 1)
  const flag = (leaf ? 2 : 0) + odd
  let i = 0
  if (odd) {
    out[0] = (flag << 4) | (path[0] as number)
    i = 1
  } else {
    out[0] = flag << 4
  }
  for (let o = 1; i < path.length; i += 2, o++) out[o] = ((path[i] as number) << 4) | (path[i + 1] as number)
  return out
}

/**
 * A stored reference to a node: its hash, then its location (ADR 0012). The location's top bit marks a
 * leaf (LEAF_FLAG), in memory and in a parent's record: a trie update that knows its key is present can then
 * replace that leaf without reading it (MutableTrie.put). Locations stay far below 2^55.
 */
export function storedRef(hash: Uint8Array, loc: number, leaf = false): Uint8Array {
  const out = new Uint8Array(STORED_REF_BYTES)
  out.set(hash, 0)
  writeLocation(out, 32, loc)
  if (leaf) out[32] = (out[32] as number) | LEAF_FLAG
  return out
}

/** In the first byte of a child's location: the child is a leaf. Records written before the flag have none. */
const LEAF_FLAG = 0x80

/** True for a stored reference flagged as a leaf (false when unknown). */
export function isLeafRef(ref: Uint8Array): boolean {
  return ref.length === STORED_REF_BYTES && ((ref[32] as number) & LEAF_FLAG) !== 0
}

/** A location as the store's 8-byte big-endian key. */
export function locationKey(loc: number): Uint8Array {
  const out = new Uint8Array(8)
  writeLocation(out, 0, loc)
  return out
}

/** The location at `at`, without the leaf flag. */
export function readLocation(bytes: Uint8Array, at: number): number {
  let hi = (bytes[at] as number) & ~LEAF_FLAG
  let lo = bytes[at + 4] as number
  for (let i = 1; i < 4; i++) {
    hi = hi * 256 + (bytes[at + i] as number)
    lo = lo * 256 + (bytes[at + 4 + i] as number)
  }
  return hi * 2 ** 32 + lo
}

export function writeLocation(out: Uint8Array, at: number, loc: number): void {
  let hi = Math.floor(loc / 2 ** 32)
  let lo = loc >>> 0
  for (let i = 3; i >= 0; i--) {
    out[at + i] = hi & 0xff
    out[at + 4 + i] = lo & 0xff
    hi >>>= 8
    lo >>>= 8
  }
}

/**
 * A stored node's record (ADR 0012): the node's standard encoding, then the 8-byte location of each child it
 * references by hash, in child order. The children must be stored already: each is a stored reference or a
 * node with its `loc` set.
 */
export function encodeStoredNode(node: TrieNode): Uint8Array {
  const enc = encodeNode(node)
  if (node.kind === LEAF) return enc
  let hashed = 0
  if (node.kind === EXTENSION) {
    if (childLocation(node.child, hashed)) hashed++
  } else {
    node.stored = undefined
    for (const child of node.children) {
      if (child === undefined) continue
      if (typeof child === 'number') {
        const source = node.source as Uint8Array
        const locAt = slotLocationAt(child)
        childLocations[hashed] = readLocation(source, locAt)
        childIsLeaf[hashed++] = ((source[locAt] as number) & LEAF_FLAG) !== 0 ? 1 : 0
      } else if (childLocation(child, hashed)) hashed++
    }
  }
  if (hashed === 0) return enc
  let out: Uint8Array
  if (node.kind === BRANCH && node.record !== undefined) {
    // Filled once: persisting again (new locations) must not change a record already in a batch.
    out = node.record
    node.record = undefined
    if (out.length !== enc.length + 8 * hashed) throw new SteleError(ErrorCode.Internal, 'a branch record sized for other children')
  } else {
    out = transientBytes(enc.length + 8 * hashed)
    out.set(enc, 0)
  }
  for (let i = 0; i < hashed; i++) {
    const at = enc.length + 8 * i
    writeLocation(out, at, childLocations[i] as number)
    if (childIsLeaf[i] === 1) out[at] = (out[at] as number) | LEAF_FLAG
  }
  if (node.kind === BRANCH) node.stored = out
  return out
}

/**
 * Once a branch's record is durable (MutableTrie.release): its children referenced by hash become numeric
 * slots of that record, which becomes the branch's source. A shared branch then holds no node or reference
 * per child, and no record of an older version. Returns false when the branch has no such record.
 */
export function adoptRecord(node: BranchNode): boolean {
  const record = node.stored
  if (record === undefined) return false
  node.stored = undefined
  listAt(record, 0)
  let at = item[0] as number
  let locAt = item[3] as number
  for (let i = 0; i < 16; i++) {
    const b = record[at] as number
    if (b === 0xa0) {
      node.children[i] = slotOf(at + 1, locAt)
      locAt += 8
      at += 33
    } else if (b === 0x80) at++
    else {
      // An embedded node (shorter than a hash): it stays in the slot as a node.
      listAt(record, at)
      at = item[3] as number
    }
  }
  if (locAt !== record.length) throw new SteleError(ErrorCode.Internal, 'a branch record with other children than its node')
  node.source = record
  return true
}

/** encodeStoredNode's scratch: the locations of a node's hashed children (at most 16), and which are leaves. */
const childLocations = new Float64Array(16)
const childIsLeaf = new Uint8Array(16)

/** Records the location of a child referenced by hash in slot `i` of the scratch; false for an embedded child. */
function childLocation(child: NodeRef, i: number): boolean {
  if (child instanceof Uint8Array) {
    if (child.length !== STORED_REF_BYTES) throw new SteleError(ErrorCode.Internal, 'a trie child referenced by hash without its location')
    childLocations[i] = readLocation(child, 32)
    childIsLeaf[i] = isLeafRef(child) ? 1 : 0
    return true
  }
  if (encodeNode(child).length < 32) return false
  if (child.loc === undefined) throw new SteleError(ErrorCode.Internal, 'a trie node stored before its child')
  childLocations[i] = child.loc
  childIsLeaf[i] = child.kind === LEAF ? 1 : 0
  return true
}

/** Decodes a record written by encodeStoredNode: children referenced by hash come back as stored references. */
export function decodeStoredNode(record: Uint8Array, hash: Uint8Array, loc: number): TrieNode {
  try {
    listAt(record, 0)
    locationAt = item[3] as number
    const node = decodeNodeAt(record, 0, hash, true)
    if (locationAt !== record.length) throw new Error('trailing bytes')
    node.loc = loc
    return node
  } catch (cause) {
    throw new SteleError(ErrorCode.Storage, 'corrupt trie node', { cause })
  }
}

/**
 * The last item read by itemAt or listAt: start, end, is a list (1 or 0), and where the next item starts.
 * Shared scratch, read into locals before the next call: decoding allocates nothing per item.
 */
const item = new Int32Array(4)
/** decodeStoredNode's next unread child location in the record. */
let locationAt = 0

/**
 * Decodes the node at `pos`; strings are views into `enc`. At the top of a stored record (`stored`), each
 * child referenced by hash becomes a stored reference with the next location. An embedded node is shorter
 * than a hash reference, so it never holds one.
 */
function decodeNodeAt(enc: Uint8Array, pos: number, hash: Uint8Array | undefined, stored: boolean): TrieNode {
  listAt(enc, pos)
  const start = item[0] as number
  const end = item[1] as number
  const next = item[3] as number
  let count = 0
  for (let at = start; at < end; count++) {
    itemAt(enc, at)
    at = item[3] as number
    if (at > end) throw new Error('list overruns')
  }
  const self = enc.subarray(pos, next)
  if (count === 17) {
    const children: ChildSlot[] = new Array(16)
    let at = start
    for (let i = 0; i < 16; i++) {
      itemAt(enc, at)
      const s = item[0] as number
      const e = item[1] as number
      const childIsList = item[2] === 1
      const childNext = item[3] as number
      if (childIsList) children[i] = decodeNodeAt(enc, at, undefined, false)
      else if (e - s === 32) children[i] = stored ? storedSlot(enc, s) : enc.subarray(s, e)
      else if (e === s) children[i] = undefined
      else throw new Error(`bad branch child of length ${e - s}`)
      at = childNext
    }
    return { kind: BRANCH, children, source: stored ? enc : undefined, enc: self, hash, owner: undefined, loc: undefined, record: undefined, stored: undefined }
  }
  if (count !== 2) throw new Error(`trie node with ${count} items`)
  itemAt(enc, start)
  const ps = item[0] as number
  const pe = item[1] as number
  const vPos = item[3] as number
  if (item[2] === 1 || pe === ps) throw new Error('bad node path')
  const flag = (enc[ps] as number) >> 4
  const path = pathNibbles(enc, ps, pe, (flag & 1) === 1)
  itemAt(enc, vPos)
  const vs = item[0] as number
  const ve = item[1] as number
  const vIsList = item[2] === 1
  if (flag >= 2) {
    if (vIsList) throw new Error('leaf value is a list')
    return { kind: LEAF, path, value: enc.subarray(vs, ve), enc: self, hash, owner: undefined, loc: undefined }
  }
  let child: NodeRef
  if (vIsList) child = decodeNodeAt(enc, vPos, undefined, false)
  else if (ve - vs === 32) child = stored ? storedChild(enc, vs) : enc.subarray(vs, ve)
  else throw new Error('bad extension child')
  return { kind: EXTENSION, path, child, enc: self, hash, owner: undefined, loc: undefined }
}

/** The hash at `at` and the record's next child location, as a numeric slot (ChildSlot). */
function storedSlot(enc: Uint8Array, at: number): number {
  if (locationAt + 8 > enc.length) throw new Error('missing child locations')
  const slot = slotOf(at, locationAt)
  locationAt += 8
  return slot
}

/** The hash at `at` and the record's next child location, as one stored reference. */
function storedChild(enc: Uint8Array, at: number): Uint8Array {
  if (locationAt + 8 > enc.length) throw new Error('missing child locations')
  const out = storedRefAt(enc, at, locationAt)
  locationAt += 8
  return out
}

/** The nibbles of a hex-prefixed path (its first byte holds the flag, and with `odd`, the first nibble). */
function pathNibbles(enc: Uint8Array, start: number, end: number, odd: boolean): Uint8Array {
  const out = new Uint8Array((end - start - 1) * 2 + (odd ? 1 : 0))
  let k = 0
  if (odd) out[k++] = (enc[start] as number) & 15
  for (let i = start + 1; i < end; i++) {
    const b = enc[i] as number
    out[k++] = b >> 4
    out[k++] = b & 15
  }
  return out
}

function listAt(enc: Uint8Array, pos: number): void {
  const b = enc[pos]
  if (b === undefined || b < 0xc0) throw new Error('expected a list')
  if (b <= 0xf7) {
    setItem(pos + 1, pos + 1 + (b - 0xc0), 1)
    return
  }
  const lenLen = b - 0xf7
  const length = readLength(enc, pos + 1, lenLen)
  setItem(pos + 1 + lenLen, pos + 1 + lenLen + length, 1)
}

function itemAt(enc: Uint8Array, pos: number): void {
  const b = enc[pos]
  if (b === undefined) throw new Error('truncated')
  if (b < 0x80) setItem(pos, pos + 1, 0)
  else if (b <= 0xb7) setItem(pos + 1, pos + 1 + (b - 0x80), 0)
  else if (b < 0xc0) {
    const lenLen = b - 0xb7
    const start = pos + 1 + lenLen
    setItem(start, start + readLength(enc, pos + 1, lenLen), 0)
  } else listAt(enc, pos)
}

/** A string's or list's bounds; the next item starts where it ends. */
function setItem(start: number, end: number, isList: 0 | 1): void {
  item[0] = start
  item[1] = end
  item[2] = isList
  item[3] = end
}

function readLength(enc: Uint8Array, pos: number, lenLen: number): number {
  let length = 0
  for (let i = 0; i < lenLen; i++) {
    const b = enc[pos + i]
    if (b === undefined) throw new Error('truncated length')
    length = length * 256 + b
  }
  if (pos + lenLen + length > enc.length) throw new Error('truncated item')
  return length
}
