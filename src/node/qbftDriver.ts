import type { BlockHeader } from '../chain/header.js'
import type { Block } from '../chain/types.js'
import { recoverAddress } from '../crypto/secp256k1.js'
import { authenticateMessage, toWireMessage, type RecoverSigner } from '../consensus/authenticate.js'
import { qbftBlockCodec, type BlockCodec } from '../consensus/blockCodec.js'
import { decodeWireMessage, encodeWireMessage } from '../consensus/messages.js'
import { createQbftEngine, roundTimeoutMs } from '../consensus/qbft.js'
import { DEFAULT_QBFT_TIMING, type QbftEffect, type QbftInput, type QbftState, type QbftStats, type QbftWal } from '../consensus/types.js'
import { decodeWal, encodeWal } from '../consensus/wal.js'
import { errorMessage, isSteleError, ErrorCode } from '../primitives/errors.js'
import { silentLogger, type Logger } from '../primitives/logger.js'
import { WriteBatch, type KvStore } from '../state/kvStore.js'

/** Time, injected (tests drive a manual clock). */
export interface Clock {
  now(): number
  setTimer(delayMs: number, callback: () => void): unknown
  clearTimer(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/** The seam to block sync (the network layer provides it). */
export interface QbftSync {
  /**
   * Fetch finalized blocks up to `height` from peers, check their commit seals (consensus/verifyCommittedBlock.ts
   * hasCommitQuorum), import them, and call driver.onChainHead(header) for the new head. Best effort.
   */
  requestSync(height: bigint): void
}

export interface QbftDriverOptions {
  /** This validator's address (the signer of `sign`). */
  address: Uint8Array
  /** Signs a 32-byte hash with the validator key: 65 bytes r ‖ s ‖ v. Must be deterministic (RFC 6979). */
  sign(hash: Uint8Array): Uint8Array
  /** Builds (executes) the proposer's block for height and round; extraData.round = round, no seals. */
  buildBlock(height: bigint, round: number): Promise<Block>
  /** Executes someone else's proposed block; false when it is invalid. */
  validateBlock(block: Block): Promise<boolean>
  /** Commits a finalized block, its commit seals in header.extraData.seals. */
  commitBlock(block: Block): Promise<void>
  broadcast(bytes: Uint8Array): void
  /** The validator set that decides `height`. */
  validators(height: bigint): Uint8Array[] | Promise<Uint8Array[]>
  /** The current chain head (the driver starts at head + 1). */
  head(): BlockHeader
  /** The WAL lives in this store's `wal` space. */
  store: KvStore
  clock?: Clock
  sync?: QbftSync
  blockCodec?: BlockCodec
  /** Defaults to native secp256k1 recovery. */
  recoverSigner?: RecoverSigner
  blockPeriodMs: number
  baseRoundTimeoutMs?: number
  maxRoundTimeoutMs?: number
  /**
   * Dev mode (with blockPeriodMs 0): when false, a height does not start its round-0 timers until
   * hasPendingTransactions() is true or notifyPendingTransactions() is called. Default true.
   */
  emptyBlocks?: boolean
  hasPendingTransactions?: () => boolean
  /** Larger peer messages are dropped undecoded. Default 16 MiB. */
  maxMessageBytes?: number
  logger?: Logger
}

export interface QbftDriverStats extends QbftStats {
  oversized: number
  undecodable: number
  badSignature: number
  /** Round timers that expired while this validator was building or validating the round's block, and were re-armed. */
  deferredTimeouts: number
  /** Round timers extended once because this validator was prepared in the round and waited for commits. */
  preparedExtensions: number
  /** Times the current round's own messages were re-sent (a peer (re)joined, or a prepared round was extended). */
  resends: number
}

export interface QbftDriverStatus {
  height: bigint
  round: number
  finalized: boolean
  stats: QbftDriverStats
}

export interface QbftDriver {
  start(): Promise<void>
  /** Stops timers and waits for the input in progress. */
  stop(): Promise<void>
  /** Raw peer message bytes (one code byte + RLP). Decoded, signature-checked, then queued. */
  onMessage(bytes: Uint8Array): void
  /** The chain head moved outside consensus (sync imported blocks): start the height after it. */
  onChainHead(header: BlockHeader): void
  /** Transactions are pending: with emptyBlocks false, start the waiting height now. */
  notifyPendingTransactions(): void
  /**
   * Broadcasts again, unchanged, every message this validator signed in its current height and round. Call it
   * when a peer (re)joins: gossip does not replay, so a validator returning after a crash would otherwise wait
   * for the next round's messages, up to two capped timeouts, before it could take part.
   */
  resendCurrentRound(): void
  status(): QbftDriverStatus
  /** Resolves once the queue is empty and no commit is in progress (tests and orderly shutdown). */
  idle(): Promise<void>
}

const WAL_KEY = new TextEncoder().encode('qbft')

const nativeRecover: RecoverSigner = (hash, signature) => {
  try {
    return recoverAddress(hash, signature)
  } catch {
    return undefined
  }
}

type QueueItem = { kind: 'input'; input: QbftInput } | { kind: 'height'; height: bigint; previousProposer: Uint8Array } | { kind: 'resend' }

/**
 * The node side of QBFT: one input queue feeding the pure engine, timers from the injected clock, the WAL written
 * (synchronously, durably) before any message of the same step is sent, and async block work reached through
 * the injected functions. Every input, whatever its source, goes through the queue, one at a time.
 */
export function createQbftDriver(options: QbftDriverOptions): QbftDriver {
  const clock = options.clock ?? systemClock
  const codec = options.blockCodec ?? qbftBlockCodec
  const recover = options.recoverSigner ?? nativeRecover
  const log = options.logger ?? silentLogger
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024
  const emptyBlocks = options.emptyBlocks ?? true
  const engine = createQbftEngine({
    self: options.address,
    sign: options.sign,
    recoverSigner: recover,
    blockCodec: codec,
    blockPeriodMs: options.blockPeriodMs,
    baseRoundTimeoutMs: options.baseRoundTimeoutMs ?? DEFAULT_QBFT_TIMING.baseRoundTimeoutMs,
    maxRoundTimeoutMs: options.maxRoundTimeoutMs ?? DEFAULT_QBFT_TIMING.maxRoundTimeoutMs,
    maxFutureHeights: DEFAULT_QBFT_TIMING.maxFutureHeights,
    maxBufferedPerAuthor: DEFAULT_QBFT_TIMING.maxBufferedPerAuthor,
  })

  let state: QbftState = engine.initialState()
  const queue: QueueItem[] = []
  let running = false
  let done: Promise<void> = Promise.resolve()
  let stopped = true
  let firstHeight = true
  const counters = { oversized: 0, undecodable: 0, badSignature: 0, deferredTimeouts: 0, preparedExtensions: 0, resends: 0 }
  const timers: { round: unknown; blockPeriod: unknown } = { round: undefined, blockPeriod: undefined }
  /**
   * Block work (building or validating) in flight, by `height:round`. A round timer that expires while this
   * validator is itself busy with the round's block is held until that work ends, then re-armed for the round's
   * full timeout (docs/spec/consensus.md, Timeouts: own work does not count against the round).
   */
  const blockWork = new Map<string, number>()
  let heldTimeout: Extract<QbftEffect, { type: 'scheduleTimeout' }> | undefined
  const workKey = (height: bigint, round: number) => `${height}:${round}`
  const roundTiming = {
    baseRoundTimeoutMs: options.baseRoundTimeoutMs ?? DEFAULT_QBFT_TIMING.baseRoundTimeoutMs,
    maxRoundTimeoutMs: options.maxRoundTimeoutMs ?? DEFAULT_QBFT_TIMING.maxRoundTimeoutMs,
  }

  /** The (height, round) whose timer was already extended once because this validator was prepared in it. */
  let extendedRound: string | undefined

  function isCommitting(height: bigint, round: number): boolean {
    return state.height === height && state.round === round && !state.finalized && state.prepared?.round === round && extendedRound !== workKey(height, round)
  }

  function beginWork(height: bigint, round: number): void {
    const key = workKey(height, round)
    blockWork.set(key, (blockWork.get(key) ?? 0) + 1)
  }

  /** Ends one piece of block work; a round timeout held for it is re-armed now, from the end of the work. */
  function endWork(height: bigint, round: number): void {
    const key = workKey(height, round)
    const left = (blockWork.get(key) ?? 1) - 1
    if (left > 0) {
      blockWork.set(key, left)
      return
    }
    blockWork.delete(key)
    const held = heldTimeout
    if (held === undefined || workKey(held.height, held.round) !== key || stopped) return
    heldTimeout = undefined
    // The engine moved on meanwhile (finalized, new height or round): the held timer is stale.
    if (state.height !== held.height || state.round !== held.round || state.finalized) return
    schedule({ ...held, delayMs: roundTimeoutMs(roundTiming, held.round) })
  }
  /** Round-0 timers held back until transactions are pending (emptyBlocks false). */
  let parked: Extract<QbftEffect, { type: 'scheduleTimeout' }>[] = []

  function enqueue(item: QueueItem): void {
    if (stopped) return
    queue.push(item)
    if (!running) {
      running = true
      done = pump()
    }
  }

  async function pump(): Promise<void> {
    try {
      while (queue.length > 0 && !stopped) {
        const item = queue.shift() as QueueItem
        try {
          if (item.kind === 'resend') {
            resendSent()
            continue
          }
          const input = item.kind === 'input' ? item.input : await newHeightInput(item.height, item.previousProposer)
          if (input === undefined) continue
          const before = state
          const result = engine.step(state, input)
          state = result.state
          if (input.type === 'roundTimeout' && (state.round !== before.round || state.roundExtended !== before.roundExtended)) {
            log.info('round timed out', { height: state.height, round: before.round, next: state.round, proposal: before.proposal !== undefined, validating: before.pendingProposal !== undefined, prepared: before.prepared?.round === before.round, prepares: before.prepares.size, commits: before.commits.size, roundChanges: before.roundChanges.size, received: before.stats.received, old: before.stats.old, invalid: before.stats.invalid, badSignature: counters.badSignature, undecodable: counters.undecodable })
          }
          for (const effect of result.effects) await perform(effect)
        } catch (error) {
          log.error('consensus input failed', { error: errorMessage(error) })
        }
      }
    } finally {
      // Cleared in the same synchronous stretch as the last queue check, so no input is ever left behind.
      running = false
    }
  }

  async function newHeightInput(height: bigint, previousProposer: Uint8Array): Promise<QbftInput | undefined> {
    if (state.height !== 0n && height <= state.height) return undefined
    const validators = await options.validators(height)
    let wal: QbftWal | undefined
    if (firstHeight) {
      firstHeight = false
      const bytes = options.store.get('wal', WAL_KEY)
      if (bytes) {
        try {
          wal = decodeWal(bytes, recover, codec)
        } catch (error) {
          // A WAL that does not decode is not ours to trust; refusing to start would stall the chain for no gain.
          log.error('ignoring an unreadable consensus WAL', { error: errorMessage(error) })
        }
      }
    }
    parked = []
    return { type: 'newHeight', height, validators, previousProposer, wal }
  }

  async function perform(effect: QbftEffect): Promise<void> {
    switch (effect.type) {
      case 'persist':
        // Durable before anything of this step leaves the node (the engine puts persist first, and effects run in
        // order). It is queued after any block commit still in flight, so that block is durable by then too.
        await options.store.writeBehind(new WriteBatch().put('wal', WAL_KEY, encodeWal(effect.wal, codec)))
        return
      case 'broadcast':
        try {
          options.broadcast(encodeWireMessage(toWireMessage(effect.message, codec)))
        } catch (error) {
          log.warn('broadcast failed', { error: errorMessage(error) })
        }
        return
      case 'scheduleTimeout':
        if (!emptyBlocks && effect.round === 0 && !(options.hasPendingTransactions?.() ?? false)) {
          parked = [...parked.filter((p) => p.timer !== effect.timer), effect]
          if (effect.timer === 'round') heldTimeout = undefined
          if (timers[effect.timer] !== undefined) clock.clearTimer(timers[effect.timer])
          timers[effect.timer] = undefined
          return
        }
        schedule(effect)
        return
      case 'buildBlock':
        beginWork(effect.height, effect.round)
        options
          .buildBlock(effect.height, effect.round)
          .then(
            (block) => enqueue({ kind: 'input', input: { type: 'blockBuilt', height: effect.height, round: effect.round, block } }),
            (error) => log.error('building a block failed', { height: effect.height, round: effect.round, error: errorMessage(error) }),
          )
          .finally(() => endWork(effect.height, effect.round))
        return
      case 'validateBlock':
        beginWork(effect.height, effect.round)
        options
          .validateBlock(effect.block)
          .then(
            (valid) => enqueue({ kind: 'input', input: { type: 'blockValidated', height: effect.height, round: effect.round, digest: effect.block.hash, valid } }),
            (error) => {
              log.warn('proposed block failed validation', { height: effect.height, error: errorMessage(error) })
              enqueue({ kind: 'input', input: { type: 'blockValidated', height: effect.height, round: effect.round, digest: effect.block.hash, valid: false } })
            },
          )
          .finally(() => endWork(effect.height, effect.round))
        return
      case 'commitBlock':
        await commitWithRetry(effect.block)
        enqueue({ kind: 'height', height: effect.block.header.number + 1n, previousProposer: effect.block.header.coinbase })
        return
      case 'requestSync':
        options.sync?.requestSync(effect.height)
        return
    }
  }

  /** In the queue, so it sees the state between steps (what was persisted is what is re-sent). */
  function resendSent(): void {
    if (state.height === 0n || state.sent.length === 0) return
    counters.resends++
    for (const message of state.sent) {
      try {
        options.broadcast(encodeWireMessage(toWireMessage(message, codec)))
      } catch (error) {
        log.warn('re-sending a consensus message failed', { error: errorMessage(error) })
      }
    }
  }

  async function commitWithRetry(block: Block): Promise<void> {
    // The block is final (a quorum committed it): it must be stored, so failures are retried, not dropped.
    for (let attempt = 0; !stopped; attempt++) {
      // Sync may have imported this height meanwhile.
      if (options.head().number >= block.header.number) return
      try {
        await options.commitBlock(block)
        return
      } catch (error) {
        log.error('committing a finalized block failed; retrying', { number: block.header.number, attempt, error: errorMessage(error) })
        await new Promise<void>((resolve) => clock.setTimer(Math.min(1000 * 2 ** attempt, 30_000), resolve))
      }
    }
  }

  function schedule(effect: Extract<QbftEffect, { type: 'scheduleTimeout' }>): void {
    if (timers[effect.timer] !== undefined) clock.clearTimer(timers[effect.timer])
    // A newer round timer from the engine supersedes one held for block work.
    if (effect.timer === 'round') heldTimeout = undefined
    timers[effect.timer] = clock.setTimer(effect.delayMs, () => {
      timers[effect.timer] = undefined
      if (effect.timer === 'round' && blockWork.has(workKey(effect.height, effect.round))) {
        counters.deferredTimeouts++
        heldTimeout = effect
        return
      }
      if (effect.timer === 'round' && isCommitting(effect.height, effect.round)) {
        // Prepared here: a quorum validated the block and commits are on their way (others may still be executing
        // it). Leaving now would throw away a round one message delay from deciding: wait one more timeout, once
        // per round, and re-send our messages in case one was lost.
        extendedRound = workKey(effect.height, effect.round)
        counters.preparedExtensions++
        log.info('round timer extended once: prepared, waiting for commits', { height: effect.height, round: effect.round, commits: state.commits.size })
        enqueue({ kind: 'resend' })
        schedule({ ...effect, delayMs: roundTimeoutMs(roundTiming, effect.round) })
        return
      }
      const input: QbftInput =
        effect.timer === 'round'
          ? { type: 'roundTimeout', height: effect.height, round: effect.round }
          : { type: 'blockPeriodTimeout', height: effect.height }
      enqueue({ kind: 'input', input })
    })
  }

  return {
    async start() {
      stopped = false
      const head = options.head()
      enqueue({ kind: 'height', height: head.number + 1n, previousProposer: head.coinbase })
      await done
    },
    async stop() {
      stopped = true
      heldTimeout = undefined
      for (const key of ['round', 'blockPeriod'] as const) {
        if (timers[key] !== undefined) clock.clearTimer(timers[key])
        timers[key] = undefined
      }
      queue.length = 0
      await done
    },
    onMessage(bytes) {
      if (bytes.length > maxMessageBytes) {
        counters.oversized++
        return
      }
      try {
        const message = authenticateMessage(decodeWireMessage(bytes), recover, codec)
        enqueue({ kind: 'input', input: { type: 'message', message } })
      } catch (error) {
        if (isSteleError(error, ErrorCode.InvalidSignature)) counters.badSignature++
        else counters.undecodable++
      }
    },
    onChainHead(header) {
      enqueue({ kind: 'height', height: header.number + 1n, previousProposer: header.coinbase })
    },
    resendCurrentRound() {
      enqueue({ kind: 'resend' })
    },
    notifyPendingTransactions() {
      if (parked.length === 0) return
      const released = parked
      parked = []
      for (const effect of released) schedule(effect)
    },
    status() {
      return { height: state.height, round: state.round, finalized: state.finalized, stats: { ...state.stats, ...counters } }
    },
    async idle() {
      while (running) await done
    },
  }
}
