import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { genesisToJson } from '../src/chain/genesis.js'
import { devGenesis } from '../src/cli/dev/devCommand.js'
import { keccak256 } from '../src/crypto/keccak.js'
import { privateKeyToAddress } from '../src/crypto/secp256k1.js'
import { bigintToHex, bytesToHex } from '../src/primitives/bytes.js'
import { deriveDevKeys } from '../test/fixtures/devAccounts.js'
import { signEip1559Tx, type SignedRawTx } from '../test/fixtures/rawTx.js'
import { createBlockWatcher } from './lib/blockWatcher.js'
import { keepCpuProfile } from './lib/cpuProfile.js'
import { createJsonRpcClient, type JsonRpcClient } from './lib/jsonRpcClient.js'
import { prepareBatches, sendBodies } from './lib/loadGenerator.js'
import { buildRequest, createRawHttpClient, type RawHttpClient } from './lib/rawHttpClient.js'
import { freePort, startNodeProcess, type NodeProcess } from './lib/nodeProcess.js'
import { percentile, progress, round } from './lib/stats.js'
import { BATCH_IN_FLIGHT, BATCH_SIZE, ETH_TRANSFER_GAS, ROOT, SENDERS, feeFields, runPhase, type Ctx, type PhaseResult } from './dev.js'

export interface ScaleBenchOptions {
  /** Transactions sent to the large-state node before the read latency is measured (default 1,000,000). */
  txs?: number
  /** Funded accounts in the large genesis (default 1,000,000). */
  accounts?: number
  /** Throughput rounds on each node, alternating between the nodes (default 4). */
  rounds?: number
  /** Transfers per throughput phase, on each node (default 5,000 per round, at most `txs`). */
  throughputTxs?: number
  /** Run both nodes under `node --cpu-prof`; profiles are kept in bench/results/ and summarized. */
  profile?: boolean
  /** Both nodes keep the state of this many recent blocks (stele dev --state-history; default 0, all). */
  stateHistory?: number
  /** eth_getBalance calls for the latency figure (default 2,000). */
  balanceSamples?: number
  signal?: AbortSignal
}

const WEI_PER_ETH = 10n ** 18n
/** Transactions signed, sent and awaited as one unit of the long run. */
const CHUNK = 25_000
/** A chunk fails when the node includes nothing for this long. */
const STALL_MS = 120_000
const SEED = 0x5ca1e
/** Throughput rounds per node, alternating between the small and the large state. */
const THROUGHPUT_ROUNDS = 4
/** Transfers per throughput round, on each node. */
const ROUND_TXS = 5000

/**
 * `npm run bench -- scale`: issue 7's scale goals, on persistent `stele dev` nodes.
 * (a) start on a genesis with `accounts` funded accounts: time to the first RPC answer and peak RSS;
 * (b) the same batched ETH-transfer load on that node and on a small-state node: the throughput ratio;
 * (c) `txs` transactions in all on the large node, then eth_getBalance p50/p99 over random funded
 *     accounts and the data directory's size.
 */
