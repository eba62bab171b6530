import { keccak256 } from '../crypto/keccak.js'
import type { Log } from './types.js'

/** The 2048-bit Ethereum logs bloom: for the address and each topic, 3 bits from keccak256 pairs. */
export function logsBloom(logs: Log[], into: Uint8Array = new Uint8Array(256)): Uint8Array {
  for (const log of logs) {
    addToBloom(into, log.address)
    for (const topic of log.topics) addToBloom(into, topic)
  }
  return into
}

function addToBloom(bloom: Uint8Array, value: Uint8Array) {
  const hash = keccak256(value)
  for (let i = 0; i < 6; i += 2) {
    const bit = (((hash[i] as number) << 8) | (hash[i + 1] as number)) & 2047
    const byte = 255 - (bit >> 3)
    bloom[byte] = (bloom[byte] as number) | (1 << (bit & 7))
  }
}
