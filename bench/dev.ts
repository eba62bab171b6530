import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { decodeEventLog, encodeDeployData, encodeFunctionData } from 'viem'
import { bytesToHex, hexToBytes, type Hex } from '../src/primitives/bytes.js'
import { keccak256 } from '../src/crypto/keccak.js'
import { compileErc20 } from '../test/fixtures/compile.js'
import { deriveDevKeys, type DevKey } from '../test/fixtures/devAccounts.js'
import { signEip1559Tx, type SignedRawTx } from '../test/fixtures/rawTx.js'
import { keepCpuProfile, type CpuProfileSummary } from './lib/cpuProfile.js'
import { createBlockWatcher, type BlockWatcher } from './lib/blockWatcher.js'
import { createJsonRpcClient, type JsonRpcClient } from './lib/jsonRpcClient.js'
import { prepareBatches, prepareSingles, sendBodies, type SendReport } from './lib/loadGenerator.js'
import { buildRequest, createRawHttpClient, type RawHttpClient } from './lib/rawHttpClient.js'
import { freePort, startNodeProcess, type NodeProcess } from './lib/nodeProcess.js'
import { percentile, progress, round } from './lib/stats.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const ANVIL_BIN = `${ROOT}node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil`
const STELE_CLI = `${ROOT}src/cli/main.ts`

export type DevNodeKind = 'stele' | 'anvil'

export interface DevBenchOptions {
  /** Transactions per load phase (default 20,000). */
  txs?: number
  /**
   * Untimed ETH transfers (single requests) sent to each node before the timed phases (default
   * DEFAULT_WARMUP_TXS; 0 for none). V8 compiles most of the node's hot paths in its first seconds of
   * load, on the same two cores the timed load needs (docs/performance.md, item 20).
   */
  warmupTxs?: number
  nodes?: DevNodeKind[]
  /** Sequential transactions for the low-load latency figure (default 200), bounded by lowLoadBudgetMs. */
  lowLoadTxs?: number
  lowLoadBudgetMs?: number
  /** Stop submitting a phase's transactions after this long (default 40 s), so a slow node cannot stretch the run. */
  phaseBudgetMs?: number
  /** Run Stele under `node --cpu-prof` and add a self-time summary to its result. */
  profile?: boolean
  signal?: AbortSignal
}

export const SENDERS = 64
export const SINGLE_IN_FLIGHT = 32
export const BATCH_SIZE = 50
export const BATCH_IN_FLIGHT = 8
export const POLL_INTERVAL_MS = 10
const STALL_MS = 60_000
const GWEI = 1_000_000_000n
export const ETH_TRANSFER_GAS = 21_000n
const ERC20_TRANSFER_GAS = 80_000n
export const RECIPIENTS = 256
export const DEFAULT_WARMUP_TXS = 10_000

export interface PhaseResult {
  txs: number
  /** Fewer than txs when the phase's time budget ran out. */
  sent: number
  rejected: number
  firstError?: string
  missing: number
  submittedTps: number | undefined
  minedTps: number | undefined
  p50InclusionMs: number | undefined
  p99InclusionMs: number | undefined
  /** Blocks that appeared during the phase, and their mean transaction count. */
  blocks: number
  meanTxsPerBlock: number | undefined
  /** CPU the node used during the phase (all threads): robust to a busy host, unlike tx/s. */
  nodeCpuSec: number | undefined
  minedTxsPerNodeCpuSec: number | undefined
  loadGenCpuSec: number | undefined
}

interface NodeResult {
  command: string
  chainId: number
  signTxsPerSec: number | undefined
  /** The untimed warm-up (its figures are the cold start), absent with --warmup 0. */
  warmup?: PhaseResult
  ethSingle: PhaseResult
  ethBatch: PhaseResult
  erc20Batch: PhaseResult & { sampleReceiptsOk: boolean }
  lowLoad: { txs: number; p50InclusionMs: number | undefined; p99InclusionMs: number | undefined }
  peakRssMB: number | undefined
  /** 1-minute load average of the host before and after: above the core count, other work competed for CPU. */
  hostLoadAvg: [number | undefined, number | undefined]
  cpuProfile?: CpuProfileSummary & { file: string }
}

