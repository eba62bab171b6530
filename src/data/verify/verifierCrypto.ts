import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'

/**
 * The two primitives the verifier needs. The default is pure JavaScript (noble) so the verifier runs in a
 * browser; a Node caller may pass native ones (src/data/nativeVerifierCrypto.ts) for throughput.
 * Both must refuse high-s signatures, as libsecp256k1 signing never makes them.
 */
export interface VerifierCrypto {
  keccak256(data: Uint8Array): Uint8Array
  /** The signer address of a 65-byte r ‖ s ‖ recid signature (recid 0 or 1). Throws on an invalid signature. */
  recoverAddress(hash32: Uint8Array, signature65: Uint8Array): Uint8Array
}

export const nobleVerifierCrypto: VerifierCrypto = {
  keccak256: (data) => keccak_256(data),
  recoverAddress(hash32, signature65) {
    if (signature65.length !== 65) throw new SteleError(ErrorCode.InvalidSignature, 'signature must be 65 bytes')
    const recid = signature65[64] as number
    if (recid > 1) throw new SteleError(ErrorCode.InvalidSignature, 'recovery id must be 0 or 1')
    let publicKey: Uint8Array
    try {
      const sig = secp256k1.Signature.fromBytes(signature65.subarray(0, 64), 'compact').addRecoveryBit(recid)
      if (sig.hasHighS()) throw new SteleError(ErrorCode.InvalidSignature, 'signature has a high s value')
      // Signature.recoverPublicKey takes the digest as is: no sha256 prehash.
      publicKey = sig.recoverPublicKey(hash32).toBytes(false)
    } catch (cause) {
      if (cause instanceof SteleError) throw cause
      throw new SteleError(ErrorCode.InvalidSignature, 'signature does not recover a public key', { cause })
    }
    return keccak_256(publicKey.subarray(1)).slice(12)
  },
}
