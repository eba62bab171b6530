import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Account, Address } from '@ethereumjs/util'
import { keccak256 } from '../src/crypto/keccak.js'
import { openLmdbStore, WriteBatch, type KvStore } from '../src/state/kvStore.js'
import type { StateDb } from '../src/state/stateDb.js'
import { createFlatStateDb } from '../src/state/flatStateDb.js'
import { createReferenceStateDb } from '../src/state/referenceStateDb.js'
import { percentile, progress, round } from './lib/stats.js'

export interface StateBenchOptions {
  /** Account counts for the per-block root measurements (default 10,000 and 100,000). */
  accountCounts?: number[]
  /** Transfers per block (default 1,000) and measured blocks per configuration (default 5). */
  transfersPerBlock?: number
  blocks?: number
  /** Accounts in the genesis measured in a child process for time and peak RSS (default 1,000,000; 0 skips). */
  genesisAccounts?: number
  /** Skip the @ethereumjs reference at this many accounts and above (its genesis alone takes minutes). */
  referenceMaxAccounts?: number
}

/**
 * `npm run bench -- state`: state-root cost per block of plain transfers, ours (flat state + incremental
 * trie) against @ethereumjs MerkleStateManager on the same LMDB store, and a large genesis.
 */
export async function runStateBench(options: StateBenchOptions = {}): Promise<object> {
  const counts = options.accountCounts ?? [10_000, 100_000]
  const transfers = options.transfersPerBlock ?? 1000
  const blocks = options.blocks ?? 5
  const results: Record<string, unknown>[] = []
  for (const accounts of counts) {
    const flat = await measureBlocks('flat', accounts, transfers, blocks)
    const reference = accounts <= (options.referenceMaxAccounts ?? 100_000) ? await measureBlocks('reference', accounts, transfers, blocks) : undefined
    results.push({
      accounts,
      transfersPerBlock: transfers,
      flat,
      reference,
      // The reference does most of its trie work inside execute (it flushes into the trie at every
      // transaction's commit), so compare execute + root CPU.
      stateCpuSpeedup: reference ? round((reference.stateCpuUsPerTransfer as number) / (flat.stateCpuUsPerTransfer as number)) : undefined,
    })
  }
  const genesisAccounts = options.genesisAccounts ?? 1_000_000
  const genesis = genesisAccounts > 0 ? genesisInChild(genesisAccounts) : undefined
  return { perBlock: results, genesis }
}

/** Process CPU time in ms: on a shared, loaded host it is far steadier than wall time for one-thread work. */
function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

function addressOf(i: number): Address {
  return new Address(keccak256(Uint8Array.of(i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255)).subarray(12))
}

async function withStore<T>(fn: (store: KvStore) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'stele-state-bench-'))
  const store = openLmdbStore(dir)
  try {
    return await fn(store)
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function genesis(db: StateDb, store: KvStore, accounts: number): Promise<{ ms: number; root: Uint8Array }> {
  const started = performance.now()
  const overlay = db.overlay()
  for (let i = 0; i < accounts; i++) await overlay.stateManager.putAccount(addressOf(i), new Account(0n, 10n ** 24n))
  const batch = new WriteBatch()
  const commit = await overlay.prepareCommit(batch)
  store.write(batch)
  commit.apply()
  return { ms: performance.now() - started, root: commit.root }
}

async function measureBlocks(kind: 'flat' | 'reference', accounts: number, transfers: number, blocks: number): Promise<Record<string, unknown>> {
  progress(`state: ${kind}, ${accounts} accounts, ${blocks} blocks of ${transfers} transfers`)
  return withStore(async (store) => {
    // Both start from the same genesis, built by the flat StateDb (its trie nodes are the same bytes the
    // reference reads, and its bulk path takes seconds where MerkleStateManager takes minutes).
    const flatDb = createFlatStateDb(store)
    const g = await genesis(flatDb, store, accounts)
    const db = kind === 'flat' ? flatDb : createReferenceStateDb(store)
    // mulberry32: an LCG's low bits would cycle and make "random" transfers hit a few hundred accounts.
    let seed = 12345
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return (t ^ (t >>> 14)) >>> 0
    }
    const executeMs: number[] = []
    const rootMs: number[] = []
    const writeMs: number[] = []
    const executeCpu: number[] = []
    const rootCpu: number[] = []
    const changed: number[] = []
    for (let b = 0; b < blocks; b++) {
      const overlay = db.overlay()
      const sm = overlay.stateManager
      const touched = new Set<number>()
      const t0 = performance.now()
      const c0 = cpuMs()
      for (let t = 0; t < transfers; t++) {
        const from = random() % accounts
        const to = random() % accounts
        touched.add(from).add(to)
        // One checkpoint per transfer, as runTx does.
        await sm.checkpoint()
        const a = (await sm.getAccount(addressOf(from))) as Account
        a.balance -= 1000n
        a.nonce += 1n
        await sm.putAccount(addressOf(from), a)
        const c = (await sm.getAccount(addressOf(to))) as Account
        c.balance += 1000n
        await sm.putAccount(addressOf(to), c)
        await sm.commit()
      }
      const t1 = performance.now()
      const c1 = cpuMs()
      const batch = new WriteBatch()
      const commit = await overlay.prepareCommit(batch)
      const t2 = performance.now()
      executeCpu.push(c1 - c0)
      rootCpu.push(cpuMs() - c1)
      store.write(batch)
      commit.apply()
      const t3 = performance.now()
      executeMs.push(t1 - t0)
      rootMs.push(t2 - t1)
      writeMs.push(t3 - t2)
      changed.push(touched.size)
    }
    // Head reads as eth_getBalance does them.
    const reader = db.reader(db.headRoot())
    const readUs: number[] = []
    for (let i = 0; i < 2000 && reader; i++) {
      const address = addressOf(random() % accounts).bytes
      const t = performance.now()
      await reader.account(address)
      readUs.push((performance.now() - t) * 1000)
    }
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0)
    return {
      genesisMs: round(g.ms),
      changedAccountsPerBlock: round(sum(changed) / blocks),
      // Wall time (ms per block) for: executing the transfers against the overlay (for the reference this
      // includes its per-transaction trie flushes), computing the root and filling the batch, and the
      // LMDB write. CPU figures are the same phases in process CPU time.
      executeMsPerBlock: round(sum(executeMs) / blocks),
      rootMsPerBlock: round(sum(rootMs) / blocks),
      writeMsPerBlock: round(sum(writeMs) / blocks),
      executeCpuMsPerBlock: round(sum(executeCpu) / blocks),
      rootCpuMsPerBlock: round(sum(rootCpu) / blocks),
      rootCpuUsPerChangedAccount: round((sum(rootCpu) * 1000) / sum(changed)),
      stateCpuUsPerTransfer: round(((sum(executeCpu) + sum(rootCpu)) * 1000) / (transfers * blocks)),
      transfersPerSecStateOnly: round((transfers * blocks * 1000) / (sum(executeMs) + sum(rootMs) + sum(writeMs))),
      headReadUs: { p50: round(percentile(readUs, 50)), p99: round(percentile(readUs, 99)) },
    }
  })
}

