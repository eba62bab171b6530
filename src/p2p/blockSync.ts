import { ErrorCode, SteleError, errorMessage } from '../primitives/errors.js'
import { MAX_SYNC_BLOCKS_PER_REQUEST, SILENT_LOGGER, type Network, type NetworkLogger, type PeerStatus } from './network.js'

/**
 * Catches a node up with peers that are ahead: asks every peer for its head, then fetches the missing
 * heights in batches from the highest one (a few batches in flight while the current one imports) and
 * imports them in order through the injected `verifyAndImport`. A peer that fails, stalls or sends a
 * block that does not verify is dropped for this round and the next best peer is tried.
 */
export interface BlockSyncConfig {
  network: Pick<Network, 'peers' | 'requestBlocks' | 'requestStatus'>
  /** Height of the local head block. */
  localHead: () => bigint
  /**
   * Verifies (seals, validator set, execution) and imports one encoded block at `height`, or throws.
   * Must tolerate a height that was imported meanwhile by consensus (sync skips those it can see).
   */
  verifyAndImport: (encodedBlock: Uint8Array, height: bigint) => Promise<void>
  /** Blocks per request, at most MAX_SYNC_BLOCKS_PER_REQUEST. */
  batchSize?: number
  /** Requests kept in flight to one peer (libp2p serves at most 8 sync streams per connection). */
  pipelineDepth?: number
  requestTimeoutMs?: number
  logger?: NetworkLogger
}

export interface SyncResult {
  imported: number
  head: bigint
  /** Peers abandoned during this round, with the reason. */
  failures: { peer: string; reason: string }[]
}

export interface SyncProgress {
  syncing: boolean
  startingBlock: bigint
  currentBlock: bigint
  /** Highest head any peer has reported. */
  highestBlock: bigint
}

export interface BlockSync {
  /** One round: poll peers' heads, then import from the best peers until none is ahead. */
  syncOnce(): Promise<SyncResult>
  /** Starts a round unless one is running, in which case it returns that round. */
  trigger(): Promise<SyncResult>
  /**
   * The consensus driver's seam (QbftSync in src/node/qbftDriver.ts): a message showed that `height`
   * exists; start a round now unless one is running. Best effort: never throws.
   */
  requestSync(height: bigint): void
  /** For eth_syncing. */
  progress(): SyncProgress
  /** Runs a round every `intervalMs` (the first immediately) until stop(). */
  start(intervalMs: number): void
  stop(): Promise<void>
}

export const DEFAULT_SYNC_BATCH = 128
export const DEFAULT_SYNC_PIPELINE_DEPTH = 3

