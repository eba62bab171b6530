import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname } from 'node:path'
import { Worker } from 'node:worker_threads'
import { recoverPublicKey, publicKeyToAddress } from './secp256k1.js'
import { RECOVERY_REQUEST_BYTES, RECOVERY_RESULT_BYTES, RECOVERY_WORKER_SOURCE } from './recoveryWorkerSource.js'

/** A recovered signer: the 64-byte public key (no 0x04 prefix) and its address. */
export interface RecoveredSigner {
  publicKey: Uint8Array
  address: Uint8Array
}

export interface RecoveryRequest {
  /** The 32-byte hash that was signed. */
  hash: Uint8Array
  /** r (32) ‖ s (32) ‖ recovery id (0 or 1): the layout of secp256k1.ts's RecoverableSignature. */
  signature: Uint8Array
}

/**
 * secp256k1 public-key recovery on worker threads. Requests made in the same event-loop turn travel to a
 * worker in messages of MAX_BATCH (one transferred buffer each), or of SMALL_BATCH while fewer than MAX_BATCH
 * wait; a worker holds up to BATCHES_PER_WORKER of them, and while all are full new requests gather into
 * later batches, so under load the message cost is shared by many recoveries. Results resolve in request
 * order, whichever worker finishes first: callers (the pool's admission) may rely on that order.
 */
export interface SignerRecovery {
  /** Worker threads in use; 0 when recovering on the calling thread. */
  readonly threads: number
  /** Resolves undefined when the signature recovers no public key. */
  recover(hash: Uint8Array, signature: Uint8Array): Promise<RecoveredSigner | undefined>
  recoverMany(requests: readonly RecoveryRequest[]): Promise<(RecoveredSigner | undefined)[]>
  /** Terminates the workers; later requests are recovered on the calling thread. */
  close(): Promise<void>
  /** Messages sent to workers and recoveries they made, for measurements and tests. */
  stats(): { batches: number; recovered: number; inThread: number }
}

export interface SignerRecoveryOptions {
  /** Worker threads; 0 recovers on the calling thread. Default: defaultRecoveryThreads(). */
  threads?: number
  /** Called once if a worker fails (its work and later work are then recovered on the calling thread). */
  onWorkerError?: (error: unknown) => void
  /** The worker program; tests substitute a broken one to exercise the fallback. */
  workerSource?: string
}

const MAX_THREADS = 4
/**
 * Requests per message. Small batches pipeline: the caller admits one batch's results while the worker
 * recovers the next, where one big batch of a burst made the caller wait for all of it (docs/performance.md,
 * item 15: 64 against 2,048 gave 20–80% more batched transfers in the dev bench).
 */
export const MAX_BATCH = 64
/**
 * Requests per message when fewer than MAX_BATCH are queued. Light load is where each request's wait shows:
 * 32 single requests read in one turn used to travel as one message, and each waited for all 32 recoveries
 * (about 2 ms). In messages of 8, the first answers go out after a quarter of that, and their clients' next
 * requests arrive while the worker recovers the rest (docs/performance.md, item 28).
 */
export const SMALL_BATCH = 8
/** Batches queued at a worker, so it starts the next one without waiting for the caller's thread. */
const BATCHES_PER_WORKER = 4

/**
 * One thread on a 2-core machine (the main thread keeps the other), else cores - 1, at most 4.
 * STELE_RECOVERY_THREADS overrides it (0: recover on the main thread), for operators and A/B benchmarks.
 */
export function defaultRecoveryThreads(env: NodeJS.ProcessEnv = process.env): number {
  const override = env['STELE_RECOVERY_THREADS']
  if (override !== undefined && /^\d+$/.test(override)) return Math.min(MAX_THREADS, Number(override))
  return Math.max(1, Math.min(MAX_THREADS, availableParallelism() - 1))
}

interface Waiter {
  request: RecoveryRequest
  resolve: (signer: RecoveredSigner | undefined) => void
}

interface Batch {
  waiters: Waiter[]
  results: (RecoveredSigner | undefined)[] | undefined
}

interface WorkerSlot {
  worker: Worker
  /** Batches sent and not yet answered, oldest first; the worker answers in order. */
  sent: { id: number; batch: Batch }[]
}

