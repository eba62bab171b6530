/** What gatherArrivals watches: TxPool's counters. */
export interface ArrivalCounters {
  received(): number
  admitting(): number
}

export interface GatherOptions {
  /** Stop once this long passes with no new add() and none in admission. */
  quietMs: number
  /** Stop after this long in any case. */
  maxMs: number
  /**
   * Called after each pause in which transactions arrived, before the next: the caller executes them
   * meanwhile (node.ts). Transactions that arrive while it runs count as arrivals for the next pause.
   */
  onArrivals?: () => Promise<void>
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

/**
 * A lone validator without a block period builds as soon as a transaction is pending. Under a stream of
 * single requests that made blocks of a few dozen transactions, each paying a state root and a commit of
 * its own. Before building, it now waits while transactions keep arriving or are still in admission,
 * `quietMs` at a time, up to `maxMs`: blocks under load hold about three times as many transactions, and a
 * lone transaction waits `quietMs` once (docs/performance.md, item 15).
 */
export async function gatherArrivals(pool: ArrivalCounters, options: GatherOptions): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const now = options.now ?? (() => performance.now())
  const startedAt = now()
  let seen = pool.received()
  while (now() - startedAt < options.maxMs) {
    await sleep(options.quietMs)
    const received = pool.received()
    if (received === seen && pool.admitting() === 0) return
    seen = received
    await options.onArrivals?.()
  }
}
