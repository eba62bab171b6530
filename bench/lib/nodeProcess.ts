import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { createJsonRpcClient } from './jsonRpcClient.js'

export interface NodeProcess {
  name: string
  pid: number
  rpcUrl: string
  /** VmHWM of the process: its peak resident set, in bytes. */
  peakRssBytes(): number | undefined
  /** CPU time (user + system, all threads) the process has used so far, in seconds. */
  cpuSeconds(): number | undefined
  /** The last few KiB of the process's stdout and stderr, for error messages. */
  outputTail(): string
  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  stop(): Promise<void>
}

export interface StartNodeOptions {
  name: string
  command: string
  args: string[]
  cwd?: string
  rpcUrl: string
  readyTimeoutMs?: number
  /** How long stop() waits after SIGTERM before SIGKILL (default 5 s; longer when a CPU profile must be written). */
  stopGraceMs?: number
  signal?: AbortSignal
}

const TAIL_BYTES = 8192

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny race with other processes remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * `count` consecutive free ports below Linux's ephemeral range (32768–60999 by default): inside it, the
 * nodes' own outgoing connections take ports too, and one took a port a localnet node was about to bind
 * ("did not come up", once in about 35 runs). test/e2e/network/networkHarness.ts takes its ports from the
 * same window (by a cursor, without this check).
 */
export async function freePortBlock(count: number): Promise<number> {
  const low = 12_000
  const high = 32_000 - count
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low))
    let free = true
    for (let port = base; port < base + count && free; port++) free = await canBind(port)
    if (free) return base
  }
  throw new Error(`no ${count} consecutive free ports between ${low} and ${high + count}`)
}

/**
 * Spawns a node process (anvil, stele) and resolves once its JSON-RPC answers eth_chainId. The child is
 * killed if this process exits for any reason, so a failed or interrupted bench leaves nothing behind.
 */
export async function startNodeProcess(options: StartNodeOptions): Promise<NodeProcess> {
  const child = spawn(options.command, options.args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))))
  let spawnError: Error | undefined
  child.once('error', (e) => (spawnError = e))
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)

  const handle: NodeProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    rpcUrl: options.rpcUrl,
    peakRssBytes: () => readPeakRss(child),
    cpuSeconds: () => readCpuSeconds(child),
    outputTail: () => tail,
    async stop() {
      process.removeListener('exit', killOnExit)
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), options.stopGraceMs ?? 5000)
      await exited
      clearTimeout(timer)
    },
  }

  const client = createJsonRpcClient(options.rpcUrl, { maxSockets: 1, timeoutMs: 2000 })
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000)
  let exitCode: number | null | undefined
  void exited.then((code) => (exitCode = code))
  try {
    for (;;) {
      if (spawnError) throw new Error(`${options.name} could not be started (${options.command}): ${spawnError.message}`)
      if (exitCode !== undefined) throw new Error(`${options.name} exited with code ${exitCode} before its RPC was ready:\n${tail}`)
      if (options.signal?.aborted) throw new Error('aborted')
      if (Date.now() > deadline) throw new Error(`${options.name} RPC at ${options.rpcUrl} not ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${tail}`)
      try {
        await client.call('eth_chainId')
        return handle
      } catch {
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  } catch (error) {
    await handle.stop()
    throw error
  } finally {
    client.close()
  }
}

function readPeakRss(child: ChildProcess): number | undefined {
  if (child.pid === undefined) return undefined
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

// /proc/<pid>/stat counts in clock ticks; USER_HZ is 100 on every Linux we run on.
const CLOCK_TICKS_PER_SEC = 100

function readCpuSeconds(child: ChildProcess): number | undefined {
  if (child.pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC
  } catch {
    return undefined
  }
}
