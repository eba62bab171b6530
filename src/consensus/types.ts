import type { Block } from '../chain/types.js'
import type { EngineMessage, RecoverSigner, SignHash } from './authenticate.js'
import type { BlockCodec } from './blockCodec.js'
import type { CommitPayload, PreparePayload, ProposalMessage, RoundChangeMessage, RoundChangePayload, Signed } from './messages.js'

export interface QbftConfig {
  /** This validator's 20-byte address. */
  self: Uint8Array
  /** Signs a 32-byte hash with this validator's key. Deterministic (RFC 6979), so the step stays a function. */
  sign: SignHash
  /** Recovers commit-seal signers; other messages arrive with their authors already recovered. */
  recoverSigner: RecoverSigner
  blockCodec: BlockCodec
  /** Wait before the round-0 proposer builds (Besu's block period). 0 in dev mode. */
  blockPeriodMs: number
  /** Round r times out after min(baseRoundTimeoutMs * 2^r, maxRoundTimeoutMs). */
  baseRoundTimeoutMs: number
  maxRoundTimeoutMs: number
  /** Messages up to this many heights ahead are buffered; further ones only count towards sync. */
  maxFutureHeights: number
  /** Buffered future messages kept per sender (bounds what a Byzantine validator can make us hold). */
  maxBufferedPerAuthor: number
}

export const DEFAULT_QBFT_TIMING = {
  blockPeriodMs: 1000,
  baseRoundTimeoutMs: 1000,
  maxRoundTimeoutMs: 10_000,
  maxFutureHeights: 10,
  maxBufferedPerAuthor: 64,
} as const

export type SignedPrepare = Signed<PreparePayload, Uint8Array>
export type SignedCommit = Signed<CommitPayload, Uint8Array>
export type SignedRoundChange = Signed<RoundChangePayload, Uint8Array>
export type EngineProposal = ProposalMessage<Block, Uint8Array>
export type EngineRoundChange = RoundChangeMessage<Block, Uint8Array>

/** A quorum of prepares for one block in one round: what a round change carries and a restart must keep. */
export interface PreparedCertificate {
  round: number
  /** The block as prepared, with that round in its extraData. */
  block: Block
  prepares: SignedPrepare[]
}

/** What the driver persists before it sends anything this step produced (docs/spec/consensus.md, Persistence). */
export interface QbftWal {
  height: bigint
  round: number
  prepared: PreparedCertificate | undefined
  /** Own signed messages of `round` at `height`, re-sent (never re-signed differently) after a restart. */
  sent: EngineMessage[]
}

export type QbftInput =
  | {
      type: 'newHeight'
      height: bigint
      /** The validator set for `height` (from the injected validators(height)). */
      validators: Uint8Array[]
      /** The parent block's proposer (its coinbase); round robin starts after it. */
      previousProposer: Uint8Array
      /** The persisted WAL, if any; used only when it is for `height`. */
      wal?: QbftWal | undefined
    }
  | { type: 'message'; message: EngineMessage }
  | { type: 'roundTimeout'; height: bigint; round: number }
  | { type: 'blockPeriodTimeout'; height: bigint }
  | { type: 'blockBuilt'; height: bigint; round: number; block: Block }
  | { type: 'blockValidated'; height: bigint; round: number; digest: Uint8Array; valid: boolean }

export type QbftEffect =
  /** Write durably before performing any later effect of the same step. Always first when present. */
  | { type: 'persist'; wal: QbftWal }
  | { type: 'broadcast'; message: EngineMessage }
  /** Replaces any pending timer of the same kind. */
  | { type: 'scheduleTimeout'; timer: 'round'; height: bigint; round: number; delayMs: number }
  | { type: 'scheduleTimeout'; timer: 'blockPeriod'; height: bigint; round: 0; delayMs: number }
  | { type: 'buildBlock'; height: bigint; round: number }
  | { type: 'validateBlock'; height: bigint; round: number; block: Block }
  /** The block with its commit seals in extraData. The engine then waits for newHeight. */
  | { type: 'commitBlock'; block: Block }
  /** f+1 validators are past our height: fetch finalized blocks up to `height` through the sync seam. */
  | { type: 'requestSync'; height: bigint }

export interface QbftStats {
  received: number
  duplicate: number
  /** A second, different message for one (kind, round, sender): equivocation, first one kept. */
  conflicting: number
  nonValidator: number
  /** Past heights or rounds. */
  old: number
  wrongProposer: number
  /** Malformed content, unjustified proposals, bad certificates, blocks that failed validation. */
  invalid: number
  badCommitSeal: number
  /** Future messages dropped because their sender's buffer was full or they were too far ahead. */
  overflow: number
  roundChanges: number
  finalized: number
}

export interface AcceptedProposal {
  message: EngineProposal
  /** The proposed block, with the proposal's round in its extraData. */
  block: Block
  digest: Uint8Array
  commitSealHash: Uint8Array
}

/** The engine's whole state. Treat as immutable: step returns a new one. */
export interface QbftState {
  /** The height being decided; 0n until the first newHeight. */
  height: bigint
  round: number
  validators: Uint8Array[]
  validatorKeys: ReadonlySet<string>
  isValidator: boolean
  previousProposer: Uint8Array
  finalized: boolean
  proposal: AcceptedProposal | undefined
  pendingProposal: AcceptedProposal | undefined
  prepares: Map<string, SignedPrepare>
  commits: Map<string, SignedCommit>
  /** Commit seals already checked against the current proposal, by author. */
  sealChecked: Set<string>
  sent: EngineMessage[]
  prepared: PreparedCertificate | undefined
  /** The highest-round round change per validator, rounds >= the current round. */
  roundChanges: Map<string, EngineRoundChange>
  /** The round timer was restarted when a quorum of round changes for this round was seen. */
  roundTimerSynced: boolean
  /** This round's timeout was extended once because no quorum had reached the round yet. */
  roundExtended: boolean
  awaitingBlock: { round: number; roundChanges: SignedRoundChange[] } | undefined
  futureRound: EngineMessage[]
  futureHeight: EngineMessage[]
  /** (kind:round:author) -> signature, for duplicate and equivocation detection at this height. */
  seen: Map<string, string>
  /** Highest height seen per validator above ours, for sync. */
  aheadHeights: Map<string, bigint>
  syncRequested: bigint
  stats: QbftStats
}

export interface QbftStep {
  state: QbftState
  effects: QbftEffect[]
}
