import assert from 'node:assert/strict'
import fc from 'fast-check'
import { BYZANTINE_KINDS, createSimNetwork, type ByzantineKind } from './simNetwork.js'

/** After healing, every honest node finalizes 2 more heights within this much virtual time. */
export const LIVENESS_MS = 30_000

export interface Schedule {
  seed: number
  byzantine: ByzantineKind[]
  crashes: { node: number; at: number; downFor: number }[]
  dropRate: number
  duplicateRate: number
  maxDelayMs: number
  partition: { at: number; duration: number; sides: boolean[] } | null
  faultPhaseMs: number
}

export function scheduleArb(n: number): fc.Arbitrary<Schedule> {
  const f = Math.floor((n - 1) / 3)
  return fc
    .record({
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      byzantine: fc.array(fc.constantFrom(...BYZANTINE_KINDS), { maxLength: f }),
      crashes: fc.array(
        fc.record({ node: fc.nat(n - 1), at: fc.integer({ min: 0, max: 2000 }), downFor: fc.integer({ min: 10, max: 2000 }) }),
        { maxLength: f },
      ),
      dropRate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.3, noNaN: true })),
      duplicateRate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.2, noNaN: true })),
      maxDelayMs: fc.integer({ min: 1, max: 120 }),
      partition: fc.option(
        fc.record({
          at: fc.integer({ min: 0, max: 1500 }),
          duration: fc.integer({ min: 10, max: 2500 }),
          sides: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        }),
      ),
      faultPhaseMs: fc.integer({ min: 300, max: 2500 }),
    })
    .map((s) => {
      // Crashed honest nodes plus Byzantine ones stay within f, so the healed network must be live.
      const byzantineFrom = n - s.byzantine.length
      const seen = new Set<number>()
      const crashes = s.crashes
        .filter((c) => c.node < byzantineFrom && !seen.has(c.node) && seen.add(c.node))
        .slice(0, f - s.byzantine.length)
      return { ...s, crashes }
    })
}

export function runSchedule(n: number, s: Schedule): void {
  const sim = createSimNetwork({
    seed: s.seed,
    validators: n,
    byzantine: s.byzantine,
    dropRate: s.dropRate,
    duplicateRate: s.duplicateRate,
    maxDelayMs: s.maxDelayMs,
    // Fewer, slower heights per run: the faults, not the block count, are what a run explores.
    blockPeriodMs: 200,
  })
  sim.start()
  // Every fault starts and ends inside the fault phase.
  for (const c of s.crashes) {
    const at = c.at % s.faultPhaseMs
    sim.at(at, () => sim.crash(c.node))
    sim.at(Math.min(at + c.downFor, s.faultPhaseMs), () => sim.restart(c.node))
  }
  if (s.partition) {
    const groups = [0, 1].map((side) => s.partition!.sides.flatMap((b, i) => (Number(b) === side ? [i] : [])))
    const at = s.partition.at % s.faultPhaseMs
    sim.at(at, () => sim.partition(groups))
    sim.at(Math.min(at + s.partition.duration, s.faultPhaseMs), () => sim.partition([Array.from({ length: n }, (_, i) => i)]))
  }
  sim.runFor(s.faultPhaseMs)
  sim.heal()
  for (const c of s.crashes) sim.restart(c.node)
  const honest = sim.honest()
  const target = honest.reduce((m, node) => (sim.heightOf(node) > m ? sim.heightOf(node) : m), 0n) + 2n
  const live = sim.runUntil(() => honest.every((node) => sim.heightOf(node) >= target), sim.now + LIVENESS_MS)
  assert.ok(
    live,
    `liveness: honest heights ${honest.map((x) => sim.heightOf(x)).join(',')} did not all reach ${target} within ` +
      `${LIVENESS_MS} ms of healing (sim seed ${s.seed}, t=${sim.now})`,
  )
}

