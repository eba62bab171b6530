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
 * worker as one message (one transferred buffer), and while a worker is busy new requests gather into its next batch, so
 * under load the message cost is shared by many recoveries. Results resolve in request order, whichever
 * worker finishes first: callers (the pool's admission) may rely on that order.
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
/** A batch bigger than this is split, so one huge request does not hold up the results behind it. */
const MAX_BATCH = 2_048

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
  busy: Batch | undefined
  busyId: number
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
    const slot: WorkerSlot = { worker, busy: undefined, busyId: -1 }
    worker.on('message', (message: { id?: number; buffer?: ArrayBuffer }) => {
      if (message.id === undefined || message.buffer === undefined || message.id !== slot.busyId) return
      const batch = slot.busy
      slot.busy = undefined
      worker.unref()
      if (batch !== undefined) {
        batch.results = readResults(new Uint8Array(message.buffer), batch.waiters.length)
        counters.recovered += batch.waiters.length
      }
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
      const batch = slot.busy
      slot.busy = undefined
      if (batch !== undefined) recoverInThread(batch)
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
      const idle = slots.find((s) => s.busy === undefined)
      if (idle === undefined && slots.length > 0) return
      const waiters = queue.length <= MAX_BATCH ? queue : queue.slice(0, MAX_BATCH)
      queue = queue.length <= MAX_BATCH ? [] : queue.slice(MAX_BATCH)
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
    slot.busy = batch
    slot.busyId = id
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
      for (const slot of stopping) {
        const batch = slot.busy
        slot.busy = undefined
        if (batch !== undefined) recoverInThread(batch)
      }
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
