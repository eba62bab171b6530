import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { initNetwork } from '../src/cli/init/initCommand.js'
import { deriveDevKeys } from '../test/fixtures/devAccounts.js'
import { signEip1559Tx } from '../test/fixtures/rawTx.js'
import { createBlockWatcher } from './lib/blockWatcher.js'
import { keepCpuProfile } from './lib/cpuProfile.js'
import { createJsonRpcClient, type JsonRpcClient } from './lib/jsonRpcClient.js'
import { prepareBatches, sendBodies } from './lib/loadGenerator.js'
import { freePortBlock } from './lib/nodeProcess.js'
import { percentile, progress, round } from './lib/stats.js'

const BIN = fileURLToPath(new URL('../bin/stele.js', import.meta.url))
const SENDERS = 64
const BATCH_SIZE = 50
const IN_FLIGHT_PER_NODE = 4

export interface LocalnetBenchOptions {
  validators?: number
  txs?: number
  /**
   * Untimed transfers before the timed ones (default: as many as txs, at most 10,000): V8 is still compiling
   * the validators' hot paths during their first seconds of load (docs/performance.md, item 20).
   */
  warmupTxs?: number
  /** Run validator 0 under `node --cpu-prof`; the profile is kept in bench/results/ and summarized. */
  profile?: boolean
  /** Offer this many transfers per second in all (spread evenly over the nodes); default: as fast as answered. */
  rate?: number
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// /proc/<pid>/stat counts in clock ticks; USER_HZ is 100 on every Linux we run on.
const CLOCK_TICKS_PER_SEC = 100

function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC
  } catch {
    return undefined
  }
}

/** What a validator's log says about the run: blocks it finalized and in which rounds, round timeouts, warnings. */
function summarizeLog(path: string): { finalized: number; finalizedAfterRound0: number; roundTimeouts: number; warnings: number } {
  let text = ''
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    // No log: the summary says zero.
  }
  let finalized = 0
  let finalizedAfterRound0 = 0
  let roundTimeouts = 0
  let warnings = 0
  for (const line of text.split('\n')) {
    if (line.includes(' block finalized ')) {
      finalized++
      if (!/ round=0( |$)/.test(line)) finalizedAfterRound0++
    } else if (line.includes(' round timed out')) roundTimeouts++
    if (/ (WARN|ERROR) /.test(line)) warnings++
  }
  return { finalized, finalizedAfterRound0, roundTimeouts, warnings }
}

/**
 * `npm run bench -- localnet`: N validators as separate processes on loopback, ETH transfers from 64
 * senders spread over every node (each sender always talks to the same node, so its nonces stay ordered),
 * and the time from submission to finality as seen on node 0.
 */
