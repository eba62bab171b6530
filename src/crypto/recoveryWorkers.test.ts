import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { bytesToHex } from '../primitives/bytes.js'
import { keccak256 } from './keccak.js'
import { MAX_BATCH, SMALL_BATCH, createSignerRecovery, defaultRecoveryThreads, type RecoveryRequest } from './recoveryWorkers.js'
import { isValidPrivateKey, privateKeyToAddress, privateKeyToPublicKey, sign } from './secp256k1.js'

const SEED = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
console.log(`recovery workers seed: ${SEED} (replay with FUZZ_SEED=${SEED})`)

/** Deterministic keys and messages from the seed: keccak of (seed, label, index). */
function seeded(label: string, i: number): Uint8Array {
  return keccak256(new TextEncoder().encode(`${SEED}:${label}:${i}`))
}

function signedRequests(count: number, label = 'key'): { requests: RecoveryRequest[]; keys: Uint8Array[] } {
  const keys: Uint8Array[] = []
  const requests: RecoveryRequest[] = []
  for (let i = 0; i < count; i++) {
    let key = seeded(label, i)
    while (!isValidPrivateKey(key)) key = keccak256(key)
    const hash = seeded(`${label}-message`, i)
    keys.push(key)
    requests.push({ hash, signature: sign(hash, key) })
  }
  return { requests, keys }
}

