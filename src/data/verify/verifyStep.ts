import type { BlockHeader } from '../../chain/header.js'
import { bytesToHex, type Hex } from '../../primitives/bytes.js'
import { errorMessage } from '../../primitives/errors.js'
import type { VerifierCrypto } from './verifierCrypto.js'

/** The steps, in the order they run; a failure names the first that failed. */
export type VerifyStep =
  | 'format'
  | 'genesis'
  | 'header'
  | 'merklePath'
  | 'anchorRoot'
  | 'transactionInclusion'
  | 'transaction'
  | 'receiptInclusion'
  | 'registryLog'
  | 'transfers'
  | 'contentHash'
  | 'validatorSet'
  | 'seals'
  | 'quorum'

/** A failed check: the step it belongs to and why. verifyProof turns it into a result. */
export class StepFailure extends Error {
  constructor(
    readonly step: VerifyStep,
    message: string,
  ) {
    super(message)
  }
}

export function fail(step: VerifyStep, message: string): never {
  throw new StepFailure(step, message)
}

/** Runs `fn`, turning any error into a failure of `step` (decoders throw SteleError on malformed input). */
export function at<T>(step: VerifyStep, what: string, fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    if (error instanceof StepFailure) throw error
    return fail(step, `${what}: ${errorMessage(error)}`)
  }
}

export interface VerifiedHeader {
  header: BlockHeader
  /** The block hash. */
  hash: Uint8Array
  /** What its commit seals sign. */
  sealHash: Uint8Array
}

/** How headers are decoded and seals recovered: directly, or through a session's memo. */
export interface Context {
  crypto: VerifierCrypto
  header(hex: Hex, step: VerifyStep, what: string): VerifiedHeader
  /** Each seal's signer address (hex), or undefined where a seal does not recover. */
  signers(block: VerifiedHeader): (string | undefined)[]
}

export function checkDistinct(addresses: readonly Uint8Array[], step: VerifyStep, what: string): void {
  const seen = new Set(addresses.map(bytesToHex))
  if (seen.size !== addresses.length) fail(step, `${what} lists an address twice`)
}

