import { ed25519 } from '@noble/curves/ed25519.js'
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { KeyType } from './deviceRegistryAbi.js'

/**
 * Device signature verification in pure JavaScript (browser-safe), with the node's rules (deviceSignatures.ts):
 * P-256 ECDSA over sha256(message) accepting either s, PureEdDSA without ZIP-215 leniency (as OpenSSL),
 * secp256k1 ECDSA over keccak256(message) with low s.
 */
export function verifyDeviceSignature(keyType: KeyType, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false
  try {
    switch (keyType) {
      case 'p256':
        // noble 2 hashes the message with sha256 itself (prehash defaults to true).
        return p256.verify(signature, message, publicKey, { lowS: false })
      case 'ed25519':
        return ed25519.verify(signature, message, publicKey, { zip215: false })
      case 'secp256k1':
        return secp256k1.verify(signature, keccak_256(message), publicKey, { prehash: false, lowS: true })
    }
  } catch {
    return false
  }
}

/** Signs a reading's message the way a device does; for tests, the simulator and the bench. */
export function signDeviceMessage(keyType: KeyType, secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  switch (keyType) {
    case 'p256':
      return p256.sign(message, secretKey)
    case 'ed25519':
      return ed25519.sign(message, secretKey)
    case 'secp256k1':
      return secp256k1.sign(keccak_256(message), secretKey, { prehash: false })
  }
}

/** The public key devices register: compressed SEC1 for the EC curves, 32 bytes for Ed25519. */
export function devicePublicKey(keyType: KeyType, secretKey: Uint8Array): Uint8Array {
  switch (keyType) {
    case 'p256':
      return p256.getPublicKey(secretKey, true)
    case 'ed25519':
      return ed25519.getPublicKey(secretKey)
    case 'secp256k1':
      return secp256k1.getPublicKey(secretKey, true)
  }
}
