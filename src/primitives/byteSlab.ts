/**
 * Short-lived byte arrays of the trie path, as views into shared slabs.
 *
 * V8 keeps a typed array of up to 64 bytes inside the object; a larger one gets its own off-heap backing
 * store: a malloc, an ArrayBuffer extension the GC tracks, and a free on a helper thread once it dies. For the
 * 100–700-byte node encodings and records that every touched trie node allocates (and drops a block later),
 * that cost about 0.9 µs per array here, and a view into a larger buffer about 0.03 µs (docs/performance.md,
 * items 24 and 27).
 *
 * A view keeps its whole slab alive, so an array that outlives its block (a cached node's record) must be
 * made its own with `ownBytes`.
 */

/** One slab holds about 25 branch records; a few pinned slabs cost little. */
const SLAB_BYTES = 16 * 1024
/** Larger arrays get their own allocation: a slab would waste its tail on them. */
const MAX_SLAB_ALLOCATION = 1024
/** Up to this size V8 keeps the bytes inside the object, which is cheaper than any view. */
const MAX_ON_HEAP = 64

let slab = new ArrayBuffer(SLAB_BYTES)
let used = 0

/** A zeroed array of `length` bytes for data that dies young: a slab view when that is cheaper. */
export function transientBytes(length: number): Uint8Array {
  if (length <= MAX_ON_HEAP || length > MAX_SLAB_ALLOCATION) return new Uint8Array(length)
  if (used + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES)
    used = 0
  }
  const out = new Uint8Array(slab, used, length)
  used += length
  return out
}

/**
 * True when `bytes` is a view that keeps a larger allocation alive. Arrays of up to 64 bytes are not checked:
 * reading `.buffer` of an on-heap one would move its bytes off the heap. A small subarray of a slab view is
 * therefore missed, so code that keeps one copies it or points it into a copy of its parent (nodeStore.ts).
 */
export function isSharedView(bytes: Uint8Array): boolean {
  return bytes.length > MAX_ON_HEAP && bytes.byteLength !== bytes.buffer.byteLength
}

/** `bytes`, or a copy with its own allocation when it is a view into a larger one (a slab). */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return isSharedView(bytes) ? bytes.slice() : bytes
}