/**
 * `npm run bench -- dev`: the same load against `stele dev` and anvil, each on its own free port. Both nodes
 * run for the whole bench, and each step (warm-up, single requests, batches, ERC-20, low load) runs on one
 * node and then on the other: a node's phase and its peer's are seconds apart, not minutes, so the host's
 * drift (±40% within minutes here) hits both alike. See docs/performance.md for what each figure means.
 */
export async function runDevBench(options: DevBenchOptions = {}): Promise<object> {
  const txs = options.txs ?? 20_000
  const kinds = options.nodes ?? ['stele', 'anvil']
  const warmupTxs = options.warmupTxs ?? DEFAULT_WARMUP_TXS
  const nodes: Partial<Record<DevNodeKind, NodeResult | { error: string }>> = {}
  const sessions: DevSession[] = []
  try {
    for (const kind of kinds) {
      if (options.signal?.aborted) break
      progress(`dev: starting ${kind}`)
      try {
        sessions.push(await openSession(kind, options))
      } catch (error) {
        if (options.signal?.aborted) throw error
        nodes[kind] = { error: failureMessage(kind, error) }
      }
    }
    for (const step of devSteps(txs, warmupTxs, options)) {
      for (const session of sessions) {
        if (options.signal?.aborted) break
        if (session.error !== undefined) continue
        let watcher: BlockWatcher | undefined
        try {
          watcher = await createBlockWatcher(session.poller, { intervalMs: POLL_INTERVAL_MS })
          session.ctx.watcher = watcher
          await step(session)
        } catch (error) {
          if (options.signal?.aborted) throw error
          session.error = failureMessage(session.kind, error, session.node)
        } finally {
          // Stopped between steps, so the idle node is not polled while its peer is measured.
          await watcher?.stop()
        }
      }
    }
    if (options.signal?.aborted) throw new Error('aborted')
  } finally {
    for (const session of sessions) nodes[session.kind] = await closeSession(session)
  }
  return { bench: 'dev', txsPerPhase: txs, warmupTxs, senders: SENDERS, nodes, ratio: ratios(nodes.stele, nodes.anvil) }
}

function failureMessage(kind: DevNodeKind, error: unknown, node?: NodeProcess): string {
  let message = error instanceof Error ? error.message : String(error)
  const tail = node?.outputTail().trim()
  if (tail && !message.includes(tail.slice(-200))) message += `\n${kind} output (tail):\n${tail.slice(-2000)}`
  progress(`dev: ${kind} failed: ${message}`)
  return message
}

async function startDevNode(kind: DevNodeKind, signal: AbortSignal | undefined, profileDir: string | undefined): Promise<{ node: NodeProcess; command: string }> {
  const port = await freePort()
  const rpcUrl = `http://127.0.0.1:${port}`
  if (kind === 'anvil') {
    // Quiet: per-transaction logging is not what we measure, and piping it costs the load generator CPU.
    const args = ['--block-time', '1', '--gas-limit', '1000000000', '--port', String(port), '--host', '127.0.0.1', '--accounts', String(SENDERS), '--chain-id', '1337', '--quiet']
    if (!existsSync(ANVIL_BIN)) throw new Error(`anvil not found at ${ANVIL_BIN} (devDependency @foundry-rs/anvil)`)
    return { node: await startNodeProcess({ name: 'anvil', command: ANVIL_BIN, args, rpcUrl, ...(signal ? { signal } : {}) }), command: `anvil ${args.join(' ')}` }
  }
  if (!existsSync(STELE_CLI)) throw new Error('stele dev is not available yet: src/cli/main.ts does not exist')
  // Same block gas limit as anvil, so neither node is capped by block size; warn-level logs, like anvil --quiet.
  const nodeFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []
  const args = [...nodeFlags, 'bin/stele.js', 'dev', '--ephemeral', '--port', String(port), '--accounts', String(SENDERS), '--block-time', '0', '--gas-limit', '1000000000', '--quiet', '--log-level', 'warn']
  return {
    node: await startNodeProcess({ name: 'stele', command: process.execPath, args, cwd: ROOT, rpcUrl, readyTimeoutMs: 60_000, stopGraceMs: profileDir ? 30_000 : 5000, ...(signal ? { signal } : {}) }),
    command: `node ${args.join(' ')}`,
  }
}