/** Runs a genesis of `accounts` funded accounts in a fresh process to measure its time and peak RSS. */
function genesisInChild(accounts: number): Record<string, unknown> {
  progress(`state: genesis with ${accounts} accounts (child process)`)
  // One level up is the repository root both from bench/state.ts (tsx) and from the esbuild bundle in
  // dist/, and the child always loads this file's source through tsx.
  const here = fileURLToPath(new URL('../bench/state.ts', import.meta.url))
  const preload = fileURLToPath(new URL('../scripts/preload.mjs', import.meta.url))
  const script = `import(${JSON.stringify(here)}).then((m) => m.genesisChild(${accounts}))`
  const child = spawnSync(process.execPath, ['--import', preload, '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 })
  const line = child.stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    return { accounts, error: `genesis child failed (status ${child.status}): ${child.stderr.slice(-500)}` }
  }
}

/** The child side of genesisInChild: prints one JSON line. */
export async function genesisChild(accounts: number): Promise<void> {
  let peakRss = process.memoryUsage().rss
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 50)
  const result = await withStore(async (store) => {
    const db = createFlatStateDb(store)
    const started = performance.now()
    const startedCpu = cpuMs()
    const overlay = db.overlay()
    for (let i = 0; i < accounts; i++) await overlay.stateManager.putAccount(addressOf(i), new Account(0n, 10n ** 24n))
    const putMs = performance.now() - started
    const batch = new WriteBatch()
    const commit = await overlay.prepareCommit(batch)
    const rootMs = performance.now() - started - putMs
    store.write(batch)
    commit.apply()
    const totalMs = performance.now() - started
    const totalCpuMs = cpuMs() - startedCpu
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
    // The first block after genesis: cold node cache, 1,000 transfers.
    const t0 = performance.now()
    const next = db.overlay()
    for (let t = 0; t < 1000; t++) {
      const a = (await next.stateManager.getAccount(addressOf((t * 7919) % accounts))) as Account
      a.balance -= 1n
      await next.stateManager.putAccount(addressOf((t * 7919) % accounts), a)
    }
    const b = new WriteBatch()
    const c = await next.prepareCommit(b)
    store.write(b)
    c.apply()
    return {
      accounts,
      putMs: round(putMs),
      rootAndBatchMs: round(rootMs),
      totalSec: round(totalMs / 1000),
      totalCpuSec: round(totalCpuMs / 1000),
      batchOps: batch.size,
      firstBlockMs: round(performance.now() - t0),
    }
  })
  clearInterval(sampler)
  // VmHWM is the kernel's true peak; the sampler can miss short spikes.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
  const peakRssMiB = hwm === undefined ? Math.round(peakRss / 2 ** 20) : Math.round(Number(hwm) / 1024)
  process.stdout.write(`${JSON.stringify({ ...result, peakRssMiB })}\n`)
}
