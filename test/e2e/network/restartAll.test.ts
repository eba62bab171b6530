import { test } from 'node:test'
import { runScenario } from './runScenario.js'

test('n=4: all validators restarted together resume the chain', { timeout: 180_000 }, async () => {
  await runScenario({
    name: 'restart-all',
    validators: 4,
    blockPeriodMs: 200,
    transactions: 20,
    perturbations: [0, 1, 2, 3].map((node) => ({ node, atHeight: 5, action: 'restart' as const })),
    finalHeight: 12,
    timeoutMs: 120_000,
  })
})