export async function runScaleBench(options: ScaleBenchOptions = {}): Promise<object> {
  const accounts = options.accounts ?? 1_000_000
  const totalTxs = options.txs ?? 1_000_000
  const roundCount = options.rounds ?? THROUGHPUT_ROUNDS
  const throughputTxs = Math.min(options.throughputTxs ?? ROUND_TXS * roundCount, totalTxs)
  const samples = options.balanceSamples ?? 2000
  const loadBefore = round(loadavg()[0])
  const work = mkdtempSync(join(tmpdir(), 'stele-scale-'))
  const funded = fundedAddresses(accounts)
  const random = mulberry32(SEED)
  // Recipients are funded accounts picked at random, so transfers touch the whole trie, not a hot corner.
  const recipient = () => {
    const i = random() % accounts
    return funded.subarray(i * 20, i * 20 + 20)
  }
  // Build the bundle now, so no node start below pays for it.
  execFileSync(process.execPath, ['bin/stele.js', '--version'], { cwd: ROOT, stdio: 'ignore' })
  try {
    const smallDir = join(work, 'small')
    writeDevHome(smallDir, funded, 0)
    const profDir = (name: string) => (options.profile ? join(work, `prof-${name}`) : undefined)
    // Both nodes stay up, and the throughput phases alternate between them in rounds: the host's speed drifts
    // by a third within minutes, and one long phase on each node made the ratio follow the drift (0.51–0.78).
    const stateHistory = options.stateHistory ?? 0
    const small = await startStele(smallDir, stateHistory, options.signal, profDir('small'))
    try {
      progress(`scale: writing a genesis with ${accounts} funded accounts`)
      const largeDir = join(work, 'large')
      const genesisBytes = writeDevHome(largeDir, funded, accounts)
      progress(`scale: starting the large-state node (genesis.json ${Math.round(genesisBytes / 2 ** 20)} MiB)`)
      const large = await startStele(largeDir, stateHistory, options.signal, profDir('large'))
      const startup = { seconds: round(large.readyMs / 1000), peakRssMiB: mib(large.node.peakRssBytes()), atReady: rssReport(large.node.pid), cpuSec: round(large.node.cpuSeconds()) }
      progress(`scale: ready after ${startup.seconds} s, peak RSS ${startup.peakRssMiB} MiB`)
      try {
        const rounds: { small: PhaseResult; large: PhaseResult }[] = []
        const perRound = Math.ceil(throughputTxs / roundCount)
        for (let r = 0; r < roundCount; r++) {
          progress(`scale: round ${r + 1} of ${roundCount}, ${perRound} transfers to each node in batches of ${BATCH_SIZE}`)
          const smallRound = await throughputPhase(small.node, perRound, recipient, options.signal)
          const largeRound = await throughputPhase(large.node, perRound, recipient, options.signal)
          rounds.push({ small: smallRound, large: largeRound })
        }
        await small.node.stop()
        const smallProfile = options.profile ? keepCpuProfile(profDir('small') as string, join(ROOT, 'bench', 'results'), 'scale-small') : undefined
        const smallPhase = combinePhases(rounds.map((x) => x.small))
        const largePhase = combinePhases(rounds.map((x) => x.large))
        const longRun = await longRunPhase(large.node, totalTxs - perRound * roundCount, recipient, options.signal)
        const headNumber = await withClient(large.node.rpcUrl, (c) => c.call<string>('eth_blockNumber'))
        const balance = await balanceLatency(large.node.rpcUrl, funded, samples, random)
        const peakRssMiB = mib(large.node.peakRssBytes())
        const rssAtEnd = rssReport(large.node.pid)
        const nodeCpuSec = round(large.node.cpuSeconds())
        await large.node.stop()
        const largeProfile = options.profile ? keepCpuProfile(profDir('large') as string, join(ROOT, 'bench', 'results'), 'scale-large') : undefined
        const dataDir = dirSize(largeDir)
        return {
          accounts,
          stateHistory,
          seed: SEED,
          startup,
          throughput: {
            batchSize: BATCH_SIZE,
            inFlight: BATCH_IN_FLIGHT,
            rounds: roundCount,
            smallState: smallPhase,
            largeState: largePhase,
            // CPU per transaction moves far less than tx/s on a shared host.
            minedTpsRatio: ratio(largePhase.minedTps, smallPhase.minedTps),
            perNodeCpuSecRatio: ratio(largePhase.minedTxsPerNodeCpuSec, smallPhase.minedTxsPerNodeCpuSec),
            byRound: rounds.map((x) => ({
              minedTps: [x.small.minedTps, x.large.minedTps],
              minedTpsRatio: ratio(x.large.minedTps, x.small.minedTps),
              perNodeCpuSecRatio: ratio(x.large.minedTxsPerNodeCpuSec, x.small.minedTxsPerNodeCpuSec),
            })),
          },
          afterLoad: {
            txs: perRound * roundCount + longRun.sent,
            headBlock: Number(BigInt(headNumber)),
            longRun,
            getBalance: balance,
            dataDir,
            peakRssMiB,
            rssAtEnd,
            nodeCpuSec,
          },
          hostLoadAvg: [loadBefore, round(loadavg()[0])],
          ...(options.profile ? { cpuProfiles: { small: smallProfile, large: largeProfile } } : {}),
        }
      } finally {
        await large.node.stop()
      }
    } finally {
      await small.node.stop()
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/**
 * One phase's figures from several rounds of it: sums, rates over the summed time, and the rounds' mean
 * latency percentiles (the per-transaction latencies are not kept).
 */
function combinePhases(parts: readonly PhaseResult[]): PhaseResult {
  const sum = (pick: (p: PhaseResult) => number | undefined) => parts.reduce((n, p) => n + (pick(p) ?? 0), 0)
  const mean = (pick: (p: PhaseResult) => number | undefined) => {
    const known = parts.map(pick).filter((v): v is number => v !== undefined)
    return known.length === 0 ? undefined : round(known.reduce((a, b) => a + b, 0) / known.length)
  }
  const mined = (p: PhaseResult) => p.sent - p.rejected - p.missing
  // Each round's span, recovered from its own rate.
  const seconds = sum((p) => (p.minedTps ? mined(p) / p.minedTps : undefined))
  const submittedSeconds = sum((p) => (p.submittedTps ? p.sent / p.submittedTps : undefined))
  const cpu = sum((p) => p.nodeCpuSec)
  const totalMined = sum(mined)
  const blocks = sum((p) => p.blocks)
  return {
    txs: sum((p) => p.txs),
    sent: sum((p) => p.sent),
    rejected: sum((p) => p.rejected),
    missing: sum((p) => p.missing),
    submittedTps: submittedSeconds > 0 ? round(sum((p) => p.sent) / submittedSeconds, 0) : undefined,
    minedTps: seconds > 0 ? round(totalMined / seconds, 0) : undefined,
    p50InclusionMs: mean((p) => p.p50InclusionMs),
    p99InclusionMs: mean((p) => p.p99InclusionMs),
    blocks,
    meanTxsPerBlock: blocks > 0 ? round(totalMined / blocks, 0) : undefined,
    nodeCpuSec: round(cpu),
    minedTxsPerNodeCpuSec: cpu > 0 ? round(totalMined / cpu, 0) : undefined,
    loadGenCpuSec: round(sum((p) => p.loadGenCpuSec)),
  }
}

/** Address i: the last 20 bytes of keccak256(i as 4 bytes), as bench/state.ts builds them; packed. */
function fundedAddresses(count: number): Uint8Array {
  const out = new Uint8Array(count * 20)
  const index = new Uint8Array(4)
  const view = new DataView(index.buffer)
  for (let i = 0; i < count; i++) {
    view.setUint32(0, i)
    out.set(keccak256(index).subarray(12), i * 20)
  }
  return out
}

const VALIDATOR_KEY = keccak256(new TextEncoder().encode('stele-scale-validator'))

/**
 * A `stele dev` data directory prepared before the first start: the node key and a genesis.json with
 * the dev accounts plus `accounts` funded addresses (1 ETH each). `stele dev` uses a genesis.json it
 * finds in its data directory, so no extra flag is needed. Returns the genesis file's size.
 */
function writeDevHome(dir: string, funded: Uint8Array, accounts: number): number {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'node.key'), `${bytesToHex(VALIDATOR_KEY)}\n`, { mode: 0o600 })
  const genesis = devGenesis({
    chainId: 1337n,
    validator: privateKeyToAddress(VALIDATOR_KEY),
    funded: deriveDevKeys(SENDERS).map((k) => k.address),
    balanceWei: 10_000n * WEI_PER_ETH,
    gasLimit: 1_000_000_000n,
    baseFee: 1_000_000_000n,
  })
  const json = genesisToJson(genesis)
  const alloc = json.alloc ?? {}
  const balance = bigintToHex(WEI_PER_ETH)
  for (let i = 0; i < accounts; i++) alloc[bytesToHex(funded.subarray(i * 20, i * 20 + 20))] ??= { balance }
  json.alloc = alloc
  const text = JSON.stringify(json)
  writeFileSync(join(dir, 'genesis.json'), text)
  return text.length
}

async function startStele(dataDir: string, stateHistory: number, signal: AbortSignal | undefined, profDir: string | undefined): Promise<{ node: NodeProcess; readyMs: number }> {
  const port = await freePort()
  const args = [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), 'bin/stele.js', 'dev', '--data-dir', dataDir, '--port', String(port), '--accounts', String(SENDERS), '--block-time', '0', '--gas-limit', '1000000000', '--state-history', String(stateHistory), '--quiet', '--log-level', 'warn']
  const started = performance.now()
  const node = await startNodeProcess({ name: 'stele', command: process.execPath, args, cwd: ROOT, rpcUrl: `http://127.0.0.1:${port}`, readyTimeoutMs: 600_000, stopGraceMs: 30_000, ...(signal ? { signal } : {}) })
  return { node, readyMs: performance.now() - started }
}

