import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { keccak256 } from '../../crypto/keccak.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { KEY_TYPE_CODES, type KeyType } from './deviceRegistryAbi.js'

/**
 * Device-signature verification on worker threads, so ingestion uses more than one core. Same rules as
 * deviceSignatures.ts (OpenSSL for P-256 and Ed25519, libsecp256k1 for secp256k1; a test checks they agree).
 * Items are packed into one buffer per worker and chunk; workers cache parsed keys.
 */
export interface SignatureCheck {
  keyType: KeyType
  publicKey: Uint8Array
  message: Uint8Array
  signature: Uint8Array
}

export interface SignatureVerifierPool {
  verifyMany(checks: readonly SignatureCheck[]): Promise<boolean[]>
  readonly threads: number
  close(): Promise<void>
}

// Plain JavaScript evaluated in each worker: no TypeScript loader is needed there (the CLI runs from a bundle).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const crypto = require('node:crypto')
const secp = require(workerData.secp256k1Path)
const P256_UNCOMPRESSED = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex')
const P256_COMPRESSED = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex')
const ED25519 = Buffer.from('302a300506032b6570032100', 'hex')
const keys = new Map()
function keyFor(type, pub) {
  const id = type + pub.toString('hex')
  let k = keys.get(id)
  if (k !== undefined) return k
  try {
    if (type === 1) k = crypto.createPublicKey({ key: Buffer.concat([pub.length === 65 ? P256_UNCOMPRESSED : P256_COMPRESSED, pub]), format: 'der', type: 'spki' })
    else if (type === 2) k = crypto.createPublicKey({ key: Buffer.concat([ED25519, pub]), format: 'der', type: 'spki' })
    else k = Buffer.from(pub)
  } catch { k = null }
  if (keys.size > 200000) keys.clear()
  keys.set(id, k)
  return k
}
parentPort.on('message', ({ id, buffer, count }) => {
  const data = Buffer.from(buffer)
  const out = new Uint8Array(count)
  let at = 0
  for (let i = 0; i < count; i++) {
    const type = data[at]
    const pubLen = data[at + 1]
    const msgLen = data.readUInt32BE(at + 2)
    at += 6
    const pub = data.subarray(at, at + pubLen); at += pubLen
    const msg = data.subarray(at, at + msgLen); at += msgLen
    const sig = data.subarray(at, at + 64); at += 64
    const key = keyFor(type, pub)
    let ok = false
    if (key !== null) {
      try {
        if (type === 1) ok = crypto.verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, sig)
        else if (type === 2) ok = crypto.verify(null, msg, key, sig)
        else ok = secp.ecdsaVerify(sig, msg, key)
      } catch { ok = false }
    }
    out[i] = ok ? 1 : 0
  }
  parentPort.postMessage({ id, out }, [out.buffer])
})
`

export function createSignatureVerifierPool(options: { threads?: number } = {}): SignatureVerifierPool {
  const threads = Math.max(1, options.threads ?? 1)
  const secp256k1Path = createRequire(import.meta.url).resolve('secp256k1')
  const waiting = new Map<number, { worker: Worker; resolve(out: Uint8Array): void; reject(error: unknown): void }>()
  let nextId = 0
  // Idle workers do not keep the process alive; a worker with work in flight does.
  const updateRef = (worker: Worker) => {
    if ([...waiting.values()].some((w) => w.worker === worker)) worker.ref()
    else worker.unref()
  }
  const workers = Array.from({ length: threads }, () => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { secp256k1Path } })
    worker.on('message', ({ id, out }: { id: number; out: Uint8Array }) => {
      const w = waiting.get(id)
      waiting.delete(id)
      updateRef(worker)
      w?.resolve(out)
    })
    worker.on('error', (error) => {
      for (const [id, w] of waiting) {
        if (w.worker !== worker) continue
        waiting.delete(id)
        w.reject(new SteleError(ErrorCode.Internal, 'a signature verifier thread failed', { cause: error }))
      }
    })
    worker.unref()
    return worker
  })

  const run = (worker: Worker, checks: readonly SignatureCheck[]): Promise<Uint8Array> => {
    const parts = checks.map((c) => {
      // secp256k1 is verified over keccak256(message): hash here, where keccak is native and cheap.
      const message = c.keyType === 'secp256k1' ? keccak256(c.message) : c.message
      const signature = c.signature.length === 64 ? c.signature : new Uint8Array(64)
      return { type: KEY_TYPE_CODES[c.keyType], publicKey: c.publicKey.subarray(0, 255), message, signature }
    })
    const size = parts.reduce((s, p) => s + 6 + p.publicKey.length + p.message.length + 64, 0)
    const buffer = new Uint8Array(size)
    const view = new DataView(buffer.buffer)
    let at = 0
    for (const p of parts) {
      buffer[at] = p.type
      buffer[at + 1] = p.publicKey.length
      view.setUint32(at + 2, p.message.length)
      at += 6
      buffer.set(p.publicKey, at)
      at += p.publicKey.length
      buffer.set(p.message, at)
      at += p.message.length
      buffer.set(p.signature, at)
      at += 64
    }
    const id = nextId++
    return new Promise((resolve, reject) => {
      const done = (out: Uint8Array) => {
        // A signature of the wrong length was replaced by zeros above; it must not verify.
        checks.forEach((c, i) => {
          if (c.signature.length !== 64) out[i] = 0
        })
        resolve(out)
      }
      waiting.set(id, { worker, resolve: done, reject })
      worker.ref()
      worker.postMessage({ id, buffer: buffer.buffer, count: checks.length }, [buffer.buffer])
    })
  }

  let closed = false
  return {
    threads,
    async verifyMany(checks) {
      if (closed) throw new SteleError(ErrorCode.Internal, 'the signature verifier pool is closed')
      if (checks.length === 0) return []
      const per = Math.ceil(checks.length / threads)
      const chunks = workers.map((w, i) => (i * per < checks.length ? run(w, checks.slice(i * per, (i + 1) * per)) : Promise.resolve(new Uint8Array())))
      const outs = await Promise.all(chunks)
      const result: boolean[] = []
      for (const out of outs) for (const b of out) result.push(b === 1)
      return result
    },
    async close() {
      closed = true
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
