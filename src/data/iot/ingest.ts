import { keccak256Parts } from '../../crypto/keccak.js'
import { bytesToHex, type Hex } from '../../primitives/bytes.js'
import { ErrorCode, SteleError, errorMessage } from '../../primitives/errors.js'
import { WriteBatch, type KvStore } from '../../state/kvStore.js'
import { keyValidAt, type DeviceRecord, type KeyRecord } from './deviceRegistryAbi.js'
import { prepareDeviceKey, type PreparedKey } from './deviceSignatures.js'
import { parseReading, type ParsedReading } from './telemetryCodec.js'
import { loadLastSeq, putLastSeq, putReading, type StoredReading } from './telemetryStore.js'
import type { SignatureVerifierPool } from './verifierPool.js'

/** Why a reading was refused: stable codes (docs/spec/telemetry.md). */
export type ReasonCode =
  | 'MALFORMED'
  | 'PAYLOAD_TOO_LARGE'
  | 'CLOCK_SKEW'
  | 'UNKNOWN_DEVICE'
  | 'REVOKED'
  | 'NO_VALID_KEY'
  | 'REPLAY'
  | 'BAD_SIGNATURE'
  | 'FIRMWARE_NOT_APPROVED'
  | 'REGISTRY_UNAVAILABLE'
  /** The node failed to store the batch (MQTT reports it per reading; HTTP answers 5xx). */
  | 'INTERNAL'

export interface ReadingResult {
  index: number
  deviceId?: Hex
  seq?: number
  status: 'accepted' | 'rejected'
  reason?: ReasonCode
  /** A human-readable detail for rejections. */
  message?: string
  /** keccak256(message ‖ sig), the anchored hash, for accepted readings. */
  hash?: Hex
}

export interface IngestResult {
  results: ReadingResult[]
  accepted: number
  rejected: number
}

export interface TelemetryIngestorOptions {
  store: KvStore
  /** The device and its full key history, or undefined when it is not registered (createDeviceReader). */
  readDevice(deviceId: Uint8Array): Promise<DeviceRecord | undefined>
  /** Whether the owner approved the firmware; needed only for owners who require approved firmware. */
  isFirmwareApproved?(owner: Uint8Array, firmwareHash: Uint8Array): Promise<boolean>
  /** Submits accepted reading hashes to the anchor pool (anchorPool.submit). May throw; failed hashes are retried later. */
  anchor(hashes: Uint8Array[]): unknown
  clock?: { now(): number }
  /** How far a reading's time may be from the node's clock, either way. Default 5 minutes. */
  maxSkewMs?: number
  /** Canonical payload size limit in bytes. Default 16 KiB. */
  maxPayloadBytes?: number
  /**
   * Verifies signatures off the event loop's thread (createSignatureVerifierPool); default: in this thread.
   * Same rules either way.
   */
  verifier?: Pick<SignatureVerifierPool, 'verifyMany'>
  /** Called when anchoring fails (the pool is full, say); the hashes stay queued for the next call. */
  onAnchorError?(error: unknown, count: number): void
}

export interface TelemetryIngestor {
  /**
   * Checks each reading (one object or an array of up to MAX_READINGS_PER_CALL) on its own, stores the accepted
   * ones in one durable write, then anchors their hashes. A bad reading never affects the others.
   * Throws OVERSIZED_DATA for a batch over the limit and INVALID_INPUT for an empty one.
   */
  ingest(readings: unknown): Promise<IngestResult>
  /** Retries anchoring hashes whose submission failed. */
  retryAnchors(): void
  readonly pendingAnchors: number
}

export const MAX_READINGS_PER_CALL = 5_000
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024
/** stele_anchor's per-call limit (MAX_ANCHORS_PER_CALL); we submit in chunks no larger. */
const ANCHOR_CHUNK = 10_000

type Candidate = { index: number; parsed: ParsedReading; idHex: Hex }

