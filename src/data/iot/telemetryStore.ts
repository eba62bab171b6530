import { concatBytes, type Hex } from '../../primitives/bytes.js'
import type { KvStore, WriteBatch } from '../../state/kvStore.js'
import type { Reading } from './telemetryCodec.js'

/**
 * The `telemetry` key space (docs/spec/telemetry.md):
 *   'r' ‖ deviceId(32) ‖ seq(8, big-endian)  → the stored reading (JSON)
 *   's' ‖ deviceId(32)                       → the highest accepted seq (8, big-endian)
 *   'h' ‖ readingHash(32)                    → deviceId(32) ‖ seq(8)
 */
export interface StoredReading extends Reading {
  /** keccak256(message ‖ signature): the anchored leaf. */
  hash: Hex
  /** Index of the device key (in its on-chain history) that verified the signature. */
  keyIndex: number
  /** Node time (ms) when the reading was accepted. */
  receivedAt: number
}

const READING = 0x72 // 'r'
const LAST_SEQ = 0x73 // 's'
const BY_HASH = 0x68 // 'h'

export function readingKey(deviceId: Uint8Array, seq: number): Uint8Array {
  const key = new Uint8Array(41)
  key[0] = READING
  key.set(deviceId, 1)
  writeSeq(key, 33, seq)
  return key
}

function writeSeq(into: Uint8Array, at: number, seq: number): void {
  const view = new DataView(into.buffer, into.byteOffset + at, 8)
  view.setUint32(0, Math.floor(seq / 2 ** 32))
  view.setUint32(4, seq >>> 0)
}

function readSeq(from: Uint8Array, at: number): number {
  const view = new DataView(from.buffer, from.byteOffset + at, 8)
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4)
}

const lastSeqKey = (deviceId: Uint8Array) => concatBytes(Uint8Array.of(LAST_SEQ), deviceId)

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Adds the reading and its hash index; call putLastSeq once per device and batch as well. */
export function putReading(batch: WriteBatch, deviceId: Uint8Array, stored: StoredReading, hash: Uint8Array): void {
  batch.put('telemetry', readingKey(deviceId, stored.seq), encoder.encode(JSON.stringify(stored)))
  const where = new Uint8Array(40)
  where.set(deviceId, 0)
  writeSeq(where, 32, stored.seq)
  batch.put('telemetry', concatBytes(Uint8Array.of(BY_HASH), hash), where)
}

export function putLastSeq(batch: WriteBatch, deviceId: Uint8Array, seq: number): void {
  const seqBytes = new Uint8Array(8)
  writeSeq(seqBytes, 0, seq)
  batch.put('telemetry', lastSeqKey(deviceId), seqBytes)
}

export function loadLastSeq(store: KvStore, deviceId: Uint8Array): number | undefined {
  const value = store.get('telemetry', lastSeqKey(deviceId))
  return value === undefined ? undefined : readSeq(value, 0)
}

export function loadReading(store: KvStore, deviceId: Uint8Array, seq: number): StoredReading | undefined {
  const value = store.get('telemetry', readingKey(deviceId, seq))
  return value === undefined ? undefined : (JSON.parse(decoder.decode(value)) as StoredReading)
}

export function loadReadingByHash(store: KvStore, hash: Uint8Array): StoredReading | undefined {
  const where = store.get('telemetry', concatBytes(Uint8Array.of(BY_HASH), hash))
  return where === undefined ? undefined : loadReading(store, where.subarray(0, 32), readSeq(where, 32))
}

/** Readings of a device with from <= seq <= to, ascending, at most limit. */
export function listReadings(store: KvStore, deviceId: Uint8Array, options: { from?: number; to?: number; limit: number }): StoredReading[] {
  const start = readingKey(deviceId, options.from ?? 0)
  const to = options.to ?? Number.MAX_SAFE_INTEGER
  // The end bound is exclusive: one past `to`, or the next device's prefix when `to` is the largest seq.
  const end = to >= Number.MAX_SAFE_INTEGER ? concatBytes(Uint8Array.of(READING), nextPrefix(deviceId)) : readingKey(deviceId, to + 1)
  const out: StoredReading[] = []
  for (const [, value] of store.range('telemetry', start, end, { limit: options.limit })) {
    out.push(JSON.parse(decoder.decode(value)) as StoredReading)
  }
  return out
}

function nextPrefix(deviceId: Uint8Array): Uint8Array {
  const out = deviceId.slice()
  for (let i = out.length - 1; i >= 0; i--) {
    if ((out[i] as number) < 255) {
      out[i] = (out[i] as number) + 1
      return out
    }
    out[i] = 0
  }
  // All 0xff: everything after the 'r' space.
  return new Uint8Array(33).fill(0xff)
}
