import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { initNetwork } from '../src/cli/init/initCommand.js'
import { deriveDevKeys } from '../test/fixtures/devAccounts.js'
import { signEip1559Tx } from '../test/fixtures/rawTx.js'
import { createBlockWatcher } from './lib/blockWatcher.js'
import { createJsonRpcClient, type JsonRpcClient } from './lib/jsonRpcClient.js'
import { prepareBatches, sendBodies } from './lib/loadGenerator.js'
import { freePort } from './lib/nodeProcess.js'
import { percentile, progress, round } from './lib/stats.js'

const BIN = fileURLToPath(new URL('../bin/stele.js', import.meta.url))
const SENDERS = 64
const BATCH_SIZE = 50
const IN_FLIGHT_PER_NODE = 4

export interface LocalnetBenchOptions {
  validators?: number
  txs?: number
}

/**
 * `npm run bench -- localnet`: N validators as separate processes on loopback, ETH transfers from 64
 * senders spread over every node (each sender always talks to the same node, so its nonces stay ordered),
 * and the time from submission to finality as seen on node 0.
 */
export async function runLocalnetBench(options: LocalnetBenchOptions = {}): Promise<object> {
  const validators = options.validators ?? 4
  const total = options.txs ?? 10_000
  const dir = mkdtempSync(join(tmpdir(), 'stele-bench-localnet-'))
  const rpcBase = await freePort()
  const p2pBase = rpcBase + validators + 10
  const { homes } = initNetwork({ validators, observers: 0, out: join(dir, 'net'), chainId: 1337n, accounts: SENDERS, balanceWei: 10n ** 24n, rpcPortBase: rpcBase, p2pPortBase: p2pBase, host: '127.0.0.1', blockPeriodMs: 0, baseFee: 1_000_000_000n })
  const children: ChildProcess[] = []
  const clients: JsonRpcClient[] = []
  try {
    progress(`localnet: starting ${validators} validators`)
    for (const home of homes) children.push(spawn(process.execPath, [BIN, 'start', '--home', home.home, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] }))
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

    progress(`localnet: signing ${total} transfers`)
    const keys = deriveDevKeys(SENDERS)
    const perSender = Math.ceil(total / SENDERS)
    const byNode: { raw: string; hash: string }[][] = homes.map(() => [])
    let signed = 0
    for (let n = 0; n < perSender && signed < total; n++) {
      for (let s = 0; s < SENDERS && signed < total; s++, signed++) {
        const key = keys[s]!
        const tx = signEip1559Tx({ chainId: 1337n, nonce: BigInt(n), maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gas: 21_000n, to: keys[(s + 1) % SENDERS]!.address, value: 1n, data: new Uint8Array() }, key.privateKey)
        byNode[s % homes.length]!.push(tx)
      }
    }

    const watcher = await createBlockWatcher(clients[0]!, { intervalMs: 20 })
    const startHeight = Number(BigInt(await clients[0]!.call<string>('eth_blockNumber')))
    progress('localnet: sending')
    const started = performance.now()
    const reports = await Promise.all(
      byNode.map((txs, i) => sendBodies((body) => clients[i]!.post(body), prepareBatches(txs.map((t) => t.raw), BATCH_SIZE), { inFlight: IN_FLIGHT_PER_NODE, perBody: BATCH_SIZE, total: txs.length, budgetMs: 120_000 })),
    )
    const submitted = performance.now()
    const hashes = byNode.flatMap((txs) => txs.map((t) => t.hash))
    const { missing } = await watcher.waitForAll(hashes, { stallMs: 20_000 })
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
    return {
      bench: 'localnet',
      validators,
      txs: total,
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
      goal: { minedTps: 1000, p50FinalityMs: 1000, besuPublishedTps: '750–1,200 (4 QBFT validators, larger machines)' },
      hostLoadAvg: loadavg().map((l) => round(l, 1)),
    }
  } finally {
    for (const c of clients) c.close()
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.kill('SIGTERM')
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref()
          }),
      ),
    )
    rmSync(dir, { recursive: true, force: true })
  }
}
