import { ErrorCode, SteleError } from '../primitives/errors.js'
import {
  MAX_SYNC_BLOCK_BYTES,
  MAX_SYNC_BLOCKS_PER_REQUEST,
  MAX_SYNC_RESPONSE_BYTES,
  type PeerStatus,
} from './network.js'

/**
 * Wire format of the `/stele/sync/1` request/response protocol (docs/spec/p2p.md). Everything is a
 * frame: a 4-byte big-endian length, then that many bytes. The requester sends one request frame and
 * closes its side; the responder sends a header frame, then (for blocks) one frame per block.
 */

export const SYNC_PROTOCOL = '/stele/sync/1'

export const REQUEST_STATUS = 0x01
export const REQUEST_BLOCKS = 0x02
export const RESPONSE_OK = 0x00
export const RESPONSE_ERROR = 0x01

/** Longest request frame: kind ‖ from (u64) ‖ count (u32). */
export const MAX_REQUEST_FRAME_BYTES = 13
const HASH_BYTES = 32
const MAX_ERROR_REASON_BYTES = 200
const U64_MAX = (1n << 64n) - 1n

export type SyncWireRequest = { kind: 'status' } | { kind: 'blocks'; from: bigint; count: number }

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length)
  new DataView(out.buffer).setUint32(0, payload.length)
  out.set(payload, 4)
  return out
}

export function encodeSyncRequest(request: SyncWireRequest): Uint8Array {
  if (request.kind === 'status') return Uint8Array.of(REQUEST_STATUS)
  checkBlockRange(request.from, request.count)
  const out = new Uint8Array(13)
  const view = new DataView(out.buffer)
  out[0] = REQUEST_BLOCKS
  view.setBigUint64(1, request.from)
  view.setUint32(9, request.count)
  return out
}

export function decodeSyncRequest(payload: Uint8Array): SyncWireRequest {
  const kind = payload[0]
  if (kind === REQUEST_STATUS && payload.length === 1) return { kind: 'status' }
  if (kind === REQUEST_BLOCKS && payload.length === 13) {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
    const from = view.getBigUint64(1)
    const count = view.getUint32(9)
    checkBlockRange(from, count)
    return { kind: 'blocks', from, count }
  }
  throw new SteleError(ErrorCode.Network, 'malformed sync request', { details: { length: payload.length, kind } })
}

function checkBlockRange(from: bigint, count: number): void {
  if (from < 0n || from > U64_MAX) throw new SteleError(ErrorCode.Network, 'sync height out of range')
  if (!Number.isInteger(count) || count < 1 || count > MAX_SYNC_BLOCKS_PER_REQUEST) {
    throw new SteleError(ErrorCode.Network, `sync count must be 1..${MAX_SYNC_BLOCKS_PER_REQUEST}`, {
      details: { count },
    })
  }
}

export function encodeStatusResponse(status: PeerStatus): Uint8Array {
  if (status.headHash.length !== HASH_BYTES) throw new SteleError(ErrorCode.InvalidInput, 'head hash must be 32 bytes')
  if (status.head < 0n || status.head > U64_MAX) throw new SteleError(ErrorCode.InvalidInput, 'head out of range')
  const out = new Uint8Array(1 + 8 + HASH_BYTES)
  out[0] = RESPONSE_OK
  new DataView(out.buffer).setBigUint64(1, status.head)
  out.set(status.headHash, 9)
  return out
}

export function decodeStatusResponse(payload: Uint8Array): PeerStatus {
  throwIfErrorResponse(payload)
  if (payload[0] !== RESPONSE_OK || payload.length !== 1 + 8 + HASH_BYTES) {
    throw new SteleError(ErrorCode.Network, 'malformed status response', { details: { length: payload.length } })
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  return { head: view.getBigUint64(1), headHash: payload.slice(9) }
}

/** Header of a blocks response: how many block frames follow. */
export function encodeBlocksHeader(count: number): Uint8Array {
  const out = new Uint8Array(5)
  out[0] = RESPONSE_OK
  new DataView(out.buffer).setUint32(1, count)
  return out
}

export function decodeBlocksHeader(payload: Uint8Array): number {
  throwIfErrorResponse(payload)
  if (payload[0] !== RESPONSE_OK || payload.length !== 5) {
    throw new SteleError(ErrorCode.Network, 'malformed blocks response header', { details: { length: payload.length } })
  }
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(1)
}

export function encodeErrorResponse(reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason).slice(0, MAX_ERROR_REASON_BYTES)
  const out = new Uint8Array(1 + text.length)
  out[0] = RESPONSE_ERROR
  out.set(text, 1)
  return out
}

function throwIfErrorResponse(payload: Uint8Array): void {
  if (payload[0] !== RESPONSE_ERROR) return
  const reason = new TextDecoder().decode(payload.subarray(1, 1 + MAX_ERROR_REASON_BYTES))
  throw new SteleError(ErrorCode.Network, `peer refused sync request: ${reason}`)
}

/**
 * Splits a byte stream into frames. Refuses a declared length above `maxFrameBytes` before buffering
 * it, so a hostile peer cannot make us allocate much.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number
  #chunks: Uint8Array[] = []
  #buffered = 0

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes
  }

  /** Bytes received but not yet returned as a frame. */
  get buffered(): number {
    return this.#buffered
  }

  /** Adds bytes; returns every frame now complete, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk)
      this.#buffered += chunk.length
    }
    const frames: Uint8Array[] = []
    for (;;) {
      if (this.#buffered < 4) break
      const head = this.#peek(4)
      const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0)
      if (length > this.#maxFrameBytes) {
        throw new SteleError(ErrorCode.Network, 'sync frame too large', {
          details: { length, max: this.#maxFrameBytes },
        })
      }
      if (this.#buffered < 4 + length) break
      this.#take(4)
      frames.push(this.#take(length))
    }
    return frames
  }

  #peek(n: number): Uint8Array {
    const first = this.#chunks[0] as Uint8Array
    if (first.length >= n) return first.subarray(0, n)
    return this.#gather(n, false)
  }

  #take(n: number): Uint8Array {
    return this.#gather(n, true)
  }

  #gather(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    let index = 0
    while (filled < n) {
      const chunk = this.#chunks[index] as Uint8Array
      const part = Math.min(chunk.length, n - filled)
      out.set(chunk.subarray(0, part), filled)
      filled += part
      if (consume && part === chunk.length) {
        this.#chunks.shift()
      } else if (consume) {
        this.#chunks[index] = chunk.subarray(part)
      } else {
        index++
      }
    }
    if (consume) this.#buffered -= n
    return out
  }
}

/**
 * What a responder actually sends for a blocks request: at most `count` blocks, none larger than
 * MAX_SYNC_BLOCK_BYTES, stopping once MAX_SYNC_RESPONSE_BYTES is reached (but always one block if the
 * first fits), so a handler returning too much cannot produce a response the requester will refuse.
 */
export function boundSyncResponse(blocks: readonly Uint8Array[], count: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let total = 0
  for (const block of blocks) {
    if (out.length >= count || block.length > MAX_SYNC_BLOCK_BYTES) break
    if (out.length > 0 && total + block.length > MAX_SYNC_RESPONSE_BYTES) break
    out.push(block)
    total += block.length
  }
  return out
}
