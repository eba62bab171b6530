import type { Block } from '../chain/types.js'
import { bytesToHex, isHex } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { ANCHOR_HASH_BYTES, MAX_ANCHORS_PER_CALL, type AnchorLocation } from './anchorIndex.js'
import { decodeHex } from './verify/hex.js'

/** The answer to stele_anchor for one hash. */
export type AnchorStatus =
  | { hash: Uint8Array; status: 'pending' }
  | ({ hash: Uint8Array; status: 'anchored' } & AnchorLocation)

export interface AnchorPoolOptions {
  /** Where a hash was anchored on chain, if it was (lookupAnchor over the node's store). */
  lookup(hash: Uint8Array): AnchorLocation | undefined
  /** Pending hashes the pool holds at most; a batch that would exceed it is refused whole. */
  maxPending?: number
}

export interface AnchorPool {
  /**
   * Validates and queues a batch (stele_anchor). All or nothing: a batch with any malformed hash, or more than
   * MAX_ANCHORS_PER_CALL hashes, admits none. Hashes already anchored report their first anchoring; hashes
   * already pending stay where they are in the queue.
   */
  submit(hashes: readonly Uint8Array[]): AnchorStatus[]
  status(hash: Uint8Array): AnchorStatus | undefined
  /** The oldest pending hashes, for the block builder. They stay pending until a block commits them. */
  take(max: number): Uint8Array[]
  /** Drops the committed block's anchors from the queue (whoever proposed it). */
  onBlockCommitted(block: Pick<Block, 'anchors'>): void
  readonly pendingCount: number
}

export const DEFAULT_MAX_PENDING_ANCHORS = 1_000_000

export function createAnchorPool(options: AnchorPoolOptions): AnchorPool {
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_ANCHORS
  // A Map keeps insertion order, which is the queue order: first submitted, first anchored.
  const pending = new Map<string, Uint8Array>()

  const statusOf = (hash: Uint8Array, key: string): AnchorStatus | undefined => {
    const location = options.lookup(hash)
    if (location) return { hash, status: 'anchored', ...location }
    if (pending.has(key)) return { hash, status: 'pending' }
    return undefined
  }

  return {
    submit(hashes) {
      validateAnchorBatch(hashes)
      const keys = hashes.map(bytesToHex)
      const statuses: (AnchorStatus | undefined)[] = hashes.map((h, i) => statusOf(h, keys[i] as string))
      const fresh = new Set<string>()
      for (const [i, s] of statuses.entries()) if (s === undefined) fresh.add(keys[i] as string)
      if (pending.size + fresh.size > maxPending) {
        throw new SteleError(ErrorCode.TxPoolFull, `anchor pool full: ${pending.size} pending, batch adds ${fresh.size}, limit ${maxPending}`, {
          details: { pending: pending.size, batch: fresh.size, maxPending },
        })
      }
      return hashes.map((hash, i) => {
        const known = statuses[i]
        if (known) return known
        const key = keys[i] as string
        if (!pending.has(key)) pending.set(key, hash.slice())
        return { hash, status: 'pending' }
      })
    },
    status(hash) {
      return statusOf(hash, bytesToHex(hash))
    },
    take(max) {
      const out: Uint8Array[] = []
      if (max <= 0) return out
      for (const hash of pending.values()) {
        out.push(hash)
        if (out.length >= max) break
      }
      return out
    },
    onBlockCommitted(block) {
      for (const hash of block.anchors) pending.delete(bytesToHex(hash))
    },
    get pendingCount() {
      return pending.size
    },
  }
}

/** Throws INVALID_INPUT (or OVERSIZED_DATA for too many) naming the first bad entry. */
export function validateAnchorBatch(hashes: readonly Uint8Array[]): void {
  if (!Array.isArray(hashes)) throw new SteleError(ErrorCode.InvalidInput, 'anchor hashes must be an array')
  if (hashes.length === 0) throw new SteleError(ErrorCode.InvalidInput, 'no hashes to anchor')
  if (hashes.length > MAX_ANCHORS_PER_CALL) {
    throw new SteleError(ErrorCode.OversizedData, `at most ${MAX_ANCHORS_PER_CALL} hashes per call, got ${hashes.length}`, {
      details: { limit: MAX_ANCHORS_PER_CALL, got: hashes.length },
    })
  }
  for (const [i, hash] of hashes.entries()) {
    if (!(hash instanceof Uint8Array) || hash.length !== ANCHOR_HASH_BYTES) {
      const got = hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash
      throw new SteleError(ErrorCode.InvalidInput, `hash ${i} must be exactly 32 bytes, got ${got}`, { details: { index: i } })
    }
  }
}

/** Parses stele_anchor's parameter: an array of 0x-prefixed 32-byte hex strings. Validates before decoding any. */
export function parseAnchorHashes(input: unknown): Uint8Array[] {
  if (!Array.isArray(input)) throw new SteleError(ErrorCode.InvalidInput, 'expected an array of 32-byte hex hashes')
  if (input.length > MAX_ANCHORS_PER_CALL) {
    throw new SteleError(ErrorCode.OversizedData, `at most ${MAX_ANCHORS_PER_CALL} hashes per call, got ${input.length}`, {
      details: { limit: MAX_ANCHORS_PER_CALL, got: input.length },
    })
  }
  return input.map((item, i) => {
    if (!isHex(item)) throw new SteleError(ErrorCode.InvalidHex, `hash ${i} is not 0x-prefixed hex`, { details: { index: i } })
    if (item.length !== 2 + ANCHOR_HASH_BYTES * 2) {
      throw new SteleError(ErrorCode.InvalidInput, `hash ${i} must be exactly 32 bytes (64 hex digits), got ${(item.length - 2) / 2}`, {
        details: { index: i },
      })
    }
    return decodeHex(item)
  })
}

/**
 * Anchor hashes as records, for gossip and the anchors journal: each record is at most MAX_ANCHORS_PER_CALL
 * 32-byte hashes, concatenated.
 */
export function encodeAnchorRecords(hashes: readonly Uint8Array[]): Uint8Array[] {
  const records: Uint8Array[] = []
  for (let start = 0; start < hashes.length; start += MAX_ANCHORS_PER_CALL) {
    const chunk = hashes.slice(start, start + MAX_ANCHORS_PER_CALL)
    const record = new Uint8Array(chunk.length * ANCHOR_HASH_BYTES)
    chunk.forEach((hash, i) => record.set(hash, i * ANCHOR_HASH_BYTES))
    records.push(record)
  }
  return records
}

/** The hashes of one record; INVALID_INPUT unless it is whole 32-byte hashes, at most MAX_ANCHORS_PER_CALL. */
export function decodeAnchorRecord(record: Uint8Array): Uint8Array[] {
  if (record.length % ANCHOR_HASH_BYTES !== 0 || record.length / ANCHOR_HASH_BYTES > MAX_ANCHORS_PER_CALL) {
    throw new SteleError(ErrorCode.InvalidInput, `an anchor record must be whole ${ANCHOR_HASH_BYTES}-byte hashes, at most ${MAX_ANCHORS_PER_CALL}`)
  }
  const hashes: Uint8Array[] = []
  for (let at = 0; at < record.length; at += ANCHOR_HASH_BYTES) hashes.push(record.slice(at, at + ANCHOR_HASH_BYTES))
  return hashes
}
