/**
 * Strings from bytes for map keys and hex output, on Node only (bytes.ts stays Buffer-free for the browser).
 *
 * `Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(…)` looks free, but reading
 * `.buffer` of a small Uint8Array (V8 keeps up to 64 bytes inside the object itself: hashes, addresses,
 * keys) makes V8 move its bytes to a new backing store first: a malloc, a copy and an external buffer
 * for the GC to sweep, about 0.5 µs per call on this host (docs/performance.md, item 21). Buffer's own
 * hexSlice and latin1Slice read any Uint8Array where it is. They are not in Node's documentation, but
 * every Buffer's toString goes through them; if a Node version lacks them, the old way is used.
 */
type SliceToString = (this: Uint8Array, start: number, end: number) => string

const bufferMethods = Buffer.prototype as unknown as { hexSlice?: SliceToString; latin1Slice?: SliceToString }
const hexSlice = checked(bufferMethods.hexSlice, 'hex')
const latin1Slice = checked(bufferMethods.latin1Slice, 'latin1')

/** The method if it gives what Buffer#toString gives on a known input, else undefined. */
function checked(method: SliceToString | undefined, encoding: 'hex' | 'latin1'): SliceToString | undefined {
  if (typeof method !== 'function') return undefined
  const probe = Uint8Array.of(0x00, 0x7f, 0x80, 0xab, 0xff)
  try {
    return method.call(probe, 0, probe.length) === Buffer.from(probe).toString(encoding) ? method : undefined
  } catch {
    return undefined
  }
}

/** Lowercase hex without 0x, as `Buffer#toString('hex')`. */
export function hexOfBytes(bytes: Uint8Array): string {
  if (hexSlice !== undefined) return hexSlice.call(bytes, 0, bytes.length)
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** One character per byte, as `Buffer#toString('latin1')`: the most compact string key. */
export function latin1OfBytes(bytes: Uint8Array): string {
  if (latin1Slice !== undefined) return latin1Slice.call(bytes, 0, bytes.length)
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}
