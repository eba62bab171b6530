import { ErrorCode, SteleError } from './errors.js'

export type Hex = `0x${string}`

const HEX_RE = /^0x[0-9a-fA-F]*$/

export function isHex(value: unknown): value is Hex {
  return typeof value === 'string' && HEX_RE.test(value)
}

/** Decodes 0x-prefixed hex. Odd lengths are refused: they hide mistakes. */
export function hexToBytes(hex: string): Uint8Array {
  if (!isHex(hex)) throw new SteleError(ErrorCode.InvalidHex, `not a 0x-prefixed hex string: ${preview(hex)}`)
  if (hex.length % 2 !== 0) throw new SteleError(ErrorCode.InvalidHex, `hex has an odd number of digits: ${preview(hex)}`)
  const out = new Uint8Array((hex.length - 2) / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 + i * 2, 4 + i * 2), 16)
  return out
}

// Buffer-free so the browser verifier can share this module.
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function bytesToHex(bytes: Uint8Array): Hex {
  let out = '0x'
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i] as number]
  return out as Hex
}

/** Decodes hex that must be exactly `length` bytes (addresses, hashes). */
export function hexToFixedBytes(hex: string, length: number, what = 'value'): Uint8Array {
  const bytes = hexToBytes(hex)
  if (bytes.length !== length) {
    throw new SteleError(ErrorCode.InvalidHex, `${what} must be ${length} bytes, got ${bytes.length}`)
  }
  return bytes
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/** Minimal big-endian encoding of a non-negative integer (RLP's integer form: zero is empty). */
export function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new SteleError(ErrorCode.InvalidInput, 'negative integer')
  if (value === 0n) return new Uint8Array(0)
  // Gas, nonces, indexes and timestamps fit a double exactly: plain arithmetic, no hex round trip
  // (this function runs several times per receipt and header encoded).
  if (value <= MAX_EXACT_UINT) {
    let n = Number(value)
    let length = 0
    for (let x = n; x > 0; x = Math.floor(x / 256)) length++
    const out = new Uint8Array(length)
    for (let i = length - 1; i >= 0; i--, n = Math.floor(n / 256)) out[i] = n % 256
    return out
  }
  // Larger values (balances, hashes as integers) in six-byte limbs, least significant first: a few bigint
  // operations per limb instead of a hex string parsed two digits at a time.
  const limbs: number[] = []
  for (let x = value; x > 0n; x >>= 48n) limbs.push(Number(BigInt.asUintN(48, x)))
  let top = limbs[limbs.length - 1] as number
  let topLength = 0
  for (; top > 0; top = Math.floor(top / 256)) topLength++
  const out = new Uint8Array((limbs.length - 1) * 6 + topLength)
  let at = out.length - 1
  for (const limb of limbs) {
    let rest = limb
    for (let k = 0; k < 6 && at >= 0; k++, at--, rest = Math.floor(rest / 256)) out[at] = rest % 256
  }
  return out
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  // Six bytes at a time, each chunk exact as a double: no hex string (whose 2n one-character concatenations
  // were most of the cost and the garbage), a few bigint operations per chunk instead. The first chunk takes
  // the length's remainder, so every later one is a full six bytes.
  const head = bytes.length % 6
  let chunk = 0
  let i = 0
  for (; i < head; i++) chunk = chunk * 256 + (bytes[i] as number)
  let n = BigInt(chunk)
  for (; i < bytes.length; i += 6) {
    chunk = (bytes[i] as number) * 0x10000000000 + (bytes[i + 1] as number) * 0x100000000 + (bytes[i + 2] as number) * 0x1000000
    chunk += (bytes[i + 3] as number) * 0x10000 + (bytes[i + 4] as number) * 0x100 + (bytes[i + 5] as number)
    n = n === 0n ? BigInt(chunk) : (n << 48n) | BigInt(chunk)
  }
  return n
}

/** 2^48 - 1: six bytes, comfortably inside a double's exact integers. */
const MAX_EXACT_UINT = 0xffffffffffffn

export function bigintToHex(value: bigint): Hex {
  return `0x${value.toString(16)}`
}

export function numberToHex(value: number): Hex {
  return `0x${value.toString(16)}`
}

/** Left-pads to `length` bytes. */
export function padBytes(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length >= length) return bytes
  const out = new Uint8Array(length)
  out.set(bytes, length - bytes.length)
  return out
}

export function utf8ToBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

function preview(value: unknown): string {
  const s = String(value)
  return s.length > 20 ? `${s.slice(0, 20)}…` : s
}
