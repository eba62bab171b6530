import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { keccak256 } from '../../crypto/keccak.js'
import { nativeSecp256k1, sign as secpSign } from '../../crypto/secp256k1.js'
import { concatBytes, hexToBytes } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import type { KeyType } from './deviceRegistryAbi.js'

/**
 * Device signature verification on the node: P-256 and Ed25519 through node:crypto (OpenSSL), secp256k1
 * through libsecp256k1. The rules are the browser verifier's (telemetrySignatures.ts); a test checks both agree.
 *   p256:      ECDSA over sha256(message), signature r ‖ s (64 bytes), high or low s.
 *   ed25519:   PureEdDSA (RFC 8032) over the message, 64 bytes.
 *   secp256k1: ECDSA over keccak256(message), r ‖ s (64 bytes), low s only.
 */
export interface PreparedKey {
  keyType: KeyType
  verify(message: Uint8Array, signature: Uint8Array): boolean
}

// SubjectPublicKeyInfo prefixes (DER) for the point lengths we accept: id-ecPublicKey + prime256v1, and id-Ed25519.
const P256_SPKI_UNCOMPRESSED = hexToBytes('0x3059301306072a8648ce3d020106082a8648ce3d030107034200')
const P256_SPKI_COMPRESSED = hexToBytes('0x3039301306072a8648ce3d020106082a8648ce3d030107032200')
const ED25519_SPKI = hexToBytes('0x302a300506032b6570032100')

interface Secp256k1Verify {
  ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, publicKey: Uint8Array): boolean
}
// src/crypto/secp256k1.ts exposes the native binding; it has ecdsaVerify though its interface does not list it.
const secp = nativeSecp256k1 as unknown as Secp256k1Verify

/** Parses a registered public key once, so each verification skips the decoding. Throws INVALID_INPUT. */
export function prepareDeviceKey(keyType: KeyType, publicKey: Uint8Array): PreparedKey {
  switch (keyType) {
    case 'p256': {
      const prefix = publicKey.length === 65 ? P256_SPKI_UNCOMPRESSED : publicKey.length === 33 ? P256_SPKI_COMPRESSED : undefined
      if (!prefix) throw new SteleError(ErrorCode.InvalidInput, 'a P-256 key is a 33- or 65-byte SEC1 point')
      const key = spki(concatBytes(prefix, publicKey), 'P-256')
      return { keyType, verify: (message, signature) => signature.length === 64 && safeVerify('sha256', message, key, signature, true) }
    }
    case 'ed25519': {
      if (publicKey.length !== 32) throw new SteleError(ErrorCode.InvalidInput, 'an Ed25519 key is 32 bytes')
      const key = spki(concatBytes(ED25519_SPKI, publicKey), 'Ed25519')
      return { keyType, verify: (message, signature) => signature.length === 64 && safeVerify(null, message, key, signature, false) }
    }
    case 'secp256k1': {
      if (!(publicKey.length === 33 || publicKey.length === 65)) throw new SteleError(ErrorCode.InvalidInput, 'a secp256k1 key is a 33- or 65-byte SEC1 point')
      const key = publicKey.slice()
      // Fails early on a point not on the curve.
      try {
        secp.ecdsaVerify(new Uint8Array(64).fill(1), new Uint8Array(32), key)
      } catch (cause) {
        throw new SteleError(ErrorCode.InvalidInput, 'the secp256k1 key is not a valid point', { cause })
      }
      return {
        keyType,
        verify(message, signature) {
          if (signature.length !== 64) return false
          try {
            return secp.ecdsaVerify(signature, keccak256(message), key)
          } catch {
            return false
          }
        },
      }
    }
  }
}

function spki(der: Uint8Array, what: string): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, `the ${what} key is not a valid public key`, { cause })
  }
}

function safeVerify(algorithm: 'sha256' | null, message: Uint8Array, key: KeyObject, signature: Uint8Array, ecdsa: boolean): boolean {
  try {
    return nodeVerify(algorithm, message, ecdsa ? { key, dsaEncoding: 'ieee-p1363' } : key, signature)
  } catch {
    return false
  }
}

/** Signs like a device, natively (fast enough for the simulator and the bench). */
export function createDeviceSigner(keyType: KeyType, secretKey: Uint8Array, publicKeyUncompressed: Uint8Array): (message: Uint8Array) => Uint8Array {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url')
  switch (keyType) {
    case 'p256': {
      const key = createPrivateKey({
        key: { kty: 'EC', crv: 'P-256', d: b64(secretKey), x: b64(publicKeyUncompressed.subarray(1, 33)), y: b64(publicKeyUncompressed.subarray(33, 65)) },
        format: 'jwk',
      })
      return (message) => new Uint8Array(nodeSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' }))
    }
    case 'ed25519': {
      const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64(secretKey), x: b64(publicKeyUncompressed) }, format: 'jwk' })
      return (message) => new Uint8Array(nodeSign(null, message, key))
    }
    case 'secp256k1':
      return (message) => secpSign(keccak256(message), secretKey).subarray(0, 64)
  }
}
