import { concatBytes, type Hex } from '../../primitives/bytes.js'

/**
 * Readings, their canonical encoding and the hash that is anchored (docs/spec/telemetry.md). Browser-safe.
 *
 * A device signs the RFC 8785 (JCS) canonical JSON of {deviceId, firmware?, payload, seq, time}; the anchored
 * reading hash is keccak256(signed bytes ‖ raw signature bytes).
 */
export interface Reading {
  /** 0x + 64 lowercase hex digits. */
  deviceId: Hex
  /** Per-device counter, strictly increasing; a safe integer >= 0. */
  seq: number
  /** Device time in milliseconds since the Unix epoch. */
  time: number
  /** Any JSON value. */
  payload: unknown
  /** The firmware the device runs (0x + 64 lowercase hex); optional, signed when present. */
  firmware?: Hex
  /** 0x hex: 64 bytes r ‖ s (P-256, secp256k1) or the 64-byte Ed25519 signature. */
  sig: Hex
}

export type ParsedReading = {
  reading: Reading
  /** The exact bytes the device signed. */
  message: Uint8Array
  signature: Uint8Array
  deviceId: Uint8Array
  /** Length of the canonical payload JSON in UTF-8 bytes (what maxPayloadBytes limits). */
  payloadBytes: number
}

export type ReadingParseFailure = { reason: 'MALFORMED' | 'PAYLOAD_TOO_LARGE'; message: string; deviceId?: Hex; seq?: number }

const DEVICE_ID = /^0x[0-9a-f]{64}$/
const SIGNATURE = /^0x[0-9a-fA-F]{128}$/
const READING_FIELDS = new Set(['deviceId', 'seq', 'time', 'payload', 'firmware', 'sig'])
/** Deeper payloads are refused: canonicalization recurses, and no sensor needs more. */
export const MAX_PAYLOAD_DEPTH = 32

class CanonicalError extends Error {}

const encoder = new TextEncoder()
const utf8ToBytes = (text: string) => encoder.encode(text)

/** RFC 8785 canonical JSON of a JSON value (as JSON.parse returns it). Throws on values JSON cannot carry. */
export function canonicalJson(value: unknown): string {
  return canonical(value, 0)
}

function canonical(value: unknown, depth: number): string {
  if (depth > MAX_PAYLOAD_DEPTH) throw new CanonicalError(`nested deeper than ${MAX_PAYLOAD_DEPTH}`)
  switch (typeof value) {
    case 'string':
      return canonicalString(value)
    case 'number':
      // ECMAScript number serialization is what JCS prescribes; -0 serializes as 0.
      if (!Number.isFinite(value)) throw new CanonicalError('numbers must be finite')
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value)) {
        let out = '['
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonical(value[i], depth + 1)
        return out + ']'
      }
      const proto = Object.getPrototypeOf(value) as unknown
      if (proto !== Object.prototype && proto !== null) throw new CanonicalError('only plain objects')
      // JCS sorts member names by UTF-16 code units, which is what the default sort compares.
      const keys = Object.keys(value).sort()
      let out = '{'
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string
        out += (i ? ',' : '') + canonicalString(key) + ':' + canonical((value as Record<string, unknown>)[key], depth + 1)
      }
      return out + '}'
    }
    default:
      throw new CanonicalError(`${typeof value} is not a JSON value`)
  }
}

function canonicalString(s: string): string {
  // JCS needs well-formed Unicode: a lone surrogate has no UTF-8 encoding.
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) throw new CanonicalError('strings must be well-formed Unicode')
  return JSON.stringify(s)
}

/** The bytes a device signs: JCS of {deviceId, firmware?, payload, seq, time}, members in JCS order. */
export function readingMessage(r: Pick<Reading, 'deviceId' | 'seq' | 'time' | 'payload' | 'firmware'>): Uint8Array {
  return utf8ToBytes(messageText(r.deviceId, r.firmware, canonicalJson(r.payload), r.seq, r.time))
}

function messageText(deviceId: string, firmware: string | undefined, payloadJson: string, seq: number, time: number): string {
  const fw = firmware === undefined ? '' : `"firmware":"${firmware}",`
  return `{"deviceId":"${deviceId}",${fw}"payload":${payloadJson},"seq":${seq},"time":${time}}`
}

