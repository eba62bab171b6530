import { blockHash, commitSealHash } from '../chain/seal.js'
import type { Block } from '../chain/types.js'
import { bytesToHex, equalBytes } from '../primitives/bytes.js'
import { signPayload, type EngineMessage } from './authenticate.js'
import { blockWithRound, blockWithSeals } from './blockCodec.js'
import { isValidRound, type PreparePayload, type RoundChangePayload } from './messages.js'
import { addressKey, faultTolerance, proposerForRound, quorumSize, sortValidators } from './proposer.js'
import type {
  AcceptedProposal,
  EngineProposal,
  EngineRoundChange,
  QbftConfig,
  QbftEffect,
  QbftInput,
  QbftState,
  QbftStats,
  QbftStep,
  QbftWal,
  SignedPrepare,
  SignedRoundChange,
} from './types.js'

/**
 * QBFT as a pure state machine: step(state, input) -> { state, effects }. No I/O, clock, timers or randomness;
 * signing and commit-seal recovery are injected (config). Rules follow the QBFT spec (EEA / ConsenSys Dafny) as
 * Besu implements them; docs/spec/consensus.md describes them.
 */
export interface QbftEngine {
  readonly config: QbftConfig
  initialState(): QbftState
  step(state: QbftState, input: QbftInput): QbftStep
}

export function createQbftEngine(config: QbftConfig): QbftEngine {
  return {
    config,
    initialState: () => initialState(config),
    step: (state, input) => step(config, state, input),
  }
}

const EMPTY_STATS: QbftStats = {
  received: 0,
  duplicate: 0,
  conflicting: 0,
  nonValidator: 0,
  old: 0,
  wrongProposer: 0,
  invalid: 0,
  badCommitSeal: 0,
  overflow: 0,
  roundChanges: 0,
  finalized: 0,
}

function initialState(_config: QbftConfig): QbftState {
  return {
    height: 0n,
    round: 0,
    validators: [],
    validatorKeys: new Set(),
    isValidator: false,
    previousProposer: new Uint8Array(20),
    finalized: false,
    proposal: undefined,
    pendingProposal: undefined,
    prepares: new Map(),
    commits: new Map(),
    sealChecked: new Set(),
    sent: [],
    prepared: undefined,
    roundChanges: new Map(),
    roundTimerSynced: false,
    roundExtended: false,
    awaitingBlock: undefined,
    futureRound: [],
    futureHeight: [],
    seen: new Map(),
    aheadHeights: new Map(),
    syncRequested: 0n,
    stats: { ...EMPTY_STATS },
  }
}

/** Round r's timeout: base * 2^r, capped (docs/spec/consensus.md explains why the cap keeps liveness). */
export function roundTimeoutMs(config: Pick<QbftConfig, 'baseRoundTimeoutMs' | 'maxRoundTimeoutMs'>, round: number): number {
  if (round >= 40) return config.maxRoundTimeoutMs
  return Math.min(config.baseRoundTimeoutMs * 2 ** round, config.maxRoundTimeoutMs)
}

/** The WAL content of a state (what must be durable before this state's messages go out). */
export function walOf(state: QbftState): QbftWal {
  return { height: state.height, round: state.round, prepared: state.prepared, sent: state.sent }
}

const walFingerprint = (s: QbftState) => `${s.height}:${s.round}:${s.prepared?.round ?? -1}:${s.sent.length}`

/** Collections copied on first write in a step (copy-on-write keeps a step cheap while states stay immutable). */
type Owned = 'prepares' | 'commits' | 'sealChecked' | 'sent' | 'roundChanges' | 'futureRound' | 'futureHeight' | 'seen' | 'aheadHeights'

function copyCollection<T>(value: T): T {
  if (value instanceof Map) return new Map(value) as T
  if (value instanceof Set) return new Set(value) as T
  return [...(value as unknown[])] as T
}

