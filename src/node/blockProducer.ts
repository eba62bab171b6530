import type { Logger } from '../primitives/logger.js'
import { errorMessage } from '../primitives/errors.js'

/**
 * When to build blocks. With a period of 0 a block is built as soon as work is pending (and again right
 * after, while work remains); otherwise one block every period, empty or not. `produce` does the work and
 * reports whether it made a block; it never runs twice at once.
 */
export interface BlockProducer {
  start(): void
  /** Tells the producer that transactions or anchors are pending. */
  notifyPending(): void
  /** Stops scheduling and waits for the block in progress. */
  stop(): Promise<void>
}

export function createBlockProducer(options: {
  periodMs: number
  hasPending: () => boolean
  produce: () => Promise<void>
  logger: Logger
}): BlockProducer {
  const { periodMs, hasPending, produce, logger } = options
  let running = false
  let stopped = true
  let inFlight: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  let again = false

  const run = () => {
    if (stopped) return
    if (inFlight) {
      again = true
      return
    }
    again = false
    inFlight = produce()
      .catch((error) => logger.error('block production failed', { error: errorMessage(error) }))
      .finally(() => {
        inFlight = undefined
        if (!stopped && periodMs === 0 && (again || hasPending())) setImmediate(run)
      })
  }

  return {
    start() {
      if (running) return
      running = true
      stopped = false
      if (periodMs > 0) timer = setInterval(run, periodMs)
      else if (hasPending()) setImmediate(run)
    },
    notifyPending() {
      if (periodMs === 0 && !stopped) {
        if (inFlight) again = true
        else setImmediate(run)
      }
    },
    async stop() {
      stopped = true
      running = false
      if (timer) clearInterval(timer)
      await inFlight
    },
  }
}
