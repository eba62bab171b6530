import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { initNetwork } from '../../../src/cli/init/initCommand.js'
import { deriveDevKeys } from '../../../src/crypto/hdKeys.js'
import { signEip1559Tx } from '../../fixtures/rawTx.js'
import { rpc, waitUntil } from '../processHarness.js'

/**
 * Real `stele start` processes on 127.0.0.1, driven by a manifest of perturbations, checked only through
 * JSON-RPC (CometBFT's e2e approach): identical hashes at every height, every accepted transaction
 * included exactly once, every node at the final height.
 */
export type Perturbation =
  | { node: number; atHeight: number; action: 'kill' | 'pause' | 'resume' | 'restart' | 'start' }
  | { node: number; atHeight: number; action: 'disconnect'; peer: number }

export interface Manifest {
  name: string
  validators: number
  observers?: number
  /** Nodes not started at the beginning (for example a late observer). */
  startLater?: number[]
  blockPeriodMs: number
  perturbations: Perturbation[]
  /** Transactions sent over the run, spread over live nodes. */
  transactions: number
  finalHeight: number
  timeoutMs: number
}

const BIN = fileURLToPath(new URL('../../../bin/stele.js', import.meta.url))
/**
 * Node ports come from below Linux's ephemeral range (32768–60999 by default): there, the nodes' own outgoing
 * connections (and every other client on the machine) take ports, and could hold one a node is about to bind.
 */
const PORT_WINDOW = { low: 12_000, high: 32_000 }
let portCursor = PORT_WINDOW.low + Math.floor(Math.random() * (PORT_WINDOW.high - PORT_WINDOW.low - 2_000))

export interface NodeHandle {
  index: number
  home: string
  url: string
  child: ChildProcess | undefined
  log: string
  paused: boolean
}

export class TestNetwork {
  readonly dir: string
  readonly nodes: NodeHandle[]
  readonly sent = new Map<string, number>()
  private nonce = 0n
  private readonly sender = deriveDevKeys(2)

  constructor(readonly manifest: Manifest) {
    this.dir = mkdtempSync(join(tmpdir(), `stele-e2e-${manifest.name}-`))
    const span = 2 * (manifest.validators + (manifest.observers ?? 0)) + 4
    if (portCursor + span > PORT_WINDOW.high) portCursor = PORT_WINDOW.low
    const base = portCursor
    portCursor += span
    const { homes } = initNetwork({
      validators: manifest.validators,
      observers: manifest.observers ?? 0,
      out: join(this.dir, 'net'),
      chainId: 1337n,
      accounts: 2,
      balanceWei: 10n ** 24n,
      rpcPortBase: base,
      p2pPortBase: base + manifest.validators + (manifest.observers ?? 0) + 2,
      host: '127.0.0.1',
      blockPeriodMs: manifest.blockPeriodMs,
      baseFee: 1_000_000_000n,
    })
    // Faster round timeouts keep halts and recoveries inside the test budget.
    const genesisPath = join(this.dir, 'net', 'genesis.json')
    const genesis = JSON.parse(readFileSync(genesisPath, 'utf8')) as Record<string, unknown>
    genesis.requestTimeoutMs = 500
    genesis.roundTimeoutCapMs = 4000
    writeFileSync(genesisPath, JSON.stringify(genesis, null, 2))
    this.nodes = homes.map((h, index) => ({ index, home: h.home, url: h.rpc, child: undefined, log: '', paused: false }))
  }