/** The state plus the effects being gathered during one step. */
interface Ctx {
  config: QbftConfig
  s: QbftState
  fx: QbftEffect[]
  owned: Set<Owned>
}

function own<K extends Owned>(ctx: Ctx, key: K): QbftState[K] {
  if (!ctx.owned.has(key)) {
    ctx.s[key] = copyCollection(ctx.s[key])
    ctx.owned.add(key)
  }
  return ctx.s[key]
}

const ALL_OWNED: Owned[] = ['prepares', 'commits', 'sealChecked', 'sent', 'roundChanges', 'futureRound', 'futureHeight', 'seen', 'aheadHeights']

export function step(config: QbftConfig, state: QbftState, input: QbftInput): QbftStep {
  const ctx: Ctx = { config, s: { ...state, stats: { ...state.stats } }, fx: [], owned: new Set() }
  const before = walFingerprint(state)
  switch (input.type) {
    case 'newHeight':
      onNewHeight(ctx, input.height, input.validators, input.previousProposer, input.wal)
      break
    case 'message':
      onMessage(ctx, input.message)
      break
    case 'roundTimeout':
      if (input.height === ctx.s.height && input.round === ctx.s.round && !ctx.s.finalized) onRoundTimeout(ctx)
      break
    case 'blockPeriodTimeout':
      onBlockPeriodTimeout(ctx, input.height)
      break
    case 'blockBuilt':
      onBlockBuilt(ctx, input.height, input.round, input.block)
      break
    case 'blockValidated':
      onBlockValidated(ctx, input.height, input.round, input.digest, input.valid)
      break
  }
  // Nothing signed and nothing prepared at this height means nothing to protect: skip the write (a stale
  // record of an earlier height is ignored on restart).
  const protects = ctx.s.sent.length > 0 || ctx.s.prepared !== undefined
  if (walFingerprint(ctx.s) !== before && protects) ctx.fx.unshift({ type: 'persist', wal: walOf(ctx.s) })
  return { state: ctx.s, effects: ctx.fx }
}

// ---- helpers --------------------------------------------------------------------------------------------------

const quorum = (s: QbftState) => quorumSize(s.validators.length)
const proposerOf = (s: QbftState, round: number) => proposerForRound(s.validators, s.previousProposer, round)
const isProposer = (ctx: Ctx, round: number) => ctx.s.isValidator && equalBytes(proposerOf(ctx.s, round), ctx.config.self)
const selfKey = (ctx: Ctx) => addressKey(ctx.config.self)
const hasSent = (s: QbftState, type: EngineMessage['type']) => s.sent.some((m) => m.type === type)

function messageHeightRound(m: EngineMessage): { height: bigint; round: number } {
  return { height: m.signed.payload.height, round: m.signed.payload.round }
}

function send(ctx: Ctx, message: EngineMessage): void {
  own(ctx, 'sent').push(message)
  const { round } = messageHeightRound(message)
  own(ctx, 'seen').set(`${message.type}:${round}:${selfKey(ctx)}`, bytesToHex(message.signed.signature))
  ctx.fx.push({ type: 'broadcast', message })
}

function scheduleRoundTimer(ctx: Ctx, extraMs = 0): void {
  const { height, round } = ctx.s
  ctx.fx.push({ type: 'scheduleTimeout', timer: 'round', height, round, delayMs: extraMs + roundTimeoutMs(ctx.config, round) })
}

// ---- heights and rounds ---------------------------------------------------------------------------------------

