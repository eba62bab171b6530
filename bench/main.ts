import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { progress } from './lib/stats.js'

/** Options every bench may read; benches ignore what they do not use. */
export interface BenchOptions {
  txs?: number
  warmupTxs?: number
  nodes?: ('stele' | 'anvil')[]
  profile?: boolean
  phaseBudgetMs?: number
  rate?: number
  stateHistory?: number
  rounds?: number
  signal: AbortSignal
}

interface BenchEntry {
  /** Module in bench/, without extension; checked before import so a missing bench gives a clear message. */
  module: string
  exportName: string
  summary: string
}

const BENCHES: Record<string, BenchEntry> = {
  dev: { module: 'dev', exportName: 'runDevBench', summary: 'stele dev vs anvil: tx/s (single, batched, ERC-20), inclusion latency, peak RSS' },
  consensus: { module: 'consensus', exportName: 'runConsensusBench', summary: 'QBFT rounds and seal verification' },
  state: { module: 'state', exportName: 'runStateBench', summary: 'state reads, writes and commitment' },
  localnet: { module: 'localnet', exportName: 'runLocalnetBench', summary: 'a multi-validator network on loopback' },
  data: { module: 'data', exportName: 'runDataBench', summary: 'data registry and notarization proofs' },
  iot: { module: 'iot', exportName: 'runIotBench', summary: 'IoT telemetry ingestion' },
  scale: { module: 'scale', exportName: 'runScaleBench', summary: '1M-account genesis: start time and RSS, throughput vs a small state, eth_getBalance after N txs (default 1M)' },
  limits: { module: 'limits', exportName: 'runLimitsBench', summary: 'physical limits: secp256k1 recover/s, keccak256/s, LMDB fsync commits/s' },
  rpc: { module: 'rpc', exportName: 'runRpcBench', summary: 'CPU per call of the hot JSON-RPC reads, block store encode and decode (in process)' },
  block: { module: 'block', exportName: 'runBlockBench', summary: 'CPU per transfer of the block path in process: ETH through runTx and the plain-transfer fast path, ERC-20 through runTx and the frame interpreter' },
  rpcServer: { module: 'rpcServer', exportName: 'runRpcServerBench', summary: 'CPU per request of the JSON-RPC HTTP server (stub backend) against bare node:http and net floors' },
}

const USAGE = `usage: npm run bench -- <bench|all> [--txs N] [--warmup N] [--node stele|anvil] [--phase-sec S] [--rate TPS] [--state-history N] [--rounds N] [--profile]

Prints one JSON document on stdout; progress goes to stderr.

benches:
${Object.entries(BENCHES)
  .map(([name, b]) => `  ${name.padEnd(10)} ${b.summary}`)
  .join('\n')}
  all        every available bench; also writes bench/results/latest.json

options:
  --txs N          transactions per load phase (dev; default 20000); scale: transactions sent to the
                   1M-account node in all (default 1000000, about 15-25 min; 20000 for a quick run)
  --warmup N       untimed transfers before the timed ones, while V8 compiles Stele's hot paths;
                   0: none. dev: ETH single requests to each node (default 10000; the JSON keeps
                   their figures as "warmup", the cold start); localnet: default --txs, at most 10000
  --node KIND      dev: run one node only (stele or anvil); repeatable
  --phase-sec S    dev: stop submitting a phase after S seconds (default 40), so a slow node
                   cannot stretch the run; the JSON's "sent" says how many went out
  --rate TPS       localnet: offer this many transfers per second in all (open loop), so finality is
                   measured at that rate rather than at saturation; default: as fast as answered
  --state-history N  scale: run both nodes with stele dev --state-history N (default 0, every state kept);
                   the JSON reports it beside the data directory
  --rounds N       scale: throughput rounds of 5000 transfers on each node, alternating (default 4);
                   more rounds weigh V8's warm-up less
  --profile        dev, localnet, scale: run stele (localnet: validator 0; scale: both nodes) under
                   node --cpu-prof; the main thread's profile is saved in bench/results/ and its
                   top functions and packages by self time are added to the JSON
  --help           this text
`

// One level up from this file is the repository root both under tsx (bench/main.ts) and from the
// esbuild bundle (dist/bench.mjs), so paths are built from there, never from import.meta.url directly.
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const HERE = `${ROOT}bench/`

