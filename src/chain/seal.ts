import { keccak256 } from '../crypto/keccak.js'
import { recoverAddress, sign } from '../crypto/secp256k1.js'
import { encodeHeader, type BlockHeader } from './header.js'

/** Besu's on-chain block hash: the header with no seals and round 0, so every round's block has one hash. */
export function blockHash(header: BlockHeader): Uint8Array {
  return keccak256(encodeHeader(header, 'withoutSealsAndRound'))
}

/** What a committed seal signs: the header with an empty seals list (the round is kept). */
export function commitSealHash(header: BlockHeader): Uint8Array {
  return keccak256(encodeHeader(header, 'withoutSeals'))
}

export function signCommitSeal(header: BlockHeader, privateKey: Uint8Array): Uint8Array {
  return sign(commitSealHash(header), privateKey)
}

/** The signer of each committed seal, in order. Throws INVALID_SIGNATURE on a seal that does not recover. */
export function recoverSealers(header: BlockHeader): Uint8Array[] {
  const hash = commitSealHash(header)
  return header.extraData.seals.map((seal) => recoverAddress(hash, seal))
}
