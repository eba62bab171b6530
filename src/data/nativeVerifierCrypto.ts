import { keccak256 } from '../crypto/keccak.js'
import { recoverAddress, SECP256K1_HALF_N } from '../crypto/secp256k1.js'
import { bytesToBigint } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { VerifierCrypto } from './verify/verifierCrypto.js'

/** Native keccak and libsecp256k1 for the verifier when it runs in Node (CLI, bench): same rules as noble's. */
export const nativeVerifierCrypto: VerifierCrypto = {
  keccak256,
  recoverAddress(hash32, signature65) {
    if (signature65.length !== 65) throw new SteleError(ErrorCode.InvalidSignature, 'signature must be 65 bytes')
    if ((signature65[64] as number) > 1) throw new SteleError(ErrorCode.InvalidSignature, 'recovery id must be 0 or 1')
    if (bytesToBigint(signature65.subarray(32, 64)) > SECP256K1_HALF_N) {
      throw new SteleError(ErrorCode.InvalidSignature, 'signature has a high s value')
    }
    return recoverAddress(hash32, signature65)
  },
}
