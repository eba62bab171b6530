import { createRequire } from 'node:module'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { keccak256 } from './keccak.js'

/**
 * secp256k1 on native libsecp256k1. The `secp256k1` package silently falls back to JavaScript when the
 * native binding is missing, so we load the binding directly and fail loudly instead.
 */
interface NativeSecp256k1 {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number }
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array
  publicKeyCreate(seckey: Uint8Array, compressed?: boolean): Uint8Array
  privateKeyVerify(seckey: Uint8Array): boolean
}

const require = createRequire(import.meta.url)
function loadNative(): NativeSecp256k1 {
  // Throws if the prebuilt binding is missing: no silent slow path.
  require('secp256k1/bindings')
  return require('secp256k1') as NativeSecp256k1
}
const native = loadNative()

export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
/** EIP-2: signatures with s above half the curve order are malleable copies and invalid. */
export const SECP256K1_HALF_N = SECP256K1_N / 2n

/** A 65-byte recoverable signature: r (32) ‖ s (32) ‖ v (0 or 1), the layout of Besu's committed seals. */
export type RecoverableSignature = Uint8Array

export function sign(hash32: Uint8Array, privateKey: Uint8Array): RecoverableSignature {
  const { signature, recid } = native.ecdsaSign(hash32, privateKey)
  const out = new Uint8Array(65)
  out.set(signature, 0)
  out[64] = recid
  return out
}

/** Recovers the 64-byte uncompressed public key (without the 0x04 prefix). */
export function recoverPublicKey(hash32: Uint8Array, signature: RecoverableSignature): Uint8Array {
  if (signature.length !== 65) throw new SteleError(ErrorCode.InvalidSignature, 'signature must be 65 bytes')
  const recid = signature[64] as number
  if (recid > 3) throw new SteleError(ErrorCode.InvalidSignature, 'recovery id out of range')
  try {
    return native.ecdsaRecover(signature.subarray(0, 64), recid, hash32, false).subarray(1)
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidSignature, 'signature does not recover a public key', { cause })
  }
}

export function publicKeyToAddress(publicKey64: Uint8Array): Uint8Array {
  return keccak256(publicKey64).subarray(12)
}

export function recoverAddress(hash32: Uint8Array, signature: RecoverableSignature): Uint8Array {
  return publicKeyToAddress(recoverPublicKey(hash32, signature))
}

export function privateKeyToPublicKey(privateKey: Uint8Array): Uint8Array {
  return native.publicKeyCreate(privateKey, false).subarray(1)
}

export function privateKeyToAddress(privateKey: Uint8Array): Uint8Array {
  return publicKeyToAddress(privateKeyToPublicKey(privateKey))
}

export function isValidPrivateKey(privateKey: Uint8Array): boolean {
  return privateKey.length === 32 && native.privateKeyVerify(privateKey)
}

/** The raw native binding, for @ethereumjs Common.customCrypto. */
export const nativeSecp256k1 = native
