import { randomBytes } from 'node:crypto'
import type { Block, LogEntry, TxReceipt } from '../chain/types.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { RpcBackend } from './backend.js'
import { formatLog } from './format.js'
import { toHex } from './hex.js'
import { inRange, matchingBlockLogs, resolveLogFilter, type LogCriteria } from './logFilter.js'

/**
 * Polling filters (eth_newFilter & co). Each filter buffers what happened since its last poll; a filter
 * not polled for `timeoutMs` is removed (geth: 5 minutes). Backend events are only listened to while some
 * filter needs them, so the sendRawTransaction hot path pays nothing when nobody polls pending txs.
 */
export interface FilterManager {
  newLogFilter(criteria: LogCriteria): string
  newBlockFilter(): string
  newPendingTransactionFilter(): string
  /** What happened since the last poll, formatted; geth's "filter not found" when unknown or expired. */
  changes(id: string): unknown[]
  /** All logs matching a log filter's criteria (eth_getFilterLogs). */
  logs(id: string): unknown[]
  uninstall(id: string): boolean
  /** Number of live filters (for tests and metrics). */
  size(): number
  close(): void
}

export interface FilterManagerOptions {
  timeoutMs?: number
  /** Per-filter buffer bound: oldest entries are dropped beyond it. */
  maxBuffered?: number
  now?: () => number
}

export const DEFAULT_FILTER_TIMEOUT_MS = 5 * 60_000
const DEFAULT_MAX_BUFFERED = 10_000

type Filter =
  | { kind: 'logs'; criteria: LogCriteria; buffer: LogEntry[]; lastPoll: number }
  | { kind: 'blocks'; buffer: Uint8Array[]; lastPoll: number }
  | { kind: 'pending'; buffer: Uint8Array[]; lastPoll: number }

export function createFilterManager(backend: RpcBackend, options: FilterManagerOptions = {}): FilterManager {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FILTER_TIMEOUT_MS
  const maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED
  const now = options.now ?? Date.now
  const filters = new Map<string, Filter>()
  let blockListeners = 0
  let pendingListeners = 0
  let stopBlocks: (() => void) | undefined
  let stopPending: (() => void) | undefined

  const sweepTimer = setInterval(sweep, Math.max(1_000, Math.min(timeoutMs / 4, 60_000)))
  sweepTimer.unref()

  function onBlock(block: Block, receipts: TxReceipt[]): void {
    for (const filter of filters.values()) {
      if (filter.kind === 'blocks') push(filter.buffer, block.hash)
      else if (filter.kind === 'logs' && inRange(filter.criteria, block.header.number)) {
        for (const log of matchingBlockLogs(receipts, filter.criteria.addresses, filter.criteria.topics)) push(filter.buffer, log)
      }
    }
  }

  function onPending(hash: Uint8Array): void {
    for (const filter of filters.values()) if (filter.kind === 'pending') push(filter.buffer, hash)
  }

  function push<T>(buffer: T[], item: T): void {
    buffer.push(item)
    if (buffer.length > maxBuffered) buffer.splice(0, buffer.length - maxBuffered)
  }

  function retain(kind: Filter['kind']): void {
    if (kind === 'pending') {
      if (pendingListeners++ === 0) stopPending = backend.onPendingTransaction(onPending)
    } else if (blockListeners++ === 0) stopBlocks = backend.onNewBlock(onBlock)
  }

  function release(kind: Filter['kind']): void {
    if (kind === 'pending') {
      if (--pendingListeners === 0) stopPending?.()
    } else if (--blockListeners === 0) stopBlocks?.()
  }

  function add(filter: Filter): string {
    const id = toHex(randomBytes(16))
    filters.set(id, filter)
    retain(filter.kind)
    return id
  }

  function get(id: string): Filter {
    const filter = filters.get(id)
    if (filter === undefined) throw new SteleError(ErrorCode.NotFound, 'filter not found')
    filter.lastPoll = now()
    return filter
  }

  function remove(id: string): boolean {
    const filter = filters.get(id)
    if (filter === undefined) return false
    filters.delete(id)
    release(filter.kind)
    return true
  }

  function sweep(): void {
    const cutoff = now() - timeoutMs
    for (const [id, filter] of filters) if (filter.lastPoll < cutoff) remove(id)
  }

  return {
    newLogFilter: (criteria) => add({ kind: 'logs', criteria, buffer: [], lastPoll: now() }),
    newBlockFilter: () => add({ kind: 'blocks', buffer: [], lastPoll: now() }),
    newPendingTransactionFilter: () => add({ kind: 'pending', buffer: [], lastPoll: now() }),
    changes(id) {
      sweep()
      const filter = get(id)
      if (filter.kind === 'logs') {
        const logs = filter.buffer
        filter.buffer = []
        return logs.map(formatLog)
      }
      const hashes = filter.buffer
      filter.buffer = []
      return hashes.map(toHex)
    },
    logs(id) {
      sweep()
      const filter = get(id)
      if (filter.kind !== 'logs') throw new SteleError(ErrorCode.NotFound, 'filter not found')
      const resolved = resolveLogFilter(backend, filter.criteria)
      return resolved === undefined ? [] : backend.logs(resolved).map(formatLog)
    },
    uninstall: remove,
    size: () => filters.size,
    close() {
      clearInterval(sweepTimer)
      for (const id of [...filters.keys()]) remove(id)
    },
  }
}