function onNewHeight(ctx: Ctx, height: bigint, validators: Uint8Array[], previousProposer: Uint8Array, wal: QbftWal | undefined): void {
  const old = ctx.s
  if (old.height !== 0n && height <= old.height) return
  const sorted = sortValidators(validators)
  const keys = new Set(sorted.map(addressKey))
  const s: QbftState = {
    ...initialState(ctx.config),
    height,
    validators: sorted,
    validatorKeys: keys,
    isValidator: keys.has(selfKey(ctx)),
    previousProposer,
    futureHeight: old.futureHeight.filter((m) => m.signed.payload.height >= height),
    aheadHeights: new Map([...old.aheadHeights].filter(([, h]) => h > height)),
    syncRequested: old.syncRequested,
    stats: old.stats,
  }
  ctx.s = s
  for (const key of ALL_OWNED) ctx.owned.add(key)
  if (wal !== undefined && wal.height === height) restoreWal(ctx, wal)
  if (s.round === 0) {
    scheduleRoundTimer(ctx, ctx.config.blockPeriodMs)
    if (isProposer(ctx, 0) && !hasSent(s, 'proposal')) {
      ctx.fx.push({ type: 'scheduleTimeout', timer: 'blockPeriod', height, round: 0, delayMs: ctx.config.blockPeriodMs })
    }
  } else {
    scheduleRoundTimer(ctx)
  }
  // Replay what arrived early for this height (validator membership can be checked only now).
  const replay = s.futureHeight.filter((m) => m.signed.payload.height === height)
  s.futureHeight = s.futureHeight.filter((m) => m.signed.payload.height > height)
  for (const m of replay) onMessage(ctx, m, true)
  tryPropose(ctx)
  checkSync(ctx)
}

/** Resumes a height after a restart: the same round, lock and own messages, re-sent as they were. */
function restoreWal(ctx: Ctx, wal: QbftWal): void {
  const s = ctx.s
  s.round = wal.round
  s.prepared = wal.prepared
  for (const m of wal.sent) {
    if (m.signed.payload.round !== wal.round) continue
    send(ctx, m)
    const me = selfKey(ctx)
    if (m.type === 'prepare') own(ctx, 'prepares').set(me, m.signed)
    else if (m.type === 'commit') own(ctx, 'commits').set(me, m.signed)
    else if (m.type === 'roundChange') own(ctx, 'roundChanges').set(me, m)
    else s.proposal = acceptedProposal(m)
  }
}

function enterRound(ctx: Ctx, round: number, sendRoundChange: boolean): void {
  const s = ctx.s
  s.round = round
  s.proposal = undefined
  s.pendingProposal = undefined
  s.prepares = new Map()
  s.commits = new Map()
  s.sealChecked = new Set()
  s.sent = []
  for (const key of ['prepares', 'commits', 'sealChecked', 'sent'] as const) ctx.owned.add(key)
  s.awaitingBlock = undefined
  s.roundTimerSynced = false
  s.roundExtended = false
  const roundChanges = own(ctx, 'roundChanges')
  for (const [k, rc] of roundChanges) if (rc.signed.payload.round < round) roundChanges.delete(k)
  // A sync attempt may have failed (peer unreachable): allow one more per round.
  if (s.syncRequested >= s.height) s.syncRequested = s.height - 1n
  scheduleRoundTimer(ctx)
  if (sendRoundChange && s.isValidator) {
    const payload: RoundChangePayload = {
      height: s.height,
      round,
      prepared: s.prepared ? { round: s.prepared.round, digest: blockHash(s.prepared.block.header) } : undefined,
    }
    const message: EngineRoundChange = {
      type: 'roundChange',
      signed: signPayload('roundChange', payload, ctx.config.sign, ctx.config.self, ctx.config.blockCodec),
      preparedBlock: s.prepared?.block,
      prepares: s.prepared?.prepares ?? [],
    }
    send(ctx, message)
    own(ctx, 'roundChanges').set(selfKey(ctx), message)
  }
  const replay = s.futureRound.filter((m) => m.signed.payload.round === round)
  s.futureRound = s.futureRound.filter((m) => m.signed.payload.round > round)
  ctx.owned.add('futureRound')
  for (const m of replay) onMessage(ctx, m, true)
  syncRoundTimer(ctx)
  tryPropose(ctx)
  checkSync(ctx)
}

