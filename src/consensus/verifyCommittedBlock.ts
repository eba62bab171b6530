import { commitSealHash } from '../chain/seal.js'
import type { Block } from '../chain/types.js'
import type { RecoverSigner } from './authenticate.js'
import { addressKey, quorumSize } from './proposer.js'

/**
 * Whether a finalized block carries commit seals from a quorum of distinct validators of its height (for blocks
 * that arrive through sync rather than through our own rounds). Seals from non-validators or repeats do not count.
 */
export function hasCommitQuorum(block: Block, validators: readonly Uint8Array[], recover: RecoverSigner): boolean {
  const allowed = new Set(validators.map(addressKey))
  const hash = commitSealHash(block.header)
  const signers = new Set<string>()
  for (const seal of block.header.extraData.seals) {
    const signer = recover(hash, seal)
    if (signer !== undefined && allowed.has(addressKey(signer))) signers.add(addressKey(signer))
  }
  return signers.size >= quorumSize(validators.length)
}
