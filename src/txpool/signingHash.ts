import { keccak256Parts } from '../crypto/keccak.js'

/** Fields before the signature (v, r, s) in each envelope: legacy, EIP-2930, EIP-1559. */
const UNSIGNED_FIELDS: Record<number, number> = { 0: 6, 1: 8, 2: 9 }

/**
 * The hash a transaction's signature covers, read from its canonical raw bytes: the unsigned fields are
 * a prefix of the signed list, so only a new list header is needed (plus chainId, 0, 0 for EIP-155
 * legacy txs). @ethereumjs's getHashedMessageToSign re-encodes every field instead, about a quarter of
 * the cost of the recovery itself. `raw` must have passed decodeRawTransaction (well-formed, canonical).
 */
export function signingHashFromRaw(raw: Uint8Array, eip155ChainId: bigint | undefined): Uint8Array {
  const { type, payloadStart, unsignedEnd } = unsignedFields(raw)
  const fields = raw.subarray(payloadStart, unsignedEnd)
  const suffix = type === 0 && eip155ChainId !== undefined ? eip155Suffix(eip155ChainId) : new Uint8Array(0)
  const header = listHeader(fields.length + suffix.length)
  return type === 0 ? keccak256Parts([header, fields, suffix]) : keccak256Parts([raw.subarray(0, 1), header, fields])
}

/**
 * Copies the signature's r and s from `raw` (the same checks as signingHashFromRaw's `raw`) into
 * `signature` as two right-aligned 32-byte words, bytes 0-31 and 32-63: what the recovery request needs,
 * without turning the tx's bigints back into bytes. Each must be at most 32 bytes (r below n, s at most n/2).
 */
export function writeSignatureFromRaw(raw: Uint8Array, signature: Uint8Array): void {
  let at = itemEnd(raw, unsignedFields(raw).unsignedEnd) // past v
  for (const word of [0, 32]) {
    const end = itemEnd(raw, at)
    const payload = raw.subarray(at + headerLength(raw, at), end)
    signature.set(payload, word + 32 - payload.length)
    at = end
  }
}

/** Where the signed list's payload starts in `raw`, and where its unsigned fields (all but v, r, s) end. */
function unsignedFields(raw: Uint8Array): { type: number; payloadStart: number; unsignedEnd: number } {
  const type = (raw[0] as number) >= 0xc0 ? 0 : (raw[0] as number)
  const listAt = type === 0 ? 0 : 1
  const payloadStart = listAt + headerLength(raw, listAt)
  let unsignedEnd = payloadStart
  for (let i = 0; i < (UNSIGNED_FIELDS[type] as number); i++) unsignedEnd = itemEnd(raw, unsignedEnd)
  return { type, payloadStart, unsignedEnd }
}

/** RLP(chainId) ‖ RLP(0) ‖ RLP(0): what EIP-155 appends to the six legacy fields. */
function eip155Suffix(chainId: bigint): Uint8Array {
  const digits = chainId.toString(16)
  const value = chainId === 0n ? new Uint8Array(0) : Uint8Array.from(Buffer.from(digits.length % 2 === 1 ? `0${digits}` : digits, 'hex'))
  const encoded = value.length === 1 && (value[0] as number) < 0x80 ? value : Uint8Array.of(0x80 + value.length, ...value)
  return Uint8Array.of(...encoded, 0x80, 0x80)
}

function listHeader(length: number): Uint8Array {
  if (length <= 55) return Uint8Array.of(0xc0 + length)
  const bytes: number[] = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff)
  return Uint8Array.of(0xf7 + bytes.length, ...bytes)
}

/** Bytes taken by the header of the item at `at`. */
function headerLength(bytes: Uint8Array, at: number): number {
  const b = bytes[at] as number
  if (b < 0x80) return 0
  if (b <= 0xb7) return 1
  if (b < 0xc0) return 1 + b - 0xb7
  if (b <= 0xf7) return 1
  return 1 + b - 0xf7
}

/** Offset just past the item at `at`. */
function itemEnd(bytes: Uint8Array, at: number): number {
  const b = bytes[at] as number
  if (b < 0x80) return at + 1
  if (b <= 0xb7) return at + 1 + b - 0x80
  if (b >= 0xc0 && b <= 0xf7) return at + 1 + b - 0xc0
  const lengthOfLength = b < 0xc0 ? b - 0xb7 : b - 0xf7
  let length = 0
  for (let i = 1; i <= lengthOfLength; i++) length = length * 256 + (bytes[at + i] as number)
  return at + 1 + lengthOfLength + length
}