/** Validators known to have reached our round or a later one (their latest round change), ourselves included. */
function roundReach(ctx: Ctx): number {
  const s = ctx.s
  let count = s.roundChanges.has(selfKey(ctx)) || !s.isValidator ? 0 : 1
  for (const rc of s.roundChanges.values()) if (rc.signed.payload.round >= s.round) count++
  return count
}

/**
 * A round after 0 that no quorum has reached yet gets one extra timeout before it is left: this validator is ahead
 * of the quorum, so it re-sends its round change and waits for the others to catch up instead of running away.
 * Without it, a group ahead by almost one timeout, too small for the f+1 rule, kept leaving each round just before
 * the rest arrived, forever (found by the simulated network at n = 7). Only one extension per round: a round change
 * lost for good (a re-send can be lost too) must not stall the validator; the next round's is new.
 */
function onRoundTimeout(ctx: Ctx): void {
  const s = ctx.s
  if (s.round > 0 && !s.roundExtended && roundReach(ctx) < quorum(s)) {
    s.roundExtended = true
    for (const m of s.sent) if (m.type === 'roundChange') ctx.fx.push({ type: 'broadcast', message: m })
    if (s.syncRequested >= s.height) s.syncRequested = s.height - 1n
    scheduleRoundTimer(ctx)
    checkSync(ctx)
    return
  }
  s.stats.roundChanges++
  enterRound(ctx, s.round + 1, true)
}

/**
 * Restarts the round timer when a quorum has first reached the round, so validators that entered it at different
 * times (the last arrivals, and those that waited for them) expire together and the round's proposer gets a full
 * timeout with everyone present. Timers only affect liveness, never safety.
 */
function syncRoundTimer(ctx: Ctx): void {
  const s = ctx.s
  if (s.round === 0 || s.roundTimerSynced || s.finalized) return
  if (roundReach(ctx) < quorum(s)) return
  s.roundTimerSynced = true
  scheduleRoundTimer(ctx)
}

// ---- proposing ------------------------------------------------------------------------------------------------

function onBlockPeriodTimeout(ctx: Ctx, height: bigint): void {
  const s = ctx.s
  if (height !== s.height || s.round !== 0 || s.finalized || s.awaitingBlock || hasSent(s, 'proposal')) return
  if (!isProposer(ctx, 0)) return
  s.awaitingBlock = { round: 0, roundChanges: [] }
  ctx.fx.push({ type: 'buildBlock', height, round: 0 })
}

function onBlockBuilt(ctx: Ctx, height: bigint, round: number, built: Block): void {
  const s = ctx.s
  if (height !== s.height || round !== s.round || s.finalized || s.awaitingBlock?.round !== round) return
  if (built.header.number !== height) {
    s.stats.invalid++
    return
  }
  const justification = s.awaitingBlock.roundChanges
  s.awaitingBlock = undefined
  propose(ctx, blockWithRound(built, round), justification, [])
}

/** At round > 0, with a quorum of round changes: re-propose the highest prepared block, or build a new one. */
function tryPropose(ctx: Ctx): void {
  const s = ctx.s
  if (s.finalized || s.round === 0 || !isProposer(ctx, s.round)) return
  if (s.awaitingBlock || hasSent(s, 'proposal') || s.proposal) return
  const forRound = [...s.roundChanges.values()].filter((rc) => rc.signed.payload.round === s.round)
  if (forRound.length < quorum(s)) return
  const justification = forRound.map((rc) => rc.signed)
  const highest = highestPrepared(justification)
  if (highest === undefined) {
    s.awaitingBlock = { round: s.round, roundChanges: justification }
    ctx.fx.push({ type: 'buildBlock', height: s.height, round: s.round })
    return
  }
  const carrier = forRound.find((rc) => rc.signed === highest) as EngineRoundChange
  propose(ctx, blockWithRound(carrier.preparedBlock as Block, s.round), justification, carrier.prepares)
}

