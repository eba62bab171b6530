import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromPublicKey as libp2pPeerIdFromPublicKey } from '@libp2p/peer-id'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'

/**
 * A node's libp2p identity is its secp256k1 node key, so the peer id of every permitted node can be
 * derived from the public key written in genesis, without a second key to manage.
 */

/** The libp2p private key object for a 32-byte secp256k1 node key. */
export function libp2pKeyFromNodeKey(privateKey: Uint8Array): PrivateKey {
  if (privateKey.length !== 32) throw new SteleError(ErrorCode.InvalidInput, 'node key must be 32 bytes')
  try {
    return privateKeyFromRaw(privateKey)
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, 'invalid secp256k1 node key', { cause })
  }
}

/** The peer id (base58 `16Uiu2…`) of the node holding this 32-byte secp256k1 key. */
export function peerIdFromNodeKey(privateKey: Uint8Array): string {
  return peerIdFromPrivateKey(libp2pKeyFromNodeKey(privateKey)).toString()
}

/**
 * The peer id for a secp256k1 public key: 33 bytes compressed, 65 bytes uncompressed, or 64 bytes
 * without the 0x04 prefix (the form src/crypto/secp256k1.ts returns).
 */
export function peerIdFromPublicKey(publicKey: Uint8Array): string {
  const sec1 = publicKey.length === 64 ? Uint8Array.of(0x04, ...publicKey) : publicKey
  if (sec1.length !== 33 && sec1.length !== 65) {
    throw new SteleError(ErrorCode.InvalidInput, 'secp256k1 public key must be 33, 64 or 65 bytes', {
      details: { length: publicKey.length },
    })
  }
  let compressed: Uint8Array
  try {
    compressed = secp256k1.Point.fromBytes(sec1).toBytes(true)
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, 'not a point on secp256k1', { cause })
  }
  return libp2pPeerIdFromPublicKey(publicKeyFromRaw(compressed)).toString()
}
