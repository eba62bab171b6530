import { spawn, type ChildProcess } from 'node:child_process'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { RpcBackend } from '../src/rpc/backend.js'
import { createRpcServer } from '../src/rpc/server.js'
import { percentile, progress, round } from './lib/stats.js'

/**
 * The RPC layer alone: CPU per request of the real server (src/rpc/server.ts) over loopback keep-alive
 * HTTP/1.1, 32 requests in flight like the dev bench's single-request phase, with a stub backend (no
 * pool, no chain), against floors that answer a constant: a bare `node:http` server and a minimal
 * `net` server with its own request framing. The load generator runs in a child process, so the CPU
 * measured here (process.cpuUsage, all threads) is the servers' alone.
 *
 * `npm run bench -- rpcServer [--txs N]`, or alone: `node --import ./scripts/preload.mjs bench/rpcServer.ts`.
 */
export interface RpcServerBenchOptions {
  /** Timed requests per case and round (default 20,000). */
  requests?: number
  /** The same, as `npm run bench -- rpcServer --txs N` passes it. */
  txs?: number
  /** Rounds; cases alternate within a round and the median round is reported (default 3). */
  rounds?: number
  inFlight?: number
  /** Run only the cases whose name contains one of these (e.g. for a CPU profile of one case). */
  only?: string[]
  /** More servers to measure in the same rounds (e.g. another build of the server, for an A/B comparison). */
  extraCases?: Record<string, { url: string; body: string }>
  signal?: AbortSignal
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const CHAIN_ID_BODY = '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}'
/** The size of the dev bench's signed ETH transfer (EIP-1559, 115 bytes); the stub does not decode it. */
const RAW_TX = `0x02f87182053980843b9aca008477359400825208940101010101010101010101010101010101010101880de0b6b3a764000080c001a0${'ab'.repeat(32)}a0${'cd'.repeat(32)}`
export const SEND_RAW_BODY = `{"jsonrpc":"2.0","id":12345,"method":"eth_sendRawTransaction","params":["${RAW_TX}"]}`
const STUB_HASH = new Uint8Array(32).fill(0x5a)
const CONSTANT_ANSWER = Buffer.from('{"jsonrpc":"2.0","id":1,"result":"0x539"}')

interface CaseResult {
  cpuUsPerRequest: number
  wallUsPerRequest: number
  loadGenCpuUsPerRequest: number
}

export async function runRpcServerBench(options: RpcServerBenchOptions = {}): Promise<object> {
  const requests = options.requests ?? options.txs ?? 20_000
  const rounds = options.rounds ?? 3
  const inFlight = options.inFlight ?? 32
  const loadBefore = loadavg()[0] as number

  const stele = await createRpcServer({ backend: createStubBackend(), port: 0, logger: { error: () => undefined } })
  const floorHttp = await listen(createBareHttpServer())
  const floorNet = await listen(createBareNetServer())
  const client = startLoadGenerator()
  try {
    const cases: Record<string, { url: string; body: string }> = {
      'node:http constant (floor)': { url: `http://127.0.0.1:${port(floorHttp)}/`, body: SEND_RAW_BODY },
      'net constant (own framing)': { url: `http://127.0.0.1:${port(floorNet)}/`, body: SEND_RAW_BODY },
      'stele eth_chainId': { url: stele.url, body: CHAIN_ID_BODY },
      'stele eth_sendRawTransaction (stub submit)': { url: stele.url, body: SEND_RAW_BODY },
      ...options.extraCases,
    }
    const only = options.only
    if (only !== undefined) for (const name of Object.keys(cases)) if (!only.some((o) => name.includes(o))) delete cases[name]
    const samples: Record<string, CaseResult[]> = {}
    for (const [name, c] of Object.entries(cases)) {
      // Warm-up: JIT and connection setup are not what we measure.
      await measure(client, c.url, c.body, Math.min(5_000, requests), inFlight)
      samples[name] = []
    }
    for (let round = 0; round < rounds; round++) {
      for (const [name, c] of Object.entries(cases)) {
        if (options.signal?.aborted) throw new Error('aborted')
        const result = await measure(client, c.url, c.body, requests, inFlight)
        samples[name]?.push(result)
        progress(`rpcServer round ${round + 1}/${rounds}: ${name}: ${result.cpuUsPerRequest.toFixed(1)} µs CPU per request`)
      }
    }
    const summary: Record<string, object> = {}
    for (const [name, results] of Object.entries(samples)) {
      const cpu = results.map((r) => r.cpuUsPerRequest)
      summary[name] = {
        cpuUsPerRequest: round(percentile(cpu, 50), 1),
        cpuUsPerRequestRange: [round(Math.min(...cpu), 1), round(Math.max(...cpu), 1)],
        cpuUsPerRequestByRound: cpu.map((us) => round(us, 1)),
        wallUsPerRequest: round(percentile(results.map((r) => r.wallUsPerRequest), 50), 1),
        loadGenCpuUsPerRequest: round(percentile(results.map((r) => r.loadGenCpuUsPerRequest), 50), 1),
      }
    }
    return { requests, rounds, inFlight, cases: summary, hostLoadAvg: { before: round(loadBefore, 2), after: round(loadavg()[0] as number, 2) } }
  } finally {
    client.kill()
    await stele.close()
    floorHttp.close()
    floorNet.close()
  }
}

async function measure(client: ChildProcess, url: string, body: string, count: number, inFlight: number): Promise<CaseResult> {
  const reply = new Promise<{ wallMs: number; cpuUs: number; errors: number }>((resolve, reject) => {
    client.once('message', (m) => resolve(m as { wallMs: number; cpuUs: number; errors: number }))
    client.once('exit', (code) => reject(new Error(`load generator exited (${code})`)))
  })
  const before = process.cpuUsage()
  client.send({ url, body, count, inFlight })
  const result = await reply
  client.removeAllListeners('exit')
  const cpu = process.cpuUsage(before)
  if (result.errors > 0) throw new Error(`${result.errors} requests to ${url} failed`)
  return {
    cpuUsPerRequest: (cpu.user + cpu.system) / count,
    wallUsPerRequest: (result.wallMs * 1000) / count,
    loadGenCpuUsPerRequest: result.cpuUs / count,
  }
}

/** One child for all cases: it holds `inFlight` keep-alive connections per URL and answers each run's timing. */
function startLoadGenerator(): ChildProcess {
  const clientModule = new URL('./lib/rawHttpClient.ts', `file://${ROOT}bench/`).href
  const script = `
    const { buildRequest, createRawHttpClient } = await import(${JSON.stringify(clientModule)})
    const clients = new Map()
    process.on('message', async ({ url, body, count, inFlight }) => {
      let client = clients.get(url)
      if (!client) clients.set(url, (client = createRawHttpClient(url, inFlight)))
      const request = buildRequest(url, Buffer.from(body))
      let next = 0
      let errors = 0
      const cpu = process.cpuUsage()
      const started = performance.now()
      async function worker() {
        while (next < count) {
          next++
          const text = await client.send(request).catch(() => '')
          if (!text.startsWith('{"jsonrpc"') || text.includes('"error"')) errors++
        }
      }
      await Promise.all(Array.from({ length: inFlight }, worker))
      const used = process.cpuUsage(cpu)
      process.send({ wallMs: performance.now() - started, cpuUs: used.user + used.system, errors })
    })
  `
  const preload = `${ROOT}scripts/preload.mjs`
  return spawn(process.execPath, ['--import', preload, '--input-type=module', '-e', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
}

export function createStubBackend(): RpcBackend {
  const unused = (): never => {
    throw new Error('not used by this bench')
  }
  return {
    chainId: 1337n,
    clientVersion: 'stele/bench',
    sendRawTransaction: () => Promise.resolve(STUB_HASH),
    onNewBlock: () => () => undefined,
    onPendingTransaction: () => () => undefined,
    headNumber: () => 0n,
    blockByNumber: unused,
    blockByHash: unused,
    blockTransactions: unused,
    transaction: unused,
    receipt: unused,
    blockReceipts: unused,
    logs: unused,
    stateAt: unused,
    pendingNonce: unused,
    call: unused,
    estimateGas: unused,
    gasPrice: () => 1n,
    maxPriorityFeePerGas: () => 1n,
  }
}

/** The least a node:http server can do: read the body, answer a constant with fixed headers in one end(). */
function createBareHttpServer(): Server {
  const headers = { 'Content-Type': 'application/json', 'Content-Length': String(CONSTANT_ANSWER.length) }
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    req.on('data', () => undefined)
    req.on('end', () => {
      res.writeHead(200, headers)
      res.end(CONSTANT_ANSWER)
    })
  })
  server.keepAliveTimeout = 65_000
  return server
}

/**
 * What our own framing on `net` would cost at best: requests with Content-Length only, no header
 * validation. A floor for the question "would replacing node:http pay?", not a server to ship.
 */
function createBareNetServer(): ReturnType<typeof createNetServer> {
  const response = Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${CONSTANT_ANSWER.length}\r\nConnection: keep-alive\r\n\r\n`, 'latin1'),
    CONSTANT_ANSWER,
  ])
  return createNetServer((socket: Socket) => {
    socket.setNoDelay(true)
    let pending: Buffer | undefined
    socket.on('data', (chunk: Buffer) => {
      let buffer = pending === undefined ? chunk : Buffer.concat([pending, chunk])
      for (;;) {
        const headerEnd = buffer.indexOf('\r\n\r\n')
        if (headerEnd < 0) break
        const head = buffer.toString('latin1', 0, headerEnd).toLowerCase()
        const at = head.indexOf('content-length:')
        const length = at < 0 ? 0 : Number.parseInt(head.slice(at + 15), 10)
        const end = headerEnd + 4 + length
        if (buffer.length < end) break
        socket.write(response)
        buffer = buffer.subarray(end)
      }
      pending = buffer.length === 0 ? undefined : buffer
    })
    socket.on('error', () => socket.destroy())
  })
}

function listen<T extends Server | ReturnType<typeof createNetServer>>(server: T): Promise<T> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

function port(server: Server | ReturnType<typeof createNetServer>): number {
  return (server.address() as AddressInfo).port
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runRpcServerBench()
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