function propose(ctx: Ctx, block: Block, roundChanges: SignedRoundChange[], prepares: SignedPrepare[]): void {
  const s = ctx.s
  const message: EngineProposal = {
    type: 'proposal',
    signed: signPayload('proposal', { height: s.height, round: s.round, block }, ctx.config.sign, ctx.config.self, ctx.config.blockCodec),
    roundChanges,
    prepares,
  }
  send(ctx, message)
  acceptProposal(ctx, acceptedProposal(message))
}

function acceptedProposal(message: EngineProposal): AcceptedProposal {
  const block = message.signed.payload.block
  return { message, block, digest: blockHash(block.header), commitSealHash: commitSealHash(block.header) }
}

// ---- messages -------------------------------------------------------------------------------------------------

function onMessage(ctx: Ctx, m: EngineMessage, replayed = false): void {
  const s = ctx.s
  if (!replayed) s.stats.received++
  const { height, round } = messageHeightRound(m)
  if (!isValidRound(round)) {
    s.stats.invalid++
    return
  }
  const author = addressKey(m.signed.author)
  if (s.height === 0n || height > s.height) {
    noteAhead(ctx, author, height)
    if (height <= s.height + BigInt(ctx.config.maxFutureHeights) && bufferRoom(ctx, s.futureHeight, author)) own(ctx, 'futureHeight').push(m)
    else s.stats.overflow++
    checkSync(ctx)
    return
  }
  if (height < s.height || s.finalized) {
    s.stats.old++
    return
  }
  if (!s.validatorKeys.has(author)) {
    s.stats.nonValidator++
    return
  }
  if (round < s.round) {
    s.stats.old++
    return
  }
  switch (m.type) {
    case 'proposal':
      return onProposal(ctx, m)
    case 'roundChange':
      return onRoundChange(ctx, m)
    case 'prepare':
    case 'commit':
      if (round > s.round) {
        if (bufferRoom(ctx, s.futureRound, author)) own(ctx, 'futureRound').push(m)
        else s.stats.overflow++
        return
      }
      if (!firstOfItsKind(ctx, m)) return
      if (m.type === 'prepare') {
        own(ctx, 'prepares').set(author, m.signed)
        checkPrepared(ctx)
      } else {
        own(ctx, 'commits').set(author, m.signed)
        checkCommitted(ctx)
      }
  }
}

function bufferRoom(ctx: Ctx, buffer: EngineMessage[], author: string): boolean {
  let count = 0
  for (const m of buffer) if (addressKey(m.signed.author) === author) count++
  return count < ctx.config.maxBufferedPerAuthor
}

/** Records (kind, round, author); false (and counted) for a duplicate or a conflicting second message. */
function firstOfItsKind(ctx: Ctx, m: EngineMessage): boolean {
  const key = `${m.type}:${m.signed.payload.round}:${addressKey(m.signed.author)}`
  const signature = bytesToHex(m.signed.signature)
  const previous = ctx.s.seen.get(key)
  if (previous === undefined) {
    own(ctx, 'seen').set(key, signature)
    return true
  }
  if (previous === signature) ctx.s.stats.duplicate++
  else ctx.s.stats.conflicting++
  return false
}

function onProposal(ctx: Ctx, m: EngineProposal): void {
  const s = ctx.s
  const { round, block } = m.signed.payload
  if (!equalBytes(m.signed.author, proposerOf(s, round))) {
    s.stats.wrongProposer++
    return
  }
  if (!firstOfItsKind(ctx, m)) return
  const candidate = acceptedProposal(m)
  const extra = block.header.extraData
  const wellFormed = block.header.number === s.height && extra.round === round && extra.seals.length === 0
  if (!wellFormed || !isJustified(s, m, candidate.digest)) {
    s.stats.invalid++
    return
  }
  if (round > s.round) enterRound(ctx, round, false)
  if (ctx.s.proposal || ctx.s.pendingProposal) return
  ctx.s.pendingProposal = candidate
  ctx.fx.push({ type: 'validateBlock', height: s.height, round, block })
}

