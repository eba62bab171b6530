import { test } from 'node:test'
import { runScenario } from './runScenario.js'

test('n=4: one validator killed, the chain goes on; restarted, it catches up', { timeout: 180_000 }, async () => {
  await runScenario({
    name: 'kill-one',
    validators: 4,
    blockPeriodMs: 200,
    transactions: 30,
    perturbations: [
      { node: 3, atHeight: 3, action: 'kill' },
      { node: 3, atHeight: 10, action: 'start' },
    ],
    finalHeight: 16,
    timeoutMs: 120_000,
  })
})
