import { keccak256 } from '../crypto/keccak.js'

/**
 * EIP-55 mixed-case hex, the form geth prints addresses in its error messages (common.Address.Hex()).
 * Only error paths call this, so it favours clarity over speed.
 */
export function checksumAddress(address: Uint8Array): string {
  const lower = Buffer.from(address.buffer, address.byteOffset, address.byteLength).toString('hex')
  const digest = keccak256(new TextEncoder().encode(lower))
  let out = '0x'
  for (let i = 0; i < lower.length; i++) {
    const char = lower[i] as string
    const nibble = ((digest[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0x0f
    out += nibble >= 8 ? char.toUpperCase() : char
  }
  return out
}