/** The dev bench's batched ETH phase (batches of 50, 8 in flight) to random funded recipients. */
async function throughputPhase(node: NodeProcess, txs: number, recipient: () => Uint8Array, signal: AbortSignal | undefined): Promise<PhaseResult> {
  const load = createRawHttpClient(node.rpcUrl, BATCH_IN_FLIGHT)
  const control = createJsonRpcClient(node.rpcUrl, { maxSockets: 2 })
  const poller = createJsonRpcClient(node.rpcUrl, { maxSockets: 1 })
  const watcher = await createBlockWatcher(poller, { intervalMs: 10 })
  try {
    const ctx = await loadContext(node, load, control, signal)
    const ctxWithWatcher: Ctx = { ...ctx, watcher, phaseBudgetMs: 600_000 }
    const signed = sign(ctxWithWatcher, txs, recipient)
    return await runPhase(ctxWithWatcher, signed, prepareBatches(signed.map((t) => t.raw), BATCH_SIZE), BATCH_SIZE, BATCH_IN_FLIGHT)
  } finally {
    await watcher.stop()
    load.close()
    control.close()
    poller.close()
  }
}

type LoadContext = Omit<Ctx, 'watcher' | 'phaseBudgetMs'>

async function loadContext(node: NodeProcess, load: RawHttpClient, control: JsonRpcClient, signal: AbortSignal | undefined): Promise<LoadContext> {
  const keys = deriveDevKeys(SENDERS)
  const chainId = BigInt(await control.call<string>('eth_chainId'))
  const nonces = await Promise.all(keys.map(async (k) => BigInt(await control.call<string>('eth_getTransactionCount', [bytesToHex(k.address), 'pending']))))
  return { kind: 'stele', node, chainId, keys, nonces, fees: await feeFields(control), load, control, ...(signal ? { signal } : {}) }
}

