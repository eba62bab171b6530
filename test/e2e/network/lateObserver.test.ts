import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runScenario } from './runScenario.js'

// One fast validator builds 1,000 blocks first (with n = 1 a block needs no network round trip), then the
// observer starts, syncs them over libp2p, and follows the chain.
test('an observer joining late syncs 1,000 blocks and follows the chain', { timeout: 500_000 }, async () => {
  await runScenario(
    { name: 'late-observer', validators: 1, observers: 1, startLater: [1], blockPeriodMs: 5, transactions: 10, perturbations: [{ node: 1, atHeight: 1000, action: 'start' }], finalHeight: 1020, timeoutMs: 400_000 },
    async (net) => {
      assert.ok((await net.height(1)) >= 1000)
    },
  )
})