function onBlockValidated(ctx: Ctx, height: bigint, round: number, digest: Uint8Array, valid: boolean): void {
  const s = ctx.s
  const pending = s.pendingProposal
  if (height !== s.height || round !== s.round || !pending || !equalBytes(pending.digest, digest)) return
  s.pendingProposal = undefined
  if (!valid) {
    s.stats.invalid++
    return
  }
  acceptProposal(ctx, pending)
}

function acceptProposal(ctx: Ctx, proposal: AcceptedProposal): void {
  const s = ctx.s
  s.proposal = proposal
  if (s.isValidator && !hasSent(s, 'prepare')) {
    const payload: PreparePayload = { height: s.height, round: s.round, digest: proposal.digest }
    const signed = signPayload('prepare', payload, ctx.config.sign, ctx.config.self, ctx.config.blockCodec)
    send(ctx, { type: 'prepare', signed })
    own(ctx, 'prepares').set(selfKey(ctx), signed)
  }
  checkPrepared(ctx)
  checkCommitted(ctx)
}

function checkPrepared(ctx: Ctx): void {
  const s = ctx.s
  const proposal = s.proposal
  if (!proposal || s.finalized || s.prepared?.round === s.round) return
  const matching = [...s.prepares.values()].filter((p) => equalBytes(p.payload.digest, proposal.digest))
  if (matching.length < quorum(s)) return
  s.prepared = { round: s.round, block: proposal.block, prepares: matching }
  if (s.isValidator && !hasSent(s, 'commit')) {
    const commitSeal = ctx.config.sign(proposal.commitSealHash)
    const payload = { height: s.height, round: s.round, digest: proposal.digest, commitSeal }
    const signed = signPayload('commit', payload, ctx.config.sign, ctx.config.self, ctx.config.blockCodec)
    send(ctx, { type: 'commit', signed })
    own(ctx, 'commits').set(selfKey(ctx), signed)
    own(ctx, 'sealChecked').add(selfKey(ctx))
  }
  checkCommitted(ctx)
}

function checkCommitted(ctx: Ctx): void {
  const s = ctx.s
  const proposal = s.proposal
  if (!proposal || s.finalized) return
  const seals: Uint8Array[] = []
  for (const [author, commit] of s.commits) {
    if (!equalBytes(commit.payload.digest, proposal.digest)) continue
    if (!s.sealChecked.has(author)) {
      const signer = ctx.config.recoverSigner(proposal.commitSealHash, commit.payload.commitSeal)
      if (signer === undefined || addressKey(signer) !== author) {
        s.stats.badCommitSeal++
        own(ctx, 'commits').delete(author)
        continue
      }
      own(ctx, 'sealChecked').add(author)
    }
    seals.push(commit.payload.commitSeal)
  }
  if (seals.length < quorum(s)) return
  s.finalized = true
  s.stats.finalized++
  s.futureRound = []
  ctx.fx.push({ type: 'commitBlock', block: blockWithSeals(proposal.block, seals) })
}

// ---- round changes --------------------------------------------------------------------------------------------

function onRoundChange(ctx: Ctx, m: EngineRoundChange): void {
  const s = ctx.s
  const author = addressKey(m.signed.author)
  if (!validRoundChange(s, m)) {
    s.stats.invalid++
    return
  }
  if (!firstOfItsKind(ctx, m)) return
  const existing = s.roundChanges.get(author)
  if (existing && existing.signed.payload.round >= m.signed.payload.round) return
  own(ctx, 'roundChanges').set(author, m)
  syncRoundTimer(ctx)
  // f+1 validators are in later rounds, so at least one honest one is: join the highest round f+1 have reached.
  const f = faultTolerance(s.validators.length)
  const ahead = [...s.roundChanges.values()]
    .map((rc) => rc.signed.payload.round)
    .filter((r) => r > s.round)
    .sort((a, b) => b - a)
  const target = ahead[f]
  if (target !== undefined && target > s.round) {
    s.stats.roundChanges++
    enterRound(ctx, target, true)
    return
  }
  tryPropose(ctx)
}