function sign(ctx: LoadContext, count: number, recipient: () => Uint8Array): SignedRawTx[] {
  const out: SignedRawTx[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const s = i % ctx.keys.length
    const nonce = ctx.nonces[s] as bigint
    ctx.nonces[s] = nonce + 1n
    out[i] = signEip1559Tx({ chainId: ctx.chainId, nonce, ...ctx.fees, gas: ETH_TRANSFER_GAS, to: recipient(), value: 1n, data: new Uint8Array(0) }, (ctx.keys[s] as (typeof ctx.keys)[number]).privateKey)
  }
  return out
}

/**
 * Sends `total` transfers in chunks (the next chunk is signed while the node works on the previous
 * one), waiting for each chunk's inclusion through the senders' nonces rather than per-transaction polls.
 */
async function longRunPhase(node: NodeProcess, total: number, recipient: () => Uint8Array, signal: AbortSignal | undefined) {
  if (total <= 0) return { sent: 0, rejected: 0, seconds: 0, minedTps: undefined, minedTxsPerNodeCpuSec: undefined }
  progress(`scale: ${total} more transfers in chunks of ${CHUNK}`)
  const load = createRawHttpClient(node.rpcUrl, BATCH_IN_FLIGHT)
  const control = createJsonRpcClient(node.rpcUrl, { maxSockets: 2 })
  const started = performance.now()
  const cpuBefore = node.cpuSeconds()
  let sent = 0
  let rejected = 0
  try {
    const ctx = await loadContext(node, load, control, signal)
    let next = sign(ctx, Math.min(CHUNK, total), recipient)
    while (next.length > 0) {
      const chunk = next
      const bodies = prepareBatches(chunk.map((t) => t.raw), BATCH_SIZE).map((b) => buildRequest(node.rpcUrl, b))
      const report = await sendBodies(load.send, bodies, { inFlight: BATCH_IN_FLIGHT, perBody: BATCH_SIZE, total: chunk.length, ...(signal ? { signal } : {}) })
      sent += report.sent
      rejected += report.rejected.size
      if (report.rejected.size > 0) progress(`scale: ${report.rejected.size} rejected, first error: ${report.firstError}`)
      const expected = [...ctx.nonces]
      const remaining = total - sent
      next = remaining > 0 ? sign(ctx, Math.min(CHUNK, remaining), recipient) : []
      await waitForNonces(ctx, expected, signal)
      if (report.rejected.size > 0) {
        // A refused transaction leaves a nonce gap; the chunk signed meanwhile is re-signed from the node's nonces.
        ctx.nonces.splice(0, ctx.nonces.length, ...(await latestNonces(ctx)))
        next = remaining > 0 ? sign(ctx, Math.min(CHUNK, remaining), recipient) : []
      }
      const seconds = (performance.now() - started) / 1000
      const rss = rssReport(node.pid)
      progress(`scale: ${sent} of ${total} sent and included, ${Math.round(sent / seconds)} tx/s, node RSS ${rss.rssMiB} MiB (anonymous ${rss.anonMiB}, file ${rss.fileMiB})`)
    }
  } finally {
    load.close()
    control.close()
  }
  const seconds = (performance.now() - started) / 1000
  const cpuAfter = node.cpuSeconds()
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore
  return { sent, rejected, seconds: round(seconds), minedTps: round((sent - rejected) / seconds), minedTxsPerNodeCpuSec: cpu ? round((sent - rejected) / cpu) : undefined, rssAtEnd: rssReport(node.pid) }
}

