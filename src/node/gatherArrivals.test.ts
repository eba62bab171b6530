import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { gatherArrivals } from './gatherArrivals.js'

/** A simulated clock: each sleep advances it, and `arrive` says what happens to the pool meanwhile. */
function simulated(arrive: (at: number) => { received: number; admitting: number }) {
  let clock = 0
  let current = arrive(0)
  return {
    pool: { received: () => current.received, admitting: () => current.admitting },
    options: {
      quietMs: 2,
      maxMs: 20,
      now: () => clock,
      sleep: async (ms: number) => {
        clock += ms
        current = arrive(clock)
      },
    },
    elapsed: () => clock,
  }
}

describe('gatherArrivals', () => {
  test('a lone transaction waits one quiet period', async () => {
    const sim = simulated(() => ({ received: 1, admitting: 0 }))
    await gatherArrivals(sim.pool, sim.options)
    assert.equal(sim.elapsed(), 2)
  })

  test('keeps waiting while transactions arrive, up to the maximum', async () => {
    const sim = simulated((at) => ({ received: at * 10, admitting: 0 }))
    await gatherArrivals(sim.pool, sim.options)
    assert.equal(sim.elapsed(), 20)
  })

  test('waits for admissions in flight even when nothing new arrives', async () => {
    const sim = simulated((at) => ({ received: 5, admitting: at < 6 ? 5 : 0 }))
    await gatherArrivals(sim.pool, sim.options)
    assert.equal(sim.elapsed(), 6)
  })

  test('stops one quiet period after the stream ends', async () => {
    const sim = simulated((at) => ({ received: Math.min(at, 8) * 3, admitting: 0 }))
    await gatherArrivals(sim.pool, sim.options)
    assert.equal(sim.elapsed(), 10)
  })

  test('hands each pause with arrivals to onArrivals, and time spent there counts', async () => {
    const sim = simulated((at) => ({ received: Math.min(at, 8) * 3, admitting: 0 }))
    const calls: number[] = []
    let clock = 0
    const options = {
      ...sim.options,
      now: () => clock + sim.elapsed(),
      onArrivals: async () => {
        calls.push(sim.elapsed())
        clock += 1 // executing what arrived takes 1 ms of the gathering
      },
    }
    await gatherArrivals(sim.pool, options)
    assert.deepEqual(calls, [2, 4, 6, 8])
    assert.equal(sim.elapsed() + clock, 14)
  })

  test('onArrivals cannot extend the gathering past the maximum', async () => {
    const sim = simulated((at) => ({ received: at * 10, admitting: 0 }))
    let calls = 0
    let clock = 0
    await gatherArrivals(sim.pool, {
      ...sim.options,
      now: () => clock + sim.elapsed(),
      onArrivals: async () => {
        calls++
        clock += 3
      },
    })
    assert.equal(calls, 4)
    assert.equal(sim.elapsed() + clock, 20)
  })
})