function validRoundChange(s: QbftState, m: EngineRoundChange): boolean {
  const { round, prepared } = m.signed.payload
  if (prepared === undefined) return true
  const block = m.preparedBlock
  if (!block || prepared.round >= round || !isValidRound(prepared.round)) return false
  if (block.header.number !== s.height || block.header.extraData.round !== prepared.round) return false
  if (!equalBytes(blockHash(block.header), prepared.digest)) return false
  return isPrepareQuorum(s, m.prepares, prepared.round, prepared.digest)
}

function isPrepareQuorum(s: QbftState, prepares: SignedPrepare[], round: number, digest: Uint8Array): boolean {
  const authors = new Set<string>()
  for (const p of prepares) {
    const key = addressKey(p.author)
    if (!s.validatorKeys.has(key)) continue
    if (p.payload.height !== s.height || p.payload.round !== round || !equalBytes(p.payload.digest, digest)) continue
    authors.add(key)
  }
  return authors.size >= quorum(s)
}

function highestPrepared(roundChanges: SignedRoundChange[]): SignedRoundChange | undefined {
  let best: SignedRoundChange | undefined
  for (const rc of roundChanges) {
    const p = rc.payload.prepared
    if (p && (!best || p.round > (best.payload.prepared as { round: number }).round)) best = rc
  }
  return best
}

/** Round 0 needs nothing; later rounds need a round-change quorum and, if any prepared, the highest's block. */
function isJustified(s: QbftState, m: EngineProposal, digest: Uint8Array): boolean {
  const round = m.signed.payload.round
  if (round === 0) return true
  const authors = new Set<string>()
  const valid: SignedRoundChange[] = []
  for (const rc of m.roundChanges) {
    const key = addressKey(rc.author)
    if (!s.validatorKeys.has(key) || authors.has(key)) continue
    if (rc.payload.height !== s.height || rc.payload.round !== round) continue
    if (rc.payload.prepared && rc.payload.prepared.round >= round) return false
    authors.add(key)
    valid.push(rc)
  }
  if (authors.size < quorum(s)) return false
  const highest = highestPrepared(valid)?.payload.prepared
  if (highest === undefined) return true
  return equalBytes(highest.digest, digest) && isPrepareQuorum(s, m.prepares, highest.round, digest)
}

// ---- falling behind -------------------------------------------------------------------------------------------

function noteAhead(ctx: Ctx, author: string, height: bigint): void {
  const s = ctx.s
  // Before the first newHeight the validator set is unknown; note everyone.
  if (s.height !== 0n && !s.validatorKeys.has(author)) return
  if ((s.aheadHeights.get(author) ?? 0n) < height) own(ctx, 'aheadHeights').set(author, height)
}

/**
 * When a validator is at a later height, finalized blocks we lack exist: ask the sync seam for them. One author is
 * enough (sync checks the blocks' commit seals, so a lying validator costs one failed fetch per round, no more).
 * One height ahead is normal while commits are in flight, so that case waits until our own round has timed out.
 */
function checkSync(ctx: Ctx): void {
  const s = ctx.s
  if (s.height === 0n) return
  let target = 0n
  for (const h of s.aheadHeights.values()) if (h > target) target = h
  if (target <= s.height) return
  if (target === s.height + 1n && (s.finalized || s.round === 0)) return
  const syncTo = target - 1n
  if (syncTo > s.syncRequested && syncTo >= s.height) {
    s.syncRequested = syncTo
    ctx.fx.push({ type: 'requestSync', height: syncTo })
  }
}