/** One node under the bench: its process, its clients, and what its steps have measured so far. */
interface DevSession {
  kind: DevNodeKind
  node: NodeProcess
  command: string
  ctx: Ctx
  poller: JsonRpcClient
  recipients: Uint8Array[]
  loadBefore: number | undefined
  profileDir: string | undefined
  measured: Partial<NodeResult>
  /** Set when a step failed: the node's later steps are skipped and its result is this error. */
  error?: string
}

async function openSession(kind: DevNodeKind, options: DevBenchOptions): Promise<DevSession> {
  const { signal } = options
  const loadBefore = round(loadavg()[0])
  const profileDir = options.profile && kind === 'stele' ? mkdtempSync(join(tmpdir(), 'stele-prof-')) : undefined
  let started: { node: NodeProcess; command: string }
  try {
    started = await startDevNode(kind, signal, profileDir)
  } catch (error) {
    if (profileDir) rmSync(profileDir, { recursive: true, force: true })
    throw error
  }
  const { node, command } = started
  // The flood goes through the raw client: it costs about a quarter of node:http's CPU per request.
  const load = createRawHttpClient(node.rpcUrl, SINGLE_IN_FLIGHT)
  const control = createJsonRpcClient(node.rpcUrl, { maxSockets: 2 })
  const poller = createJsonRpcClient(node.rpcUrl, { maxSockets: 1 })
  const session: DevSession = {
    kind,
    node,
    command,
    // The watcher is made for each step (runDevBench).
    ctx: { kind, node, chainId: 0n, keys: deriveDevKeys(SENDERS), nonces: [], fees: { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, load, control, watcher: undefined as unknown as BlockWatcher, phaseBudgetMs: options.phaseBudgetMs ?? 40_000, ...(signal ? { signal } : {}) },
    poller,
    recipients: Array.from({ length: RECIPIENTS }, (_, i) => keccak256(new TextEncoder().encode(`stele-bench-recipient-${i}`)).subarray(12)),
    loadBefore,
    profileDir,
    measured: {},
  }
  try {
    const { ctx } = session
    ctx.chainId = BigInt(await control.call<string>('eth_chainId'))
    await checkFunded(control, ctx.keys)
    ctx.fees = await feeFields(control)
    ctx.nonces = await Promise.all(ctx.keys.map(async (k) => BigInt(await control.call<string>('eth_getTransactionCount', [bytesToHex(k.address), 'pending']))))
  } catch (error) {
    session.error = failureMessage(kind, error, node)
  }
  return session
}

/** The bench's steps, in order; runDevBench runs each on every node before the next. */
function devSteps(txs: number, warmupTxs: number, options: DevBenchOptions): ((session: DevSession) => Promise<void>)[] {
  const transfers = (session: DevSession, count: number) =>
    signBatch(session.ctx, count, (i) => ({ to: session.recipients[i % RECIPIENTS] as Uint8Array, value: 1n, data: new Uint8Array(0), gas: ETH_TRANSFER_GAS }))
  const steps: ((session: DevSession) => Promise<void>)[] = []
  if (warmupTxs > 0) {
    steps.push(async (session) => {
      const { ctx, measured } = session
      const warm = transfers(session, warmupTxs)
      progress(`${ctx.kind}: warm-up, ${warmupTxs} ETH transfers, single requests (untimed)`)
      measured.warmup = await runPhase(ctx, warm, prepareSingles(warm.map((t) => t.raw)), 1, SINGLE_IN_FLIGHT)
    })
  }
  steps.push(async (session) => {
    const { ctx, measured } = session
    // Signing happens before each timed phase; its rate is reported to show it is not in the timed path.
    const signStart = performance.now()
    const ethA = transfers(session, txs)
    measured.signTxsPerSec = round(txs / ((performance.now() - signStart) / 1000))
    progress(`${ctx.kind}: ${txs} ETH transfers, single requests, ${SINGLE_IN_FLIGHT} in flight`)
    measured.ethSingle = await runPhase(ctx, ethA, prepareSingles(ethA.map((t) => t.raw)), 1, SINGLE_IN_FLIGHT)
  })
  steps.push(async (session) => {
    const { ctx, measured } = session
    const ethB = transfers(session, txs)
    progress(`${ctx.kind}: ${txs} ETH transfers, batches of ${BATCH_SIZE}, ${BATCH_IN_FLIGHT} in flight`)
    measured.ethBatch = await runPhase(ctx, ethB, prepareBatches(ethB.map((t) => t.raw), BATCH_SIZE), BATCH_SIZE, BATCH_IN_FLIGHT)
  })
  steps.push(async ({ ctx, measured, recipients }) => {
    progress(`${ctx.kind}: deploying the ERC-20 and funding ${SENDERS} senders`)
    const token = await setupErc20(ctx)
    const erc20 = compileErc20()
    const erc20Txs = signBatch(ctx, txs, (i) => ({
      to: token,
      value: 0n,
      data: hexToBytes(encodeFunctionData({ abi: erc20.abi, functionName: 'transfer', args: [bytesToHex(recipients[i % RECIPIENTS] as Uint8Array), 1n] })),
      gas: ERC20_TRANSFER_GAS,
    }))
    progress(`${ctx.kind}: ${txs} ERC-20 transfers, batches of ${BATCH_SIZE}, ${BATCH_IN_FLIGHT} in flight`)
    const erc20Phase = await runPhase(ctx, erc20Txs, prepareBatches(erc20Txs.map((t) => t.raw), BATCH_SIZE), BATCH_SIZE, BATCH_IN_FLIGHT)
    measured.erc20Batch = { ...erc20Phase, sampleReceiptsOk: await sampleReceipts(ctx.control, erc20Txs) }
  })
  steps.push(async ({ ctx, measured, recipients }) => {
    measured.lowLoad = await runLowLoad(ctx, recipients, options.lowLoadTxs ?? 200, options.lowLoadBudgetMs ?? 30_000)
  })
  return steps
}

/** Stops the node and its clients; its result, or its error. */
async function closeSession(session: DevSession): Promise<NodeResult | { error: string }> {
  const { node, ctx, poller, profileDir, measured } = session
  const peak = node.peakRssBytes()
  ctx.load.close()
  ctx.control.close()
  poller.close()
  await node.stop()
  const { warmup, ethSingle, ethBatch, erc20Batch, lowLoad, signTxsPerSec } = measured
  if (session.error !== undefined || ethSingle === undefined || ethBatch === undefined || erc20Batch === undefined || lowLoad === undefined) {
    if (profileDir) rmSync(profileDir, { recursive: true, force: true })
    return { error: session.error ?? 'aborted before every step ran' }
  }
  const result: NodeResult = {
    command: session.command,
    chainId: Number(ctx.chainId),
    signTxsPerSec,
    ...(warmup === undefined ? {} : { warmup }),
    ethSingle,
    ethBatch,
    erc20Batch,
    lowLoad,
    peakRssMB: peak === undefined ? undefined : round(peak / 2 ** 20),
    hostLoadAvg: [session.loadBefore, round(loadavg()[0])],
  }
  if (profileDir) {
    const profile = keepCpuProfile(profileDir, join(ROOT, 'bench', 'results'), 'dev')
    if (profile) result.cpuProfile = profile
    rmSync(profileDir, { recursive: true, force: true })
  }
  return result
}

/** What a load phase needs to know about the node it drives. */
export interface Ctx {
  kind: DevNodeKind
  node: NodeProcess
  chainId: bigint
  keys: DevKey[]
  nonces: bigint[]
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  load: RawHttpClient
  control: JsonRpcClient
  watcher: BlockWatcher
  phaseBudgetMs: number
  signal?: AbortSignal
}

/** Signs `count` transactions round-robin over the senders, so consecutive in-flight requests come from different accounts and each account's nonces arrive in order. */
export function signBatch(ctx: Ctx, count: number, body: (i: number) => { to: Uint8Array | undefined; value: bigint; data: Uint8Array; gas: bigint }, senders = ctx.keys.length): SignedRawTx[] {
  const out: SignedRawTx[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const s = i % senders
    const nonce = ctx.nonces[s] as bigint
    ctx.nonces[s] = nonce + 1n
    out[i] = signEip1559Tx({ chainId: ctx.chainId, nonce, ...ctx.fees, ...body(i) }, (ctx.keys[s] as DevKey).privateKey)
  }
  return out
}

export async function runPhase(ctx: Ctx, txs: SignedRawTx[], bodies: Buffer[], perBody: number, inFlight: number): Promise<PhaseResult> {
  const requests = bodies.map((b) => buildRequest(ctx.node.rpcUrl, b))
  const nodeCpuBefore = ctx.node.cpuSeconds()
  const genCpuBefore = process.cpuUsage()
  const report = await sendBodies(ctx.load.send, requests, { inFlight, perBody, total: txs.length, budgetMs: ctx.phaseBudgetMs, ...(ctx.signal ? { signal: ctx.signal } : {}) })
  if (report.sent < txs.length) progress(`${ctx.kind}: time budget reached after ${report.sent} of ${txs.length} transactions`)
  const sent = txs.slice(0, report.sent)
  const accepted = sent.filter((_, i) => !report.rejected.has(i)).map((t) => t.hash)
  if (report.rejected.size > 0) progress(`${ctx.kind}: ${report.rejected.size} rejected, first error: ${report.firstError}`)
  const { missing } = await ctx.watcher.waitForAll(accepted, { stallMs: STALL_MS, ...(ctx.signal ? { signal: ctx.signal } : {}) })
  if (missing > 0) progress(`${ctx.kind}: ${missing} accepted transactions never appeared in a block`)
  const nodeCpuAfter = ctx.node.cpuSeconds()
  const genCpu = process.cpuUsage(genCpuBefore)
  const cpu = {
    node: nodeCpuBefore === undefined || nodeCpuAfter === undefined ? undefined : nodeCpuAfter - nodeCpuBefore,
    loadGen: (genCpu.user + genCpu.system) / 1e6,
  }
  // Rejected transactions leave nonce gaps that would stall later phases; resync nonces from the node.
  if (report.rejected.size > 0 || missing > 0 || report.sent < txs.length) await resyncNonces(ctx)
  return summarizePhase(ctx.watcher, txs, report, missing, cpu)
}

function summarizePhase(watcher: BlockWatcher, txs: SignedRawTx[], report: SendReport, missing: number, cpu: { node: number | undefined; loadGen: number }): PhaseResult {
  const latencies: number[] = []
  let lastSeen = report.startedAt
  txs.slice(0, report.sent).forEach((t, i) => {
    const seen = watcher.seenAt.get(t.hash)
    if (seen === undefined) return
    latencies.push(seen - (report.submittedAt[i] as number))
    if (seen > lastSeen) lastSeen = seen
  })
  const seconds = (end: number) => (end - report.startedAt) / 1000
  const accepted = report.sent - report.rejected.size
  const blocks = watcher.blocks.filter((b) => b.seenAt >= report.startedAt && b.seenAt <= lastSeen)
  const blockTxs = blocks.reduce((n, b) => n + b.txs, 0)
  return {
    txs: txs.length,
    sent: report.sent,
    rejected: report.rejected.size,
    ...(report.firstError === undefined ? {} : { firstError: report.firstError }),
    missing,
    submittedTps: round(accepted / seconds(report.finishedAt)),
    minedTps: latencies.length === 0 ? undefined : round(latencies.length / seconds(lastSeen)),
    p50InclusionMs: round(percentile(latencies, 50)),
    p99InclusionMs: round(percentile(latencies, 99)),
    blocks: blocks.length,
    meanTxsPerBlock: blocks.length === 0 ? undefined : round(blockTxs / blocks.length),
    nodeCpuSec: round(cpu.node),
    minedTxsPerNodeCpuSec: cpu.node ? round(latencies.length / cpu.node) : undefined,
    loadGenCpuSec: round(cpu.loadGen),
  }
}

/** One transaction at a time: what a user clicking "send" sees on an idle chain. */
export async function runLowLoad(ctx: Ctx, recipients: Uint8Array[], count: number, budgetMs: number): Promise<NodeResult['lowLoad']> {
  progress(`${ctx.kind}: low-load latency, up to ${count} sequential transactions or ${budgetMs / 1000} s`)
  const latencies: number[] = []
  const deadline = performance.now() + budgetMs
  for (let i = 0; i < count && performance.now() < deadline && !ctx.signal?.aborted; i++) {
    const [tx] = signBatch(ctx, 1, () => ({ to: recipients[i % RECIPIENTS] as Uint8Array, value: 1n, data: new Uint8Array(0), gas: ETH_TRANSFER_GAS }), 1)
    const sent = performance.now()
    await ctx.control.call('eth_sendRawTransaction', [(tx as SignedRawTx).raw])
    const { missing } = await ctx.watcher.waitForAll([(tx as SignedRawTx).hash], { stallMs: 10_000, ...(ctx.signal ? { signal: ctx.signal } : {}) })
    if (missing > 0) throw new Error(`low-load transaction ${i} was not included within 10 s`)
    latencies.push((ctx.watcher.seenAt.get((tx as SignedRawTx).hash) as number) - sent)
  }
  return { txs: latencies.length, p50InclusionMs: round(percentile(latencies, 50)), p99InclusionMs: round(percentile(latencies, 99)) }
}

async function setupErc20(ctx: Ctx): Promise<Uint8Array> {
  const erc20 = compileErc20()
  const supply = 10n ** 30n
  const [deploy] = signBatch(ctx, 1, () => ({
    to: undefined,
    value: 0n,
    data: hexToBytes(encodeDeployData({ abi: erc20.abi, bytecode: erc20.bytecode, args: ['Bench', 'BNC', supply] })),
    gas: 2_000_000n,
  }), 1)
  await ctx.control.call('eth_sendRawTransaction', [(deploy as SignedRawTx).raw])
  await mustInclude(ctx, [(deploy as SignedRawTx).hash], 'ERC-20 deployment')
  const receipt = await ctx.control.call<{ status: string; contractAddress: Hex | null }>('eth_getTransactionReceipt', [(deploy as SignedRawTx).hash])
  if (receipt.status !== '0x1' || !receipt.contractAddress) throw new Error(`ERC-20 deployment failed: ${JSON.stringify(receipt)}`)
  const token = hexToBytes(receipt.contractAddress)
  // Account 0 holds the supply; it funds the other senders (transfers from account 0 only, so its nonces stay in order).
  const share = supply / BigInt(ctx.keys.length)
  const funding: SignedRawTx[] = []
  for (let s = 1; s < ctx.keys.length; s++) {
    const data = hexToBytes(encodeFunctionData({ abi: erc20.abi, functionName: 'transfer', args: [bytesToHex((ctx.keys[s] as DevKey).address), share] }))
    funding.push(...signBatch(ctx, 1, () => ({ to: token, value: 0n, data, gas: ERC20_TRANSFER_GAS }), 1))
  }
  const report = await sendBodies(ctx.control.post, prepareBatches(funding.map((t) => t.raw), BATCH_SIZE), { inFlight: 1, perBody: BATCH_SIZE, total: funding.length })
  if (report.rejected.size > 0) throw new Error(`funding the ERC-20 senders failed: ${report.firstError}`)
  await mustInclude(ctx, funding.map((t) => t.hash), 'ERC-20 funding')
  const last = await ctx.control.call<{ status: string; logs: { data: Hex; topics: [Hex, ...Hex[]] }[] }>('eth_getTransactionReceipt', [(funding.at(-1) as SignedRawTx).hash])
  const event = decodeEventLog({ abi: erc20.abi, data: last.logs[0]?.data ?? '0x', topics: last.logs[0]?.topics ?? ([] as unknown as [Hex]) })
  if (last.status !== '0x1' || event.eventName !== 'Transfer') throw new Error('ERC-20 funding transfer did not succeed')
  return token
}

async function mustInclude(ctx: Ctx, hashes: string[], what: string): Promise<void> {
  const { missing } = await ctx.watcher.waitForAll(hashes, { stallMs: 30_000, ...(ctx.signal ? { signal: ctx.signal } : {}) })
  if (missing > 0) throw new Error(`${what}: ${missing} of ${hashes.length} transactions not included within 30 s`)
}

async function sampleReceipts(client: JsonRpcClient, txs: SignedRawTx[]): Promise<boolean> {
  const picks = [0, Math.floor(txs.length / 3), Math.floor((2 * txs.length) / 3), txs.length - 1]
  for (const i of picks) {
    const receipt = await client.call<{ status: string } | null>('eth_getTransactionReceipt', [(txs[i] as SignedRawTx).hash])
    if (receipt?.status !== '0x1') return false
  }
  return true
}

export async function checkFunded(client: JsonRpcClient, keys: DevKey[]): Promise<void> {
  for (const k of [keys[0], keys.at(-1)] as DevKey[]) {
    const balance = BigInt(await client.call<string>('eth_getBalance', [bytesToHex(k.address), 'latest']))
    if (balance < 10n ** 18n) throw new Error(`dev account ${bytesToHex(k.address)} is not funded (balance ${balance}); start the node with ${SENDERS} dev accounts`)
  }
}

/** Generous fees: twice the base fee plus 2 gwei, so a rising base fee under load does not strand transactions. */
export async function feeFields(client: JsonRpcClient): Promise<Ctx['fees']> {
  const latest = await client.call<{ baseFeePerGas?: string }>('eth_getBlockByNumber', ['latest', false])
  const baseFee = BigInt(latest.baseFeePerGas ?? '0x0')
  const gasPrice = BigInt(await client.call<string>('eth_gasPrice'))
  const reference = baseFee > gasPrice ? baseFee : gasPrice
  return { maxFeePerGas: reference * 2n + 2n * GWEI, maxPriorityFeePerGas: GWEI }
}

export async function resyncNonces(ctx: Ctx): Promise<void> {
  const fresh = await Promise.all(ctx.keys.map(async (k) => BigInt(await ctx.control.call<string>('eth_getTransactionCount', [bytesToHex(k.address), 'pending']))))
  fresh.forEach((n, i) => (ctx.nonces[i] = n))
}

// Counts and host or generator figures: a ratio of them says nothing about the nodes.
const NOT_RATIOED = new Set(['chainId', 'txs', 'sent', 'blocks', 'meanTxsPerBlock', 'rejected', 'missing', 'signTxsPerSec', 'loadGenCpuSec', 'hostLoadAvg'])

type FigureTree = { [key: string]: number | FigureTree }

/** stele / anvil for every numeric figure both nodes report. */
function ratios(stele: unknown, anvil: unknown): FigureTree | undefined {
  if (!isObject(stele) || !isObject(anvil) || 'error' in stele || 'error' in anvil) return undefined
  const walk = (a: Record<string, unknown>, b: Record<string, unknown>): FigureTree => {
    const out: FigureTree = {}
    for (const [key, value] of Object.entries(a)) {
      const other = b[key]
      if (NOT_RATIOED.has(key)) continue
      if (typeof value === 'number' && typeof other === 'number' && other !== 0) out[key] = round(value / other) as number
      else if (isObject(value) && isObject(other)) {
        const sub = walk(value, other)
        if (Object.keys(sub).length > 0) out[key] = sub
      }
    }
    return out
  }
  return walk(stele, anvil)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
