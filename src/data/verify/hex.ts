import { hexToBytes } from '../../primitives/bytes.js'

const NIBBLE = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = NIBBLE[65 + i] = 10 + i

/**
 * Hex decoding on the verifier's hot path (bundles are mostly hex): a table lookup per digit. Anything
 * unusual falls back to primitives' hexToBytes, which throws INVALID_HEX with a clear message.
 */
export function decodeHex(hex: string): Uint8Array {
  const n = hex.length
  if (n < 2 || n % 2 !== 0 || hex.charCodeAt(0) !== 48 || hex.charCodeAt(1) !== 120) return hexToBytes(hex)
  const out = new Uint8Array((n - 2) / 2)
  for (let i = 0, j = 2; i < out.length; i++, j += 2) {
    const hi = NIBBLE[hex.charCodeAt(j)] ?? -1
    const lo = NIBBLE[hex.charCodeAt(j + 1)] ?? -1
    if (hi < 0 || lo < 0) return hexToBytes(hex)
    out[i] = (hi << 4) | lo
  }
  return out
}