  async start(index: number): Promise<void> {
    const node = this.nodes[index]!
    const child = spawn(process.execPath, [BIN, 'start', '--home', node.home, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] })
    node.child = child
    node.paused = false
    const append = (chunk: Buffer) => {
      node.log += chunk.toString()
      if (node.log.length > 2_000_000) node.log = node.log.slice(-1_000_000)
    }
    child.stdout!.on('data', append)
    child.stderr!.on('data', append)
    await waitUntil(`node${index} RPC`, () => rpc<string>(node.url, 'eth_blockNumber').then((h) => h), 60_000, 100)
  }

  async startAll(): Promise<void> {
    const later = new Set(this.manifest.startLater ?? [])
    await Promise.all(this.nodes.filter((n) => !later.has(n.index)).map((n) => this.start(n.index)))
  }

  async kill(index: number): Promise<void> {
    const node = this.nodes[index]!
    if (!node.child) return
    const exited = exitOf(node.child)
    node.child.kill('SIGKILL')
    await exited
    node.child = undefined
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        if (!node.child) return
        if (node.paused) node.child.kill('SIGCONT')
        const exited = exitOf(node.child)
        node.child.kill('SIGTERM')
        const timer = setTimeout(() => node.child?.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
        node.child = undefined
      }),
    )
  }

  /** Each node's last log lines on stderr, for a failed scenario's report. */
  printLastLines(count: number): void {
    for (const node of this.nodes) console.error(`--- node${node.index} (last lines)\n${node.log.split('\n').slice(-count).join('\n')}`)
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }

  live(): NodeHandle[] {
    return this.nodes.filter((n) => n.child && !n.paused)
  }

  async height(index: number): Promise<number> {
    return Number(await rpc<string>(this.nodes[index]!.url, 'eth_blockNumber'))
  }

  async maxHeight(): Promise<number> {
    const heights = await Promise.all(this.live().map((n) => this.height(n.index).catch(() => 0)))
    return Math.max(0, ...heights)
  }

  /** Sends one transfer to a live node; an accepted hash is remembered for the exactly-once check. */
  async sendOne(): Promise<void> {
    const targets = this.live()
    if (targets.length === 0) return
    const target = targets[Number(this.nonce) % targets.length]!
    const tx = signEip1559Tx(
      { chainId: 1337n, nonce: this.nonce, maxFeePerGas: 50_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gas: 21_000n, to: this.sender[1]!.address, value: 1n, data: new Uint8Array() },
      this.sender[0]!.privateKey,
    )
    try {
      await rpc(target.url, 'eth_sendRawTransaction', [tx.raw])
      this.sent.set(tx.hash, Number(this.nonce))
      this.nonce++
    } catch {
      // A node going down mid-request: the same nonce is retried on the next send.
    }
  }

  async apply(p: Perturbation): Promise<void> {
    const node = this.nodes[p.node]!
    switch (p.action) {
      case 'kill':
        return this.kill(p.node)
      case 'pause':
        node.child?.kill('SIGSTOP')
        node.paused = true
        return
      case 'resume':
        node.child?.kill('SIGCONT')
        node.paused = false
        return
      case 'restart':
        await this.kill(p.node)
        return this.start(p.node)
      case 'start':
        return this.start(p.node)
      case 'disconnect': {
        const peers = await rpc<{ id: string }[]>(this.nodes[p.peer]!.url, 'admin_nodeInfo').then((info) => (info as unknown as { id: string }).id)
        await rpc(node.url, 'admin_removePeer', [peers, 2000])
        return
      }
    }
  }

  /** Runs the manifest: load plus perturbations at heights, until every node reaches finalHeight. */
  async run(): Promise<void> {
    const { manifest } = this
    const deadline = Date.now() + manifest.timeoutMs
    const pending = [...manifest.perturbations].sort((a, b) => a.atHeight - b.atHeight)
    let stopLoad = false
    const load = (async () => {
      const interval = Math.max(5, Math.floor(manifest.timeoutMs / 4 / Math.max(1, manifest.transactions)))
      while (!stopLoad && this.sent.size < manifest.transactions) {
        await this.sendOne()
        await new Promise((r) => setTimeout(r, interval))
      }
    })()
    try {
      while (pending.length > 0) {
        if (Date.now() > deadline) throw new Error(`${manifest.name}: perturbation at height ${pending[0]!.atHeight} never reached`)
        const height = await this.maxHeight()
        while (pending.length > 0 && height >= pending[0]!.atHeight) await this.apply(pending.shift()!)
        await new Promise((r) => setTimeout(r, 50))
      }
      await waitUntil(
        `every node at height ${manifest.finalHeight} with all ${manifest.transactions} transactions sent`,
        async () => {
          if (this.sent.size < manifest.transactions) return undefined
          const heights = await Promise.all(this.nodes.map((n) => this.height(n.index)))
          return heights.every((h) => h >= manifest.finalHeight) ? true : undefined
        },
        Math.max(1000, deadline - Date.now()),
        200,
      )
    } finally {
      stopLoad = true
      await load
    }
  }

  /** The invariants, over JSON-RPC only. */
  async checkInvariants(): Promise<{ height: number; blocks: number; transactions: number }> {
    const heights = await Promise.all(this.nodes.map((n) => this.height(n.index)))
    const common = Math.min(...heights)
    const included = new Map<string, number>()
    for (let h = 0; h <= common; h++) {
      const blocks = await Promise.all(this.nodes.map((n) => rpc<{ hash: string; transactions: string[] }>(n.url, 'eth_getBlockByNumber', [`0x${h.toString(16)}`, false])))
      const hashes = new Set(blocks.map((b) => b.hash))
      if (hashes.size !== 1) throw new Error(`${this.manifest.name}: nodes disagree at height ${h}: ${[...hashes].join(', ')}`)
      for (const tx of blocks[0]!.transactions) included.set(tx, (included.get(tx) ?? 0) + 1)
    }
    for (const [hash, count] of included) if (count !== 1) throw new Error(`transaction ${hash} included ${count} times`)
    // Every accepted transaction is included, on every node (its receipt is the proof).
    for (const hash of this.sent.keys()) {
      for (const node of this.nodes) {
        const receipt = await waitUntil(`receipt of ${hash} on node${node.index}`, () => rpc<{ status: string } | null>(node.url, 'eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined), 30_000, 100)
        if (receipt.status !== '0x1') throw new Error(`transaction ${hash} failed`)
      }
    }
    return { height: common, blocks: common + 1, transactions: included.size }
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}