async function latestNonces(ctx: LoadContext): Promise<bigint[]> {
  return Promise.all(ctx.keys.map(async (k) => BigInt(await ctx.control.call<string>('eth_getTransactionCount', [bytesToHex(k.address), 'latest']))))
}

/** Resolves once every sender's mined nonce reached `expected` (a refused transaction stalls it: then gives up on that sender). */
async function waitForNonces(ctx: LoadContext, expected: bigint[], signal: AbortSignal | undefined): Promise<void> {
  let lastProgress = performance.now()
  let lastSum = -1n
  for (;;) {
    if (signal?.aborted) throw new Error('aborted')
    const mined = await latestNonces(ctx)
    if (mined.every((n, i) => n >= (expected[i] as bigint))) return
    const sum = mined.reduce((a, b) => a + b, 0n)
    if (sum !== lastSum) {
      lastSum = sum
      lastProgress = performance.now()
    } else if (performance.now() - lastProgress > STALL_MS) {
      // Pending transactions behind a refused one never mine; the caller resyncs nonces.
      const pending = await Promise.all(ctx.keys.map(async (k) => BigInt(await ctx.control.call<string>('eth_getTransactionCount', [bytesToHex(k.address), 'pending']))))
      if (pending.every((n, i) => n === mined[i])) return
      throw new Error(`no transaction included for ${STALL_MS / 1000} s`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** eth_getBalance of random funded accounts, one request at a time over a keep-alive connection. */
async function balanceLatency(url: string, funded: Uint8Array, samples: number, random: () => number) {
  progress(`scale: eth_getBalance latency over ${samples} random funded accounts`)
  const accounts = funded.length / 20
  return withClient(url, async (client) => {
    const ms: number[] = []
    let zero = 0
    for (let i = 0; i < samples; i++) {
      const a = random() % accounts
      const address = bytesToHex(funded.subarray(a * 20, a * 20 + 20))
      const t = performance.now()
      const balance = await client.call<string>('eth_getBalance', [address, 'latest'])
      ms.push(performance.now() - t)
      if (BigInt(balance) < WEI_PER_ETH) zero++
    }
    // Every sampled account was funded with 1 ETH and only ever received: a smaller balance is a wrong answer.
    if (zero > 0) throw new Error(`${zero} of ${samples} funded accounts answered a balance below 1 ETH`)
    return { samples, p50Ms: round(percentile(ms, 50), 3), p99Ms: round(percentile(ms, 99), 3), maxMs: round(Math.max(...ms), 3) }
  })
}

async function withClient<T>(url: string, fn: (client: JsonRpcClient) => Promise<T>): Promise<T> {
  const client = createJsonRpcClient(url, { maxSockets: 1 })
  try {
    return await fn(client)
  } finally {
    client.close()
  }
}

/** Apparent bytes (file lengths) and allocated bytes (blocks on disk) under `dir`. */
function dirSize(dir: string): { bytes: number; allocatedBytes: number } {
  let bytes = 0
  let allocatedBytes = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      const sub = dirSize(path)
      bytes += sub.bytes
      allocatedBytes += sub.allocatedBytes
    } else {
      const stat = statSync(path)
      bytes += stat.size
      allocatedBytes += stat.blocks * 512
    }
  }
  return { bytes, allocatedBytes }
}

/**
 * VmRSS split into anonymous memory (the JS heap, native allocations) and file pages: LMDB maps its
 * file, so every page the node touched counts in RSS as clean page cache the kernel can reclaim.
 */
function rssParts(pid: number): { rss: number; anon: number; file: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) * 1024
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') }
  } catch {
    return undefined
  }
}

function rssReport(pid: number): { rssMiB?: number; anonMiB?: number; fileMiB?: number } {
  const parts = rssParts(pid)
  return parts === undefined ? {} : { rssMiB: mib(parts.rss) as number, anonMiB: mib(parts.anon) as number, fileMiB: mib(parts.file) as number }
}

function mib(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : Math.round(bytes / 2 ** 20)
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : round(a / b, 3)
}

/** mulberry32: small, seeded, and its low bits do not cycle the way an LCG's do. */
function mulberry32(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (t ^ (t >>> 14)) >>> 0
  }
}
