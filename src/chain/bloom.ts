import { keccak256 } from '../crypto/keccak.js'
import type { Log } from './types.js'
import { latin1OfBytes } from '../primitives/byteKeys.js'

/**
 * The three bloom bit positions of recent values, by the value's bytes as a latin1 string. Logs repeat
 * their values (a token's address, an event's signature, the same holders as topics), and a keccak call
 * costs about ten times the key. Cleared when full rather than evicted one by one.
 */
const BLOOM_BITS_MAX = 8192
const bloomBits = new Map<string, [number, number, number]>()

/** The 2048-bit Ethereum logs bloom: for the address and each topic, 3 bits from keccak256 pairs. */
export function logsBloom(logs: Log[], into: Uint8Array = new Uint8Array(256)): Uint8Array {
  for (const log of logs) {
    addToBloom(into, log.address)
    for (const topic of log.topics) addToBloom(into, topic)
  }
  return into
}

function addToBloom(bloom: Uint8Array, value: Uint8Array) {
  for (const bit of bitsOf(value)) {
    const byte = 255 - (bit >> 3)
    bloom[byte] = (bloom[byte] as number) | (1 << (bit & 7))
  }
}

function bitsOf(value: Uint8Array): [number, number, number] {
  const key = latin1OfBytes(value)
  let bits = bloomBits.get(key)
  if (bits === undefined) {
    const hash = keccak256(value)
    const bit = (i: number) => (((hash[i] as number) << 8) | (hash[i + 1] as number)) & 2047
    bits = [bit(0), bit(2), bit(4)]
    if (bloomBits.size >= BLOOM_BITS_MAX) bloomBits.clear()
    bloomBits.set(key, bits)
  }
  return bits
}