export function createTelemetryIngestor(options: TelemetryIngestorOptions): TelemetryIngestor {
  const clock = options.clock ?? { now: () => Date.now() }
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
  const { store } = options
  // The highest accepted seq per device: loaded from the store once, then kept up to date here.
  const lastSeq = new Map<Hex, number>()
  // Parsed keys, by device id ‖ key index ‖ key bytes (a re-registration after a reset would change the bytes).
  const keyCache = new Map<string, PreparedKey | Error>()
  let unanchored: Uint8Array[] = []

  const preparedKey = (idHex: Hex, key: KeyRecord): PreparedKey | Error => {
    const cacheKey = `${idHex}:${key.index}:${bytesToHex(key.publicKey)}`
    let prepared = keyCache.get(cacheKey)
    if (prepared === undefined) {
      try {
        prepared = prepareDeviceKey(key.keyType, key.publicKey)
      } catch (error) {
        prepared = error instanceof Error ? error : new Error(String(error))
      }
      if (keyCache.size >= 500_000) keyCache.clear()
      keyCache.set(cacheKey, prepared)
    }
    return prepared
  }

  const highestSeq = (idHex: Hex, deviceId: Uint8Array): number => {
    let seq = lastSeq.get(idHex)
    if (seq === undefined) {
      seq = loadLastSeq(store, deviceId) ?? -1
      lastSeq.set(idHex, seq)
    }
    return seq
  }

  const submitAnchors = () => {
    while (unanchored.length > 0) {
      const chunk = unanchored.slice(0, ANCHOR_CHUNK)
      try {
        options.anchor(chunk)
      } catch (error) {
        options.onAnchorError?.(error, unanchored.length)
        return
      }
      unanchored = unanchored.slice(chunk.length)
    }
  }

  return {
    async ingest(input) {
      const items = Array.isArray(input) ? input : [input]
      if (items.length === 0) throw new SteleError(ErrorCode.InvalidInput, 'no readings')
      if (items.length > MAX_READINGS_PER_CALL) {
        throw new SteleError(ErrorCode.OversizedData, `at most ${MAX_READINGS_PER_CALL} readings per call, got ${items.length}`, {
          details: { limit: MAX_READINGS_PER_CALL, got: items.length },
        })
      }
      const results: ReadingResult[] = new Array(items.length)
      const reject = (index: number, reason: ReasonCode, message: string, ids: { deviceId?: Hex | undefined; seq?: number | undefined } = {}) => {
        results[index] = {
          index,
          ...(ids.deviceId === undefined ? {} : { deviceId: ids.deviceId }),
          ...(ids.seq === undefined ? {} : { seq: ids.seq }),
          status: 'rejected',
          reason,
          message,
        }
      }

      // 1. Shape, size and clock: no I/O.
      const now = clock.now()
      const candidates: Candidate[] = []
      for (let index = 0; index < items.length; index++) {
        const parsed = parseReading(items[index], maxPayloadBytes)
        if ('reason' in parsed) {
          reject(index, parsed.reason, parsed.message, parsed)
          continue
        }
        const { reading } = parsed
        if (Math.abs(reading.time - now) > maxSkewMs) {
          reject(index, 'CLOCK_SKEW', `time is ${reading.time - now} ms from the node's clock, the limit is ±${maxSkewMs}`, reading)
          continue
        }
        candidates.push({ index, parsed, idHex: reading.deviceId })
      }

      // 2. Device records (and firmware approvals), each looked up once per batch.
      const devices = new Map<Hex, DeviceRecord | undefined | Error>()
      const wanted = new Map<Hex, Uint8Array>()
      for (const c of candidates) if (!wanted.has(c.idHex)) wanted.set(c.idHex, c.parsed.deviceId)
      await Promise.all(
        [...wanted].map(async ([idHex, deviceId]) => {
          try {
            devices.set(idHex, await options.readDevice(deviceId))
          } catch (error) {
            devices.set(idHex, error instanceof Error ? error : new Error(String(error)))
          }
        }),
      )
      const approvals = new Map<string, boolean | Error>()
      const firmwareOf = (c: Candidate, device: DeviceRecord): Uint8Array =>
        c.parsed.reading.firmware === undefined ? device.firmwareHash : hexBytes32(c.parsed.reading.firmware)
      const approvalKey = (owner: Uint8Array, firmware: Uint8Array) => bytesToHex(owner) + bytesToHex(firmware).slice(2)
      const needed = new Map<string, [Uint8Array, Uint8Array]>()
      for (const c of candidates) {
        const device = devices.get(c.idHex)
        if (device instanceof Error || device === undefined || !device.firmwareRequired) continue
        const firmware = firmwareOf(c, device)
        needed.set(approvalKey(device.owner, firmware), [device.owner, firmware])
      }
      await Promise.all(
        [...needed].map(async ([key, [owner, firmware]]) => {
          try {
            const approved = options.isFirmwareApproved === undefined ? false : await options.isFirmwareApproved(owner, firmware)
            approvals.set(key, approved)
          } catch (error) {
            approvals.set(key, error instanceof Error ? error : new Error(String(error)))
          }
        }),
      )

      // 3. Static checks and signatures. Obvious replays are not verified; the authoritative seq check is in 4.
      type Checked = { c: Candidate; device: DeviceRecord; key: KeyRecord }
      const checked: Checked[] = []
      for (const c of candidates) {
        const { reading } = c.parsed
        const ids = { deviceId: reading.deviceId, seq: reading.seq }
        const device = devices.get(c.idHex)
        if (device instanceof Error) {
          reject(c.index, 'REGISTRY_UNAVAILABLE', `cannot read the device registry: ${errorMessage(device)}`, ids)
          continue
        }
        if (device === undefined) {
          reject(c.index, 'UNKNOWN_DEVICE', 'the device is not registered', ids)
          continue
        }
        if (device.revokedAt !== undefined) {
          reject(c.index, 'REVOKED', `the device was revoked at ${device.revokedAt}`, ids)
          continue
        }
        const key = keyValidAt(device.keys, reading.time)
        if (key === undefined) {
          reject(c.index, 'NO_VALID_KEY', 'no key of the device is valid at the reading time', ids)
          continue
        }
        const highest = highestSeq(c.idHex, c.parsed.deviceId)
        if (reading.seq <= highest) {
          reject(c.index, 'REPLAY', `seq ${reading.seq} is not above ${highest}, the highest accepted`, ids)
          continue
        }
        checked.push({ c, device, key })
      }
      let valid: boolean[]
      if (options.verifier) {
        valid = await options.verifier.verifyMany(
          checked.map(({ c, key }) => ({ keyType: key.keyType, publicKey: key.publicKey, message: c.parsed.message, signature: c.parsed.signature })),
        )
      } else {
        valid = checked.map(({ c, key }) => {
          const prepared = preparedKey(c.idHex, key)
          return !(prepared instanceof Error) && prepared.verify(c.parsed.message, c.parsed.signature)
        })
      }

      // 4. From here to the write nothing awaits, so concurrent calls cannot both accept one seq.
      const batch = new WriteBatch()
      const hashes: Uint8Array[] = []
      const receivedAt = clock.now()
      const advanced = new Map<Hex, Uint8Array>()
      for (const [i, { c, device, key }] of checked.entries()) {
        const { reading, deviceId, message, signature } = c.parsed
        const ids = { deviceId: reading.deviceId, seq: reading.seq }
        const highest = highestSeq(c.idHex, deviceId)
        if (reading.seq <= highest) {
          reject(c.index, 'REPLAY', `seq ${reading.seq} is not above ${highest}, the highest accepted`, ids)
          continue
        }
        if (!valid[i]) {
          reject(c.index, 'BAD_SIGNATURE', `the signature does not verify with key ${key.index} (${key.keyType})`, ids)
          continue
        }
        if (device.firmwareRequired) {
          const firmware = firmwareOf(c, device)
          const approved = approvals.get(approvalKey(device.owner, firmware))
          if (approved instanceof Error) {
            reject(c.index, 'REGISTRY_UNAVAILABLE', `cannot read firmware approvals: ${approved.message}`, ids)
            continue
          }
          if (approved !== true) {
            reject(c.index, 'FIRMWARE_NOT_APPROVED', `firmware ${bytesToHex(firmware)} is not approved by the owner`, ids)
            continue
          }
        }
        // readingHash(message, signature), without building the concatenation.
        const hash = keccak256Parts([message, signature])
        const hashHex = bytesToHex(hash)
        lastSeq.set(c.idHex, reading.seq)
        advanced.set(c.idHex, deviceId)
        const stored: StoredReading = { ...reading, hash: hashHex, keyIndex: key.index, receivedAt }
        putReading(batch, deviceId, stored, hash)
        hashes.push(hash)
        results[c.index] = { index: c.index, deviceId: reading.deviceId, seq: reading.seq, status: 'accepted', hash: hashHex }
      }

      for (const [idHex, deviceId] of advanced) putLastSeq(batch, deviceId, lastSeq.get(idHex) as number)
      if (batch.size > 0) {
        try {
          // Durable before the readings are reported accepted; in order with block commits (writeBehind).
          await store.writeBehind(batch)
        } catch (error) {
          // Nothing was stored: forget the seqs we advanced so the device can resend.
          for (const c of candidates) lastSeq.delete(c.idHex)
          throw error
        }
        unanchored.push(...hashes)
        submitAnchors()
      }
      const accepted = hashes.length
      return { results, accepted, rejected: items.length - accepted }
    },
    retryAnchors: submitAnchors,
    get pendingAnchors() {
      return unanchored.length
    },
  }
}

function hexBytes32(hex: Hex): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(2 + i * 2, 4 + i * 2), 16)
  return out
}