export function createSignerRecovery(options: SignerRecoveryOptions = {}): SignerRecovery {
  const requested = options.threads ?? defaultRecoveryThreads()
  let slots: WorkerSlot[] = []
  try {
    slots = Array.from({ length: Math.max(0, Math.floor(requested)) }, () => startWorker())
  } catch (error) {
    for (const slot of slots) void slot.worker.terminate()
    slots = []
    options.onWorkerError?.(error)
  }

  let queue: Waiter[] = []
  let flushScheduled = false
  /** Batches sent or finished, oldest first: results are handed out from the front only, in request order. */
  const inOrder: Batch[] = []
  let nextId = 0
  let closed = false
  let reportedFailure = false
  const counters = { batches: 0, recovered: 0, inThread: 0 }

  function startWorker(): WorkerSlot {
    const require = createRequire(import.meta.url)
    const worker = new Worker(options.workerSource ?? RECOVERY_WORKER_SOURCE, {
      eval: true,
      workerData: {
        secp256k1BindingsPath: require.resolve('secp256k1/bindings'),
        nodeGypBuildPath: require.resolve('node-gyp-build'),
        keccakDir: dirname(require.resolve('keccak/package.json')),
      },
    })
    const slot: WorkerSlot = { worker, sent: [] }
    worker.on('message', (message: { id?: number; buffer?: ArrayBuffer }) => {
      const oldest = slot.sent[0]
      if (message.id === undefined || message.buffer === undefined || oldest === undefined || message.id !== oldest.id) return
      slot.sent.shift()
      if (slot.sent.length === 0) worker.unref()
      oldest.batch.results = readResults(new Uint8Array(message.buffer), oldest.batch.waiters.length)
      counters.recovered += oldest.batch.waiters.length
      deliver()
      pump()
    })
    const fail = (error: unknown) => {
      slots = slots.filter((s) => s !== slot)
      void worker.terminate()
      if (!reportedFailure && !closed) {
        reportedFailure = true
        options.onWorkerError?.(error)
      }
      for (const { batch } of slot.sent.splice(0)) recoverInThread(batch)
      deliver()
      pump()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => {
      if (slots.includes(slot)) fail(new Error(`recovery worker exited with code ${code}`))
    })
    // Idle workers never keep the process alive; one with a batch in flight does.
    worker.unref()
    return slot
  }

  function recoverInThread(batch: Batch): void {
    batch.results = batch.waiters.map((w) => recoverHere(w.request))
    counters.inThread += batch.waiters.length
  }

  function deliver(): void {
    while (inOrder.length > 0) {
      const head = inOrder[0] as Batch
      if (head.results === undefined) return
      inOrder.shift()
      const results = head.results
      head.waiters.forEach((w, i) => w.resolve(results[i]))
    }
  }

  /** Hands queued requests to idle workers, or recovers them here when there are no workers. */
  function pump(): void {
    while (queue.length > 0) {
      let idle: WorkerSlot | undefined
      for (const slot of slots) if (slot.sent.length < BATCHES_PER_WORKER && (idle === undefined || slot.sent.length < idle.sent.length)) idle = slot
      if (idle === undefined && slots.length > 0) return
      const size = queue.length < MAX_BATCH ? SMALL_BATCH : MAX_BATCH
      const waiters = queue.length <= size ? queue : queue.slice(0, size)
      queue = queue.length <= size ? [] : queue.slice(size)
      const batch: Batch = { waiters, results: undefined }
      inOrder.push(batch)
      if (idle === undefined) recoverInThread(batch)
      else send(idle, batch)
    }
    deliver()
  }

  function send(slot: WorkerSlot, batch: Batch): void {
    const count = batch.waiters.length
    const bytes = new Uint8Array(count * (RECOVERY_REQUEST_BYTES + RECOVERY_RESULT_BYTES))
    batch.waiters.forEach((w, i) => {
      const at = i * RECOVERY_REQUEST_BYTES
      bytes.set(w.request.hash, at)
      bytes.set(w.request.signature, at + 32)
    })
    const id = nextId++
    slot.sent.push({ id, batch })
    counters.batches++
    slot.worker.ref()
    slot.worker.postMessage({ id, buffer: bytes.buffer, count }, [bytes.buffer])
  }

  function enqueue(request: RecoveryRequest): Promise<RecoveredSigner | undefined> {
    if (request.hash.length !== 32 || request.signature.length !== 65 || (request.signature[64] as number) > 3) {
      return Promise.resolve(undefined)
    }
    return new Promise((resolve) => {
      queue.push({ request, resolve })
      if (!flushScheduled) {
        flushScheduled = true
        // At the end of this event-loop turn rather than of this task: every request read in one poll
        // phase (several HTTP requests, gossip messages) shares the message. Measured by helper E in
        // docs/performance.md, item 9: full blocks again and about 11% more transactions per CPU-second.
        setImmediate(() => {
          flushScheduled = false
          pump()
        })
      }
    })
  }

  return {
    get threads() {
      return slots.length
    },
    recover: (hash, signature) => enqueue({ hash, signature }),
    recoverMany: (requests) => Promise.all(requests.map(enqueue)),
    async close() {
      closed = true
      const stopping = slots
      slots = []
      // Work in flight is finished here, so no caller waits forever on a terminated worker.
      for (const slot of stopping) for (const { batch } of slot.sent.splice(0)) recoverInThread(batch)
      pump()
      await Promise.all(stopping.map((s) => s.worker.terminate()))
    },
    stats: () => ({ ...counters }),
  }
}

function readResults(bytes: Uint8Array, count: number): (RecoveredSigner | undefined)[] {
  const base = count * RECOVERY_REQUEST_BYTES
  const results: (RecoveredSigner | undefined)[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const at = base + i * RECOVERY_RESULT_BYTES
    results[i] = bytes[at] === 1 ? { publicKey: bytes.slice(at + 1, at + 65), address: bytes.slice(at + 65, at + 85) } : undefined
  }
  return results
}

function recoverHere(request: RecoveryRequest): RecoveredSigner | undefined {
  try {
    const publicKey = recoverPublicKey(request.hash, request.signature)
    return { publicKey, address: publicKeyToAddress(publicKey) }
  } catch {
    return undefined
  }
}