describe('signer recovery on worker threads', () => {
  test('recovers a burst in messages of MAX_BATCH requests, and its short tail in SMALL_BATCH, in request order', async () => {
    const recovery = createSignerRecovery({ threads: 1 })
    try {
      assert.equal(recovery.threads, 1)
      const { requests, keys } = signedRequests(200)
      const signers = await recovery.recoverMany(requests)
      signers.forEach((signer, i) => {
        assert.ok(signer, `request ${i} recovered`)
        assert.equal(bytesToHex(signer.address), bytesToHex(privateKeyToAddress(keys[i] as Uint8Array)))
        assert.deepEqual(signer.publicKey, privateKeyToPublicKey(keys[i] as Uint8Array))
      })
      // 200 = 3 × 64 + 8: three full messages, then the 8 left are fewer than MAX_BATCH.
      const full = Math.floor(200 / MAX_BATCH)
      assert.deepEqual(recovery.stats(), { batches: full + Math.ceil((200 - full * MAX_BATCH) / SMALL_BATCH), recovered: 200, inThread: 0 })
    } finally {
      await recovery.close()
    }
  })

  test('requests made in one event-loop turn travel together, fewer than MAX_BATCH in messages of SMALL_BATCH; a bad signature fails alone', async () => {
    const recovery = createSignerRecovery({ threads: 1 })
    try {
      const { requests, keys } = signedRequests(50, 'tick')
      const broken = { hash: (requests[7] as RecoveryRequest).hash, signature: new Uint8Array(65) }
      const all = requests.map((r, i) => (i === 7 ? broken : r))
      const signers = await Promise.all(all.map((r) => recovery.recover(r.hash, r.signature)))
      assert.equal(signers[7], undefined, 'r = s = 0 recovers nothing')
      signers.forEach((signer, i) => {
        if (i !== 7) assert.equal(bytesToHex(signer?.address ?? new Uint8Array()), bytesToHex(privateKeyToAddress(keys[i] as Uint8Array)))
      })
      assert.equal(recovery.stats().batches, Math.ceil(50 / SMALL_BATCH))
      // Malformed requests are answered without a worker.
      assert.equal(await recovery.recover(new Uint8Array(31), (requests[0] as RecoveryRequest).signature), undefined)
    } finally {
      await recovery.close()
    }
  })

  test('requests from separate callbacks of one event-loop turn share a message', async () => {
    const recovery = createSignerRecovery({ threads: 1 })
    try {
      const { requests, keys } = signedRequests(2, 'turn')
      const [first, second] = requests as [RecoveryRequest, RecoveryRequest]
      // Two callbacks of the same check phase, like two HTTP requests read in one poll phase.
      const pending = await new Promise<Promise<unknown>[]>((resolve) => {
        const made: Promise<unknown>[] = []
        setImmediate(() => made.push(recovery.recover(first.hash, first.signature)))
        setImmediate(() => {
          made.push(recovery.recover(second.hash, second.signature))
          resolve(made)
        })
      })
      const signers = (await Promise.all(pending)) as ({ address: Uint8Array } | undefined)[]
      signers.forEach((s, i) => assert.equal(bytesToHex(s?.address ?? new Uint8Array()), bytesToHex(privateKeyToAddress(keys[i] as Uint8Array))))
      assert.equal(recovery.stats().batches, 1)
    } finally {
      await recovery.close()
    }
  })

  test('with two workers, results still resolve in request order', async () => {
    const recovery = createSignerRecovery({ threads: 2 })
    try {
      const { requests, keys } = signedRequests(120, 'order')
      const resolvedOrder: number[] = []
      const pending: Promise<void>[] = []
      // Batches of different sizes on alternate workers, from separate ticks, so they may finish out of order.
      for (let start = 0, size = 40; start < requests.length; start += size, size = size === 40 ? 2 : 40) {
        for (let i = start; i < Math.min(start + size, requests.length); i++) {
          const r = requests[i] as RecoveryRequest
          pending.push(recovery.recover(r.hash, r.signature).then((signer) => {
            assert.equal(bytesToHex(signer?.address ?? new Uint8Array()), bytesToHex(privateKeyToAddress(keys[i] as Uint8Array)))
            resolvedOrder.push(i)
          }))
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
      await Promise.all(pending)
      assert.deepEqual(resolvedOrder, requests.map((_, i) => i))
      assert.ok(recovery.stats().batches >= 2, `used ${recovery.stats().batches} batches`)
    } finally {
      await recovery.close()
    }
  })

  test('a worker that cannot start leaves recovery on this thread, reported once', async () => {
    const errors: unknown[] = []
    const recovery = createSignerRecovery({ threads: 2, workerSource: 'throw new Error("no native addon here")', onWorkerError: (e) => errors.push(e) })
    try {
      const { requests, keys } = signedRequests(30, 'fallback')
      const signers = await recovery.recoverMany(requests)
      signers.forEach((s, i) => assert.equal(bytesToHex(s?.address ?? new Uint8Array()), bytesToHex(privateKeyToAddress(keys[i] as Uint8Array))))
      // The failures arrive asynchronously; wait (bounded) until both workers are gone.
      const deadline = performance.now() + 10_000
      while (recovery.threads > 0 && performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
      assert.equal(recovery.threads, 0)
      assert.equal(errors.length, 1)
      const again = await recovery.recoverMany(requests.slice(0, 3))
      assert.equal(bytesToHex(again[2]?.address ?? new Uint8Array()), bytesToHex(privateKeyToAddress(keys[2] as Uint8Array)))
      assert.ok(recovery.stats().inThread >= 3)
    } finally {
      await recovery.close()
    }
  })

  test('close finishes requests in flight and later ones run on this thread', async () => {
    const recovery = createSignerRecovery({ threads: 1 })
    const { requests, keys } = signedRequests(40, 'close')
    const inFlight = recovery.recoverMany(requests)
    await recovery.close()
    const signers = await inFlight
    signers.forEach((s, i) => assert.equal(bytesToHex(s?.address ?? new Uint8Array()), bytesToHex(privateKeyToAddress(keys[i] as Uint8Array))))
    assert.equal(recovery.threads, 0)
    const [late] = await recovery.recoverMany(requests.slice(0, 1))
    assert.equal(bytesToHex(late?.address ?? new Uint8Array()), bytesToHex(privateKeyToAddress(keys[0] as Uint8Array)))
  })

  test('threads: 0 recovers on this thread', async () => {
    const recovery = createSignerRecovery({ threads: 0 })
    const { requests, keys } = signedRequests(5, 'zero')
    const signers = await recovery.recoverMany(requests)
    assert.equal(bytesToHex(signers[4]?.address ?? new Uint8Array()), bytesToHex(privateKeyToAddress(keys[4] as Uint8Array)))
    assert.deepEqual(recovery.stats(), { batches: 0, recovered: 0, inThread: 5 })
    await recovery.close()
  })

  test('the default size leaves one core to the main thread, between 1 and 4', () => {
    const threads = defaultRecoveryThreads({})
    assert.ok(threads >= 1 && threads <= 4, `default ${threads}`)
    assert.equal(defaultRecoveryThreads({ STELE_RECOVERY_THREADS: '0' }), 0)
    assert.equal(defaultRecoveryThreads({ STELE_RECOVERY_THREADS: '9' }), 4)
    assert.equal(defaultRecoveryThreads({ STELE_RECOVERY_THREADS: 'many' }), threads)
  })

  test('idle workers do not keep a process alive that never closes them', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const script = `
      import { createSignerRecovery } from './src/crypto/recoveryWorkers.ts'
      import { sign } from './src/crypto/secp256k1.ts'
      const recovery = createSignerRecovery({ threads: 1 })
      const hash = new Uint8Array(32).fill(7)
      const signer = await recovery.recover(hash, sign(hash, new Uint8Array(32).fill(1)))
      console.log(signer ? 'recovered' : 'failed')
    `
    const child = spawn(process.execPath, ['--import', './scripts/preload.mjs', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    clearTimeout(timer)
    assert.equal(output.trim(), 'recovered')
    assert.equal(code, 0, 'the child exited by itself')
  })
})
