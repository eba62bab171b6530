import { performance } from 'node:perf_hooks'
import type { JsonRpcClient } from './jsonRpcClient.js'

export interface BlockWatcher {
  /** When each transaction hash was first seen in a block (performance.now() of the head poll that revealed the block). */
  readonly seenAt: Map<string, number>
  /** Every block seen, in order: its number, transaction count and when it appeared. */
  readonly blocks: { number: number; txs: number; seenAt: number }[]
  /** Resolves once every hash is seen, or when none of them has been newly seen for `stallMs` (then some are missing). */
  waitForAll(hashes: Iterable<string>, options: { stallMs: number; signal?: AbortSignal }): Promise<{ missing: number }>
  stop(): Promise<void>
}

interface RpcBlock {
  number: string
  transactions: string[]
}

interface Waiter {
  pending: Set<string>
  lastProgress: number
  settle(missing: number | Error): void
}

/**
 * Follows the chain head by polling eth_blockNumber every `intervalMs` and fetching each new block's
 * transaction hashes: one cheap call per poll instead of a receipt call per transaction. A block's
 * appearance time is the moment the head poll that first reported it returned.
 */
export async function createBlockWatcher(client: JsonRpcClient, options: { intervalMs: number }): Promise<BlockWatcher> {
  const seenAt = new Map<string, number>()
  const blocks: BlockWatcher['blocks'] = []
  let lastBlock = Number(BigInt(await client.call<string>('eth_blockNumber')))
  let stopped = false
  const waiters = new Set<Waiter>()

  function onBlockHashes(hashes: readonly string[], seen: number): void {
    for (const hash of hashes) {
      if (seenAt.has(hash)) continue
      seenAt.set(hash, seen)
      for (const w of waiters) if (w.pending.delete(hash)) w.lastProgress = seen
    }
    for (const w of waiters) if (w.pending.size === 0) w.settle(0)
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      const started = performance.now()
      try {
        const head = Number(BigInt(await client.call<string>('eth_blockNumber')))
        const seen = performance.now()
        for (let n = lastBlock + 1; n <= head; n++) {
          const block = await client.call<RpcBlock | null>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
          if (!block) break
          blocks.push({ number: n, txs: block.transactions.length, seenAt: seen })
          onBlockHashes(block.transactions, seen)
          lastBlock = n
        }
      } catch (error) {
        for (const w of waiters) w.settle(error instanceof Error ? error : new Error(String(error)))
      }
      const wait = options.intervalMs - (performance.now() - started)
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    }
  }
  const running = loop()

  return {
    seenAt,
    blocks,
    waitForAll(hashes, { stallMs, signal }) {
      return new Promise((resolve, reject) => {
        const pending = new Set<string>()
        for (const h of hashes) if (!seenAt.has(h)) pending.add(h)
        // The timer covers a node that stops producing blocks, and Ctrl-C.
        const timer = setInterval(() => {
          if (signal?.aborted) waiter.settle(new Error('aborted'))
          else if (performance.now() - waiter.lastProgress > stallMs) waiter.settle(waiter.pending.size)
        }, 100)
        const waiter: Waiter = {
          pending,
          lastProgress: performance.now(),
          settle(result) {
            clearInterval(timer)
            waiters.delete(waiter)
            if (result instanceof Error) reject(result)
            else resolve({ missing: result })
          },
        }
        if (pending.size === 0) return waiter.settle(0)
        waiters.add(waiter)
      })
    },
    async stop() {
      stopped = true
      await running
    },
  }
}
