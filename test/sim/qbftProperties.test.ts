import { test } from 'node:test'
import fc from 'fast-check'
import { runSchedule, scheduleArb } from './randomSchedule.js'

/**
 * Random schedules for n = 4, 7 and 10: Byzantine validators (up to f), crashes and restarts, drops, duplicates,
 * reordering (random delays) and a partition during a fault phase; then the network heals. Safety invariants are
 * checked after every event inside the harness; liveness is asserted after healing.
 *
 * Replay: FUZZ_SEED=<seed> npm test -- test/sim/qbftProperties (fast-check prints seed and path on failure;
 * the harness's own message names the run's sim seed). SIM_RUNS_SCALE multiplies the run counts.
 */
const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED)
const SCALE = Number(process.env.SIM_RUNS_SCALE ?? '1')
const RUNS: Record<number, number> = { 4: Math.round(1200 * SCALE), 7: Math.round(500 * SCALE), 10: Math.round(300 * SCALE) }

for (const n of [4, 7, 10]) {
  test(`QBFT safety and liveness over ${RUNS[n]} random schedules, n = ${n} (FUZZ_SEED=${FUZZ_SEED})`, () => {
    console.log(`# qbft sim n=${n}: ${RUNS[n]} runs, FUZZ_SEED=${FUZZ_SEED}`)
    fc.assert(
      fc.property(scheduleArb(n), (s) => runSchedule(n, s)),
      { seed: FUZZ_SEED + n, numRuns: RUNS[n] as number, endOnFailure: true, includeErrorInReport: true },
    )
  })
}