/** `npm run bench -- <name>`: returns the process exit code (0 ok, 1 a bench failed, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  let parsed: { name: string; options: Omit<BenchOptions, 'signal'> }
  try {
    parsed = parseArgs(argv)
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return 2
  }
  if (parsed.name === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  const controller = new AbortController()
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130)
    progress('interrupted: stopping child processes (Ctrl-C again to force)')
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)
  const options: BenchOptions = { ...parsed.options, signal: controller.signal }
  try {
    if (parsed.name === 'all') return await runAll(options)
    const result = await runOne(parsed.name, options)
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    return 'error' in result ? 1 : 0
  } catch (error) {
    if (!controller.signal.aborted) throw error
    progress('interrupted; child processes stopped')
    return 130
  } finally {
    process.removeListener('SIGINT', onSigint)
    process.removeListener('SIGTERM', onSigint)
  }
}

function parseArgs(argv: string[]): { name: string; options: Omit<BenchOptions, 'signal'> } {
  let name: string | undefined
  const options: Omit<BenchOptions, 'signal'> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--help' || arg === '-h') return { name: 'help', options }
    if (arg === '--txs') {
      const n = Number(argv[++i])
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--txs needs a positive integer, got ${argv[i]}`)
      options.txs = n
    } else if (arg === '--warmup') {
      const n = Number(argv[++i])
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--warmup needs a whole number, got ${argv[i]}`)
      options.warmupTxs = n
    } else if (arg === '--phase-sec') {
      const sec = Number(argv[++i])
      if (!(sec > 0)) throw new Error(`--phase-sec needs a positive number, got ${argv[i]}`)
      options.phaseBudgetMs = sec * 1000
    } else if (arg === '--rate') {
      const rate = Number(argv[++i])
      if (!(rate > 0)) throw new Error(`--rate needs a positive number, got ${argv[i]}`)
      options.rate = rate
    } else if (arg === '--state-history') {
      const n = Number(argv[++i])
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--state-history needs a whole number, got ${argv[i]}`)
      options.stateHistory = n
    } else if (arg === '--rounds') {
      const n = Number(argv[++i])
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--rounds needs a positive integer, got ${argv[i]}`)
      options.rounds = n
    } else if (arg === '--profile') {
      options.profile = true
    } else if (arg === '--node') {
      const kind = argv[++i]
      if (kind !== 'stele' && kind !== 'anvil') throw new Error(`--node must be stele or anvil, got ${kind}`)
      options.nodes = [...(options.nodes ?? []), kind]
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`)
    else if (name === undefined) name = arg
    else throw new Error(`unexpected argument ${arg}`)
  }
  if (name === undefined) throw new Error('which bench?')
  if (name !== 'all' && !(name in BENCHES)) throw new Error(`unknown bench ${name}`)
  return { name, options }
}

type BenchResult = Record<string, unknown>

async function runOne(name: string, options: BenchOptions): Promise<BenchResult> {
  const entry = BENCHES[name] as BenchEntry
  if (!existsSync(`${HERE}${entry.module}.ts`)) {
    return { bench: name, error: `bench "${name}" is not available yet: bench/${entry.module}.ts does not exist` }
  }
  const started = Date.now()
  try {
    // esbuild turns this template into a glob over bench/**/*.ts, so benches added later are bundled
    // without an edit here, and a missing one fails only when asked for.
    const mod = (await import(`./${entry.module}.ts`)) as Record<string, unknown>
    const run = mod[entry.exportName]
    if (typeof run !== 'function') return { bench: name, error: `bench/${entry.module}.ts does not export ${entry.exportName}()` }
    const result = (await (run as (o: BenchOptions) => Promise<object>)(options)) as BenchResult
    return { bench: name, ...result, durationSec: Math.round((Date.now() - started) / 100) / 10 }
  } catch (error) {
    if (options.signal.aborted) throw error
    if (error instanceof Error && error.message.includes('not found in bundle')) {
      return { bench: name, error: `bench/${entry.module}.ts appeared after the bundle was built: run the bench again` }
    }
    progress(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    return { bench: name, error: error instanceof Error ? error.message : String(error) }
  }
}

async function runAll(options: BenchOptions): Promise<number> {
  const results: Record<string, BenchResult> = {}
  let failed = false
  for (const name of Object.keys(BENCHES)) {
    if (options.signal.aborted) break
    const entry = BENCHES[name] as BenchEntry
    if (!existsSync(`${HERE}${entry.module}.ts`)) {
      results[name] = { skipped: `bench/${entry.module}.ts does not exist yet` }
      continue
    }
    progress(`running ${name}`)
    results[name] = await runOne(name, options)
    if ('error' in (results[name] as BenchResult)) failed = true
  }
  const document = { meta: environment(), results }
  const json = `${JSON.stringify(document, null, 2)}\n`
  mkdirSync(`${HERE}results`, { recursive: true })
  writeFileSync(`${HERE}results/latest.json`, json)
  process.stdout.write(json)
  progress('wrote bench/results/latest.json')
  return failed ? 1 : 0
}

function environment(): Record<string, unknown> {
  let commit: string | undefined
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: HERE, encoding: 'utf8' }).trim()
  } catch {
    commit = undefined
  }
  return { date: new Date().toISOString(), commit, node: process.version, cpu: cpus()[0]?.model, cores: cpus().length }
}
