import { bytesToHex, equalBytes } from '../../primitives/bytes.js'
import { fail, type Context, type VerifiedHeader, type VerifyStep } from './verifyStep.js'

function sameSet(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false
  const set = new Set(a.map(bytesToHex))
  return b.every((x) => set.has(bytesToHex(x)))
}

/** QBFT's quorum: ceil(2n/3) of the validators. */
export function quorumSize(validatorCount: number): number {
  return Math.ceil((2 * validatorCount) / 3)
}

/**
 * Besu's rule: block h is sealed by the validators listed in block h-1's extraData (genesis for block 1), and
 * block h's own list is the set after h. The evidence is every header whose list differs from its parent's;
 * walking them from genesis gives the set that sealed each target. A target whose own list the walk cannot
 * explain means a change was left out.
 */
export function verifyValidatorChain(genesisValidators: Uint8Array[], changes: VerifiedHeader[], targets: VerifiedHeader[], context: Context): void {
  for (let i = 1; i < changes.length; i++) {
    if ((changes[i] as VerifiedHeader).header.number <= (changes[i - 1] as VerifiedHeader).header.number) {
      fail('validatorSet', 'validator-set changes are not in ascending block order')
    }
  }
  const ordered = [...targets].sort((a, b) => (a.header.number < b.header.number ? -1 : a.header.number > b.header.number ? 1 : 0))
  let set = genesisValidators
  let next = 0
  // Applies the changes below `height` (all remaining ones when undefined).
  const applyChangesBelow = (height: bigint | undefined) => {
    while (next < changes.length && (height === undefined || (changes[next] as VerifiedHeader).header.number < height)) {
      const change = changes[next] as VerifiedHeader
      checkSeals(change, set, 'validatorSet', context)
      if (sameSet(change.header.extraData.validators, set)) {
        fail('validatorSet', `block ${change.header.number} is listed as a validator-set change but keeps the set`)
      }
      set = change.header.extraData.validators
      next++
    }
  }
  for (const target of ordered) {
    const height = target.header.number
    applyChangesBelow(height)
    checkSeals(target, set, 'seals', context)
    const changeHere = changes[next]
    let after = set
    if (changeHere !== undefined && changeHere.header.number === height) {
      if (!equalBytes(changeHere.hash, target.hash)) fail('validatorSet', `the change listed at block ${height} is not the proven block`)
      after = changeHere.header.extraData.validators
    }
    if (!sameSet(target.header.extraData.validators, after)) {
      fail('validatorSet', `block ${height} lists validators the evidence does not account for: a validator-set change is missing`)
    }
  }
  // Changes after the last target are not needed, but they were supplied, so they are checked too.
  applyChangesBelow(undefined)
}

function checkSeals(block: VerifiedHeader, validators: readonly Uint8Array[], step: VerifyStep, context: Context): void {
  const { header } = block
  const recovered = context.signers(block)
  const members = new Set<string>(validators.map(bytesToHex))
  const signers = new Set<string>()
  // Evidence headers fail as 'validatorSet'; the proven block's own seals as 'seals' or 'quorum'.
  const sealStep: VerifyStep = step === 'validatorSet' ? step : 'seals'
  for (const [i, signer] of recovered.entries()) {
    if (signer === undefined) fail(sealStep, `block ${header.number} seal ${i} is not a valid signature`)
    if (!members.has(signer)) fail(sealStep, `block ${header.number} seal ${i} is by ${signer}, not a validator of that height`)
    if (signers.has(signer)) fail(sealStep, `block ${header.number} has two seals by ${signer}`)
    signers.add(signer)
  }
  const needed = quorumSize(validators.length)
  if (signers.size < needed) {
    fail(step === 'validatorSet' ? step : 'quorum', `block ${header.number} has ${signers.size} seals, the quorum of ${validators.length} validators is ${needed}`)
  }
}