export function createBlockSync(config: BlockSyncConfig): BlockSync {
  const { network, localHead, verifyAndImport } = config
  const logger = config.logger ?? SILENT_LOGGER
  const batchSize = config.batchSize ?? DEFAULT_SYNC_BATCH
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_SYNC_BLOCKS_PER_REQUEST) {
    throw new SteleError(ErrorCode.InvalidInput, `sync batch size must be 1..${MAX_SYNC_BLOCKS_PER_REQUEST}`)
  }
  const pipelineDepth = Math.max(1, Math.min(config.pipelineDepth ?? DEFAULT_SYNC_PIPELINE_DEPTH, 6))
  const timeout = config.requestTimeoutMs === undefined ? {} : { timeoutMs: config.requestTimeoutMs }

  let running: Promise<SyncResult> | undefined
  let startingBlock = 0n
  let highestBlock = 0n
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = true
  let cancelled = false

  async function pollStatuses(): Promise<Map<string, PeerStatus>> {
    const peers = network.peers().map((p) => p.peerId)
    const answers = await Promise.allSettled(peers.map((peer) => network.requestStatus(peer, timeout)))
    const statuses = new Map<string, PeerStatus>()
    answers.forEach((answer, i) => {
      if (answer.status === 'fulfilled') statuses.set(peers[i] as string, answer.value)
    })
    for (const status of statuses.values()) if (status.head > highestBlock) highestBlock = status.head
    return statuses
  }

  function request(peer: string, from: bigint, count: number): Promise<Uint8Array[]> {
    const pending = network.requestBlocks(peer, from, count, timeout)
    // Prefetched batches may be abandoned when an import fails; keep that from being unhandled.
    pending.catch(() => undefined)
    return pending
  }

  /** Imports from `peer` up to `target`, following the peer's head if it moves; counts into `tally`. */
  async function pullFrom(peer: string, initialTarget: bigint, tally: { imported: number }): Promise<void> {
    let target = initialTarget
    for (;;) {
      const before = localHead()
      if (before + 1n > target) {
        // Caught up with what the peer had; it may have grown meanwhile.
        const status = await network.requestStatus(peer, timeout)
        if (status.head > highestBlock) highestBlock = status.head
        if (status.head <= before) return
        target = status.head
      }
      // Per-request latency dominates on libp2p, so several consecutive ranges are kept in flight.
      const inflight: { from: bigint; count: number; blocks: Promise<Uint8Array[]> }[] = []
      let nextToRequest = before + 1n
      const fill = () => {
        while (inflight.length < pipelineDepth && nextToRequest <= target) {
          const remaining = target - nextToRequest + 1n
          const count = remaining < BigInt(batchSize) ? Number(remaining) : batchSize
          inflight.push({ from: nextToRequest, count, blocks: request(peer, nextToRequest, count) })
          nextToRequest += BigInt(count)
        }
      }
      fill()
      while (inflight.length > 0) {
        const { from, count, blocks: pending } = inflight.shift() as (typeof inflight)[number]
        const blocks = await pending
        if (blocks.length === 0) throw new SteleError(ErrorCode.Network, `peer returned no blocks from ${from}`)
        if (blocks.length < count) {
          // A short answer leaves a gap before the ranges already asked for: ask again after it.
          inflight.length = 0
          nextToRequest = from + BigInt(blocks.length)
        }
        fill()
        for (const [i, block] of blocks.entries()) {
          if (cancelled) throw new SteleError(ErrorCode.Network, 'sync stopped')
          const height = from + BigInt(i)
          // Consensus may have imported some heights while the batch was in flight.
          if (height <= localHead()) continue
          try {
            await verifyAndImport(block, height)
          } catch (cause) {
            throw new SteleError(ErrorCode.InvalidBlock, `block ${height} from peer does not verify`, { cause })
          }
          tally.imported++
        }
      }
      if (localHead() <= before) {
        throw new SteleError(ErrorCode.Internal, 'imports did not advance the local head', { details: { head: before } })
      }
    }
  }

  async function syncOnce(): Promise<SyncResult> {
    startingBlock = localHead()
    const failures: SyncResult['failures'] = []
    const tally = { imported: 0 }
    const statuses = await pollStatuses()
    const candidates = [...statuses].sort(([, x], [, y]) => (y.head > x.head ? 1 : y.head < x.head ? -1 : 0))
    for (const [peer, status] of candidates) {
      if (status.head <= localHead()) break
      try {
        await pullFrom(peer, status.head, tally)
      } catch (error) {
        failures.push({ peer, reason: errorMessage(error) })
        logger.warn('sync: abandoning peer', { peer, reason: errorMessage(error) })
      }
    }
    const head = localHead()
    if (tally.imported > 0) logger.info('sync: imported blocks', { imported: tally.imported, head })
    return { imported: tally.imported, head, failures }
  }

  function trigger(): Promise<SyncResult> {
    if (running === undefined) {
      cancelled = false
      running = syncOnce().finally(() => {
        running = undefined
      })
    }
    return running
  }

  function scheduleNext(intervalMs: number): void {
    if (stopped) return
    timer = setTimeout(() => {
      timer = undefined
      trigger()
        .catch((error: unknown) => logger.warn('sync: round failed', { error: errorMessage(error) }))
        .finally(() => scheduleNext(intervalMs))
    }, intervalMs)
  }

  return {
    syncOnce: trigger,
    trigger,
    requestSync(height) {
      if (height > highestBlock) highestBlock = height
      trigger().catch((error: unknown) => logger.warn('sync: round failed', { error: errorMessage(error) }))
    },
    progress() {
      const current = localHead()
      return {
        syncing: running !== undefined && highestBlock > current,
        startingBlock,
        currentBlock: current,
        highestBlock: highestBlock > current ? highestBlock : current,
      }
    },
    start(intervalMs) {
      if (!stopped) return
      stopped = false
      trigger()
        .catch((error: unknown) => logger.warn('sync: round failed', { error: errorMessage(error) }))
        .finally(() => scheduleNext(intervalMs))
    },
    async stop() {
      stopped = true
      cancelled = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      await running?.catch(() => undefined)
    },
  }
}
