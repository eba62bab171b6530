import { bytesToHex, compareBytes, equalBytes } from '../primitives/bytes.js'

/** Besu's BFT quorum: ceil(2n/3). */
export function quorumSize(validatorCount: number): number {
  return Math.ceil((2 * validatorCount) / 3)
}

/** The most faulty validators the set tolerates: floor((n-1)/3). */
export function faultTolerance(validatorCount: number): number {
  return Math.floor((validatorCount - 1) / 3)
}

export function sortValidators(validators: readonly Uint8Array[]): Uint8Array[] {
  return [...validators].sort(compareBytes)
}

/**
 * Besu's round-robin proposer: start from the previous block's proposer (its coinbase) in the sorted validator
 * list, step one for the new height and one more per round. If the previous proposer is no longer a validator
 * (or at height 1, whose parent is genesis), start from the next address above it, which takes the new height's step.
 */
export function proposerForRound(sortedValidators: readonly Uint8Array[], previousProposer: Uint8Array, round: number): Uint8Array {
  const n = sortedValidators.length
  if (n === 0) throw new Error('empty validator set')
  const index = sortedValidators.findIndex((v) => equalBytes(v, previousProposer))
  if (index >= 0) return sortedValidators[(index + 1 + (round % n)) % n] as Uint8Array
  let next = sortedValidators.findIndex((v) => compareBytes(v, previousProposer) > 0)
  if (next < 0) next = 0
  return sortedValidators[(next + (round % n)) % n] as Uint8Array
}

export const addressKey = (address: Uint8Array): string => bytesToHex(address)
