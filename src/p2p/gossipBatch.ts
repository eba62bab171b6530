import { ErrorCode, SteleError } from '../primitives/errors.js'

/**
 * Several small payloads in one gossip message: each is a 4-byte big-endian length then its bytes.
 * gossipsub's per-message cost (framing, encryption, duplicate forwarding) dominates for transactions
 * of a few hundred bytes, so libp2pNetwork coalesces a burst of publishes on batched topics into one.
 */
export function encodeGossipBatch(items: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const item of items) length += 4 + item.length
  const out = new Uint8Array(length)
  const view = new DataView(out.buffer)
  let offset = 0
  for (const item of items) {
    view.setUint32(offset, item.length)
    out.set(item, offset + 4)
    offset += 4 + item.length
  }
  return out
}

/** Splits a batch; throws NETWORK if it is malformed, empty, or holds an item over `maxItemBytes`. */
export function decodeGossipBatch(batch: Uint8Array, maxItemBytes: number): Uint8Array[] {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength)
  const items: Uint8Array[] = []
  let offset = 0
  while (offset < batch.length) {
    if (offset + 4 > batch.length) throw new SteleError(ErrorCode.Network, 'gossip batch truncated')
    const length = view.getUint32(offset)
    if (length > maxItemBytes) throw new SteleError(ErrorCode.Network, 'gossip batch item too large', { details: { length } })
    if (offset + 4 + length > batch.length) throw new SteleError(ErrorCode.Network, 'gossip batch truncated')
    items.push(batch.subarray(offset + 4, offset + 4 + length))
    offset += 4 + length
  }
  if (items.length === 0) throw new SteleError(ErrorCode.Network, 'empty gossip batch')
  return items
}
