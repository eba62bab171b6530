import type { HexString } from './rpcTypes.js'
import { hexOfBytes } from '../primitives/byteKeys.js'

/** Wire encoding for JSON-RPC: data is even-length lowercase hex, quantities are minimal hex ("0x0"). */

export function toHex(bytes: Uint8Array): HexString {
  if (bytes.length === 0) return '0x'
  return `0x${hexOfBytes(bytes)}`
}

export function toQuantity(value: bigint | number): HexString {
  return `0x${value.toString(16)}`
}

/** A 32-byte word, left-padded (storage values, proof values as hashes). */
export function toWord(bytes: Uint8Array): HexString {
  const hex = bytes.length === 0 ? '' : hexOfBytes(bytes)
  return `0x${hex.padStart(64, '0')}`
}