export async function runLocalnetBench(options: LocalnetBenchOptions = {}): Promise<object> {
  const validators = options.validators ?? 4
  const total = options.txs ?? 10_000
  const warmup = options.warmupTxs ?? Math.min(10_000, total)
  const dir = mkdtempSync(join(tmpdir(), 'stele-bench-localnet-'))
  const rpcBase = await freePortBlock(2 * validators + 10)
  const p2pBase = rpcBase + validators + 10
  const { homes } = initNetwork({ validators, observers: 0, out: join(dir, 'net'), chainId: 1337n, accounts: SENDERS, balanceWei: 10n ** 24n, rpcPortBase: rpcBase, p2pPortBase: p2pBase, host: '127.0.0.1', blockPeriodMs: 0, baseFee: 1_000_000_000n })
  const children: ChildProcess[] = []
  const clients: JsonRpcClient[] = []
  let result: Record<string, unknown> | undefined
  try {
    progress(`localnet: starting ${validators} validators (logs in ${dir})`)
    homes.forEach((home, i) => {
      // Info-level logs (one line per block) go to a file per node, summarized at the end.
      const log = openSync(join(dir, `node${i}.log`), 'w')
      const nodeFlags = options.profile && i === 0 ? ['--cpu-prof', '--cpu-prof-dir', join(dir, 'prof')] : []
      children.push(spawn(process.execPath, [...nodeFlags, BIN, 'start', '--home', home.home, '--log-level', 'info'], { stdio: ['ignore', log, log] }))
      closeSync(log)
    })
    for (const home of homes) {
      const client = createJsonRpcClient(home.rpc, { maxSockets: IN_FLIGHT_PER_NODE + 2 })
      clients.push(client)
      const deadline = Date.now() + 60_000
      for (;;) {
        try {
          await client.call('eth_blockNumber')
          break
        } catch {
          if (Date.now() > deadline) throw new Error(`${home.rpc} did not come up`)
          await new Promise((r) => setTimeout(r, 200))
        }
      }
    }
    // Let the mesh form before timing: every node must see its peers on the gossip topics.
    const meshDeadline = Date.now() + 30_000
    while (Date.now() < meshDeadline) {
      const peers = await Promise.all(clients.map((c) => c.call<unknown[]>('admin_peers')))
      if (peers.every((p) => p.length >= validators - 1)) break
      await new Promise((r) => setTimeout(r, 200))
    }

    progress(`localnet: signing ${warmup} warm-up and ${total} timed transfers`)
    const keys = deriveDevKeys(SENDERS)
    const nonces = keys.map(() => 0n)
    /** Transfers from every sender in turn, each sender's nonces in order, grouped by the node its sender uses. */
    const signBatch = (count: number) => {
      const byNode: { raw: string; hash: string }[][] = homes.map(() => [])
      for (let i = 0; i < count; i++) {
        const s = i % SENDERS
        const key = keys[s]!
        const tx = signEip1559Tx({ chainId: 1337n, nonce: nonces[s]!++, maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gas: 21_000n, to: keys[(s + 1) % SENDERS]!.address, value: 1n, data: new Uint8Array() }, key.privateKey)
        byNode[s % homes.length]!.push(tx)
      }
      return byNode
    }
    const warmupByNode = signBatch(warmup)
    const byNode = signBatch(total)

    const watcher = await createBlockWatcher(clients[0]!, { intervalMs: 20 })
    if (warmup > 0) {
      // Untimed: JIT, caches and the proposers' block-size estimates settle before the measurement starts.
      progress('localnet: warming up')
      await Promise.all(warmupByNode.map((txs, i) => sendBodies((body) => clients[i]!.post(body), prepareBatches(txs.map((t) => t.raw), BATCH_SIZE), { inFlight: IN_FLIGHT_PER_NODE, perBody: BATCH_SIZE, total: txs.length, budgetMs: 60_000 })))
      const warm = await watcher.waitForAll(warmupByNode.flat().map((t) => t.hash), { stallMs: 20_000 })
      if (warm.missing > 0) progress(`localnet: ${warm.missing} warm-up transfers not finalized`)
    }
    const startHeight = Number(BigInt(await clients[0]!.call<string>('eth_blockNumber')))
    progress('localnet: sending')
    const cpuBefore = children.map((c) => cpuSecondsOf(c.pid))
    const started = performance.now()
    const reports = await Promise.all(
      byNode.map((txs, i) =>
        sendBodies((body) => clients[i]!.post(body), prepareBatches(txs.map((t) => t.raw), BATCH_SIZE), {
          inFlight: IN_FLIGHT_PER_NODE,
          perBody: BATCH_SIZE,
          total: txs.length,
          budgetMs: 120_000,
          ...(options.rate !== undefined ? { ratePerSec: options.rate / byNode.length } : {}),
        }),
      ),
    )
    const submitted = performance.now()
    const hashes = byNode.flatMap((txs) => txs.map((t) => t.hash))
    const { missing } = await watcher.waitForAll(hashes, { stallMs: 20_000 })
    const cpuAfter = children.map((c) => cpuSecondsOf(c.pid))
    const loadAfter = loadavg()
    await watcher.stop()
    const latencies: number[] = []
    let lastSeen = started
    byNode.forEach((txs, i) => {
      txs.forEach((t, j) => {
        const seen = watcher.seenAt.get(t.hash)
        if (seen === undefined) return
        latencies.push(seen - reports[i]!.submittedAt[j]!)
        if (seen > lastSeen) lastSeen = seen
      })
    })
    const blocks = watcher.blocks.filter((b) => b.number > startHeight)
    const seconds = (lastSeen - started) / 1000
    result = {
      bench: 'localnet',
      validators,
      txs: total,
      warmupTxs: warmup,
      offeredTps: options.rate ?? 'as fast as answered',
      rejected: reports.reduce((n, r) => n + r.rejected.size, 0),
      firstError: reports.find((r) => r.firstError)?.firstError,
      missing,
      submittedTps: round(total / ((submitted - started) / 1000), 0),
      minedTps: round(latencies.length / seconds, 0),
      p50FinalityMs: round(percentile(latencies, 50), 0),
      p99FinalityMs: round(percentile(latencies, 99), 0),
      blocks: blocks.length,
      blocksPerSec: round(blocks.length / seconds, 2),
      meanTxsPerBlock: round(latencies.length / Math.max(1, blocks.length), 0),
      nodeCpuSec: cpuAfter.map((after, i) => (after === undefined || cpuBefore[i] === undefined ? undefined : round(after - (cpuBefore[i] as number), 1))),
      nodeCpuShare: cpuAfter.map((after, i) => (after === undefined || cpuBefore[i] === undefined ? undefined : round((after - (cpuBefore[i] as number)) / seconds, 2))),
      goal: { minedTps: 1500, p50FinalityMs: 1000, p99FinalityMs: 2000, besuPublishedTps: '750–1,200 (4 QBFT validators, larger machines)' },
      hostLoadAvg: loadAfter.map((l) => round(l, 1)),
    }
    return result
  } finally {
    for (const c of clients) c.close()
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.kill('SIGTERM')
            setTimeout(() => child.kill('SIGKILL'), options.profile ? 30_000 : 10_000).unref()
          }),
      ),
    )
    if (result) {
      result.nodeLogs = homes.map((_, i) => summarizeLog(join(dir, `node${i}.log`)))
      if (options.profile) result.cpuProfile = keepCpuProfile(join(dir, 'prof'), join(ROOT, 'bench', 'results'), 'localnet')
    }
    if (process.env.STELE_BENCH_KEEP === '1') progress(`localnet: kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

