import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { open } from 'lmdb'
import { keccak256 } from '../src/crypto/keccak.js'
import { recoverPublicKey, sign } from '../src/crypto/secp256k1.js'
import { openLmdbStore, WriteBatch } from '../src/state/kvStore.js'
import { progress, round } from './lib/stats.js'

export interface LimitsBenchOptions {
  /** Wall time per measurement round (default 500 ms); each figure is the best of `rounds` rounds (default 5). */
  roundMs?: number
  rounds?: number
  /** Directory for the LMDB files; defaults to the OS temp dir, which must be on a real disk for fsync to mean anything. */
  dir?: string
}

/**
 * `npm run bench -- limits`: single-core ceilings of the work every transaction and block needs.
 * CPU-bound figures are operations per CPU-second of this process, so a busy host (other processes
 * taking turns on the cores) lowers them far less than it lowers wall-clock rates; the best round is
 * kept. LMDB commits wait on the disk, so they are per wall-clock second.
 */
export async function runLimitsBench(options: LimitsBenchOptions = {}): Promise<object> {
  const roundMs = options.roundMs ?? 500
  const rounds = options.rounds ?? 5
  const best = (fn: () => number) => Math.max(...Array.from({ length: rounds }, fn))

  progress('limits: secp256k1 recovery')
  const keys = Array.from({ length: 64 }, (_, i) => keccak256(new Uint8Array([1, i])))
  const samples = keys.map((k, i) => {
    const hash = keccak256(new Uint8Array([2, i]))
    return { hash, sig: sign(hash, k) }
  })
  const recoverPerSec = best(() => rate(roundMs, (i) => recoverPublicKey(samples[i & 63]!.hash, samples[i & 63]!.sig)))
  const signPerSec = best(() => rate(roundMs, (i) => sign(samples[i & 63]!.hash, keys[i & 63]!)))

  progress('limits: keccak256')
  const small = new Uint8Array(32).fill(7)
  const large = new Uint8Array(500).fill(9)
  // For comparison: the `keccak` package's native state without its stream wrapper, and pure JS (noble).
  // Implementations take turns round by round so a noisy moment hits them all.
  const direct = loadNativeKeccakState()
  const impls: Record<string, ((d: Uint8Array) => unknown) | undefined> = { project: keccak256, nativeStateDirect: direct, nobleJs: keccak_256 }
  const keccakBest: Record<string, { bytes32PerCpuSec: number; bytes500PerCpuSec: number }> = {}
  for (let r = 0; r < rounds; r++) {
    for (const [name, hash] of Object.entries(impls)) {
      if (!hash) continue
      const entry = (keccakBest[name] ??= { bytes32PerCpuSec: 0, bytes500PerCpuSec: 0 })
      entry.bytes32PerCpuSec = Math.max(entry.bytes32PerCpuSec, rate(roundMs / 2, () => hash(small)))
      entry.bytes500PerCpuSec = Math.max(entry.bytes500PerCpuSec, rate(roundMs / 2, () => hash(large)))
    }
  }
  const keccak32PerSec = keccakBest.project?.bytes32PerCpuSec ?? 0
  const keccak500PerSec = keccakBest.project?.bytes500PerCpuSec ?? 0
  const roundedPair = (e: { bytes32PerCpuSec: number; bytes500PerCpuSec: number } | undefined) =>
    e && { bytes32PerCpuSec: round(e.bytes32PerCpuSec), bytes500PerCpuSec: round(e.bytes500PerCpuSec) }
  const alternatives = { nativeStateDirect: roundedPair(keccakBest.nativeStateDirect), nobleJs: roundedPair(keccakBest.nobleJs) }

  progress('limits: LMDB commits')
  const root = mkdtempSync(join(options.dir ?? tmpdir(), 'stele-limits-'))
  try {
    const lmdb = {
      // What the node uses (src/state/kvStore.ts), lmdb-js defaults included.
      kvStoreWrite: await lmdbCommits(join(root, 'store'), 'kvStore', roundMs, rounds),
      // Classic LMDB: the commit fsyncs before returning.
      syncCommit: await lmdbCommits(join(root, 'sync'), { overlappingSync: false }, roundMs, rounds),
      // Not durable: the ceiling without any flush, to show what fsync costs.
      noSync: await lmdbCommits(join(root, 'nosync'), { noSync: true }, roundMs, rounds),
    }
    return {
      bench: 'limits',
      unit: 'secp256k1 and keccak256: operations per CPU-second (one thread); LMDB: commits per wall-clock second. Best of rounds.',
      hostLoadAvg: round(loadavg()[0]),
      secp256k1: { recoverPerCpuSec: round(recoverPerSec), signPerCpuSec: round(signPerSec) },
      keccak256: {
        implementation: 'src/crypto/keccak.ts (our WebAssembly sponge up to 1 KiB, the native keccak addon above)',
        bytes32PerCpuSec: round(keccak32PerSec),
        bytes500PerCpuSec: round(keccak500PerSec),
        mbPerCpuSecAt500: round((keccak500PerSec * 500) / 1e6),
        alternatives,
      },
      lmdbCommitsPerSec: lmdb,
      lmdbCommitShape: '1 write transaction = 3 puts (32-byte keys, 100-byte values)',
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

/** Operations per CPU-second, running `op` for about `ms` of wall time. */
function rate(ms: number, op: (i: number) => unknown): number {
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  let n = 0
  // Check the clock every 64 operations so timing overhead stays out of the figure.
  for (;;) {
    for (let j = 0; j < 64; j++) op(n++)
    if (performance.now() - start >= ms) {
      const cpu = process.cpuUsage(cpuStart)
      return n / ((cpu.user + cpu.system) / 1e6)
    }
  }
}

async function lmdbCommits(path: string, variant: 'kvStore' | { overlappingSync?: boolean; noSync?: boolean }, ms: number, rounds: number): Promise<number> {
  const value = new Uint8Array(100).fill(5)
  const key = (n: number, j: number) => keccak256(new Uint8Array([n & 255, (n >> 8) & 255, (n >> 16) & 255, j]))
  let commit: (n: number) => void
  let close: () => Promise<void>
  if (variant === 'kvStore') {
    const store = openLmdbStore(path)
    commit = (n) => store.write(new WriteBatch().put('accounts', key(n, 0), value).put('accounts', key(n, 1), value).put('storage', key(n, 2), value))
    close = () => store.close()
  } else {
    const db = open({ path, ...variant, keyEncoding: 'binary', encoding: 'binary' })
    const buf = Buffer.from(value)
    commit = (n) =>
      db.transactionSync(() => {
        for (let j = 0; j < 3; j++) db.putSync(Buffer.from(key(n, j)), buf)
      })
    close = () => db.close()
  }
  try {
    let n = 0
    let bestRate = 0
    for (let r = 0; r < rounds; r++) {
      const start = performance.now()
      let count = 0
      while (performance.now() - start < ms) {
        commit(n++)
        count++
      }
      bestRate = Math.max(bestRate, count / ((performance.now() - start) / 1000))
    }
    return round(bestRate) as number
  } finally {
    await close()
  }
}

interface KeccakState {
  initialize(rate: number, capacity: number): void
  absorb(data: Buffer): void
  absorbLastFewBits(bits: number): void
  squeeze(length: number): Buffer
}

/** keccak256 on the `keccak` package's native state object, without its stream wrapper (undefined if the addon is missing). */
function loadNativeKeccakState(): ((data: Uint8Array) => Buffer) | undefined {
  try {
    const require = createRequire(import.meta.url)
    const addonDir = dirname(require.resolve('keccak'))
    const State = (require('node-gyp-build') as (dir: string) => new () => KeccakState)(addonDir)
    const hash = (data: Uint8Array) => {
      const state = new State()
      state.initialize(1088, 512)
      state.absorb(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
      state.absorbLastFewBits(0x01)
      return state.squeeze(32)
    }
    const sample = new Uint8Array(200).fill(3)
    return hash(sample).equals(keccak256(sample)) ? hash : undefined
  } catch {
    return undefined
  }
}