/** The anchored hash of a reading: keccak256(message ‖ signature). */
export function readingHash(message: Uint8Array, signature: Uint8Array, keccak256: (data: Uint8Array) => Uint8Array): Uint8Array {
  return keccak256(concatBytes(message, signature))
}

/** Validates one reading's shape and builds its signed bytes. Never throws. */
export function parseReading(input: unknown, maxPayloadBytes: number): ParsedReading | ReadingParseFailure {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return malformed('a reading must be a JSON object')
  const r = input as Record<string, unknown>
  const deviceId = typeof r.deviceId === 'string' && DEVICE_ID.test(r.deviceId) ? (r.deviceId as Hex) : undefined
  const seq = Number.isSafeInteger(r.seq) && (r.seq as number) >= 0 ? (r.seq as number) : undefined
  const ids = { ...(deviceId === undefined ? {} : { deviceId }), ...(seq === undefined ? {} : { seq }) }
  for (const key of Object.keys(r)) if (!READING_FIELDS.has(key)) return malformed(`unknown field "${key}"`, ids)
  if (deviceId === undefined) return malformed('deviceId must be 0x and 64 lowercase hex digits', ids)
  if (seq === undefined) return malformed('seq must be a non-negative safe integer', ids)
  if (!Number.isSafeInteger(r.time) || (r.time as number) < 0) return malformed('time must be a non-negative integer (milliseconds since the epoch)', ids)
  if (!('payload' in r)) return malformed('payload is missing', ids)
  if (r.firmware !== undefined && (typeof r.firmware !== 'string' || !DEVICE_ID.test(r.firmware))) {
    return malformed('firmware must be 0x and 64 lowercase hex digits', ids)
  }
  if (typeof r.sig !== 'string' || !SIGNATURE.test(r.sig)) return malformed('sig must be 0x and 128 hex digits (64 bytes)', ids)
  let payloadJson: string
  try {
    payloadJson = canonicalJson(r.payload)
  } catch (error) {
    if (error instanceof CanonicalError) return malformed(`payload: ${error.message}`, ids)
    // A payload nested deep enough to exhaust the stack.
    return malformed('payload cannot be canonicalized', ids)
  }
  const payloadBytes = utf8Length(payloadJson)
  if (payloadBytes > maxPayloadBytes) return { reason: 'PAYLOAD_TOO_LARGE', message: `payload is ${payloadBytes} bytes, the limit is ${maxPayloadBytes}`, ...ids }
  const firmware = r.firmware as Hex | undefined
  const reading: Reading = { deviceId, seq, time: r.time as number, payload: r.payload, ...(firmware === undefined ? {} : { firmware }), sig: r.sig as Hex }
  return {
    reading,
    message: utf8ToBytes(messageText(deviceId, firmware, payloadJson, seq, reading.time)),
    signature: decodeCheckedHex(reading.sig),
    deviceId: decodeCheckedHex(deviceId),
    payloadBytes,
  }
}

function malformed(message: string, ids: { deviceId?: Hex; seq?: number } = {}): ReadingParseFailure {
  return { reason: 'MALFORMED', message, ...ids }
}

function utf8Length(s: string): number {
  // Fast path for ASCII, the common case for sensor payloads.
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 2
      i++
    } else n += 2
  }
  return n
}

// Hex digit values by char code; the regexes above have already checked every digit.
const HEX_VALUE = new Uint8Array(128)
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i
for (let i = 0; i < 6; i++) {
  HEX_VALUE[65 + i] = 10 + i
  HEX_VALUE[97 + i] = 10 + i
}

/** Decodes 0x-hex whose digits were validated: a table lookup per digit (readings carry 96 bytes of hex). */
function decodeCheckedHex(hex: string): Uint8Array {
  const out = new Uint8Array((hex.length - 2) >> 1)
  for (let i = 0, j = 2; i < out.length; i++, j += 2) {
    out[i] = ((HEX_VALUE[hex.charCodeAt(j)] as number) << 4) | (HEX_VALUE[hex.charCodeAt(j + 1)] as number)
  }
  return out
}
