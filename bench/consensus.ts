import { pathToFileURL } from 'node:url'
import { createSimNetwork } from '../test/sim/simNetwork.js'

/**
 * QBFT on the simulated network with zero network delay and no block period: every validator runs the real engine
 * with real secp256k1 signatures (recovery not memoized, invariant checks off, so operation counts are what the
 * validators themselves do). Figures are
 * per finalized height; CPU is this process's user + system time for the whole network (all n validators).
 */
export interface ConsensusBenchFigures {
  validators: number
  heights: number
  cpuMs: number
  finalizedHeightsPerCpuSecond: number
  /** Messages broadcast per height (each goes to n - 1 peers). */
  messagesPerHeight: number
  deliveriesPerHeight: number
  signaturesPerHeight: number
  recoveriesPerHeight: number
  signatureOperationsPerHeight: number
}

export async function runConsensusBench(
  options: { sizes?: number[]; heights?: (n: number) => number; signal?: AbortSignal } = {},
): Promise<{
  name: 'consensus'
  note: string
  results: ConsensusBenchFigures[]
}> {
  const sizes = options.sizes ?? [4, 7, 10, 21]
  const heightsFor = options.heights ?? ((n: number) => (n >= 21 ? 20 : 50))
  const results: ConsensusBenchFigures[] = []
  for (const n of sizes) {
    if (options.signal?.aborted) break
    const sim = createSimNetwork({ seed: 1, validators: n, minDelayMs: 0, maxDelayMs: 0, blockPeriodMs: 0, cacheRecovery: false, checkInvariants: false })
    const heights = heightsFor(n)
    sim.start()
    // Warm-up height (JIT), then measure.
    sim.runUntil(() => sim.nodes.every((x) => sim.heightOf(x) >= 1n), 60_000)
    const start = { ...sim.counters }
    const cpu0 = process.cpuUsage()
    const target = BigInt(1 + heights)
    const done = sim.runUntil(() => sim.nodes.every((x) => sim.heightOf(x) >= target), sim.now + 600_000)
    const cpu = process.cpuUsage(cpu0)
    if (!done) throw new Error(`consensus bench: n=${n} did not finalize ${heights} heights`)
    const cpuMs = (cpu.user + cpu.system) / 1000
    const per = (key: keyof typeof start) => round((sim.counters[key] - start[key]) / heights)
    results.push({
      validators: n,
      heights,
      cpuMs: round(cpuMs),
      finalizedHeightsPerCpuSecond: round(heights / (cpuMs / 1000)),
      messagesPerHeight: per('broadcasts'),
      deliveriesPerHeight: per('deliveries'),
      signaturesPerHeight: per('signs'),
      recoveriesPerHeight: per('recovers'),
      signatureOperationsPerHeight: round(per('signs') + per('recovers')),
    })
  }
  return {
    name: 'consensus',
    note: 'simulated network in one process, zero delay, real secp256k1; CPU covers all validators together',
    results,
  }
}

const round = (x: number) => Math.round(x * 100) / 100

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runConsensusBench(), null, 2))
}
