import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createProposalSizer } from './proposalSizer.js'

test('the proposal size follows the measured execution time, within its bounds', () => {
  const sizer = createProposalSizer({ targetMs: 400, minTxs: 50, maxTxs: 5_000, initialMsPerTx: 1 })
  assert.equal(sizer.maxTxs(), 400, 'before any measurement: target / initial estimate')
  sizer.record(10, 1_000)
  assert.equal(sizer.maxTxs(), 400, 'tiny blocks measure per-block overhead, not per-transaction cost: ignored')
  // Execution slows to 4 ms per transaction: the size shrinks within a couple of blocks.
  sizer.record(400, 1_600)
  sizer.record(200, 800)
  assert.ok(sizer.maxTxs() <= 130, `shrank to ${sizer.maxTxs()}`)
  for (let i = 0; i < 10; i++) sizer.record(100, 1_000)
  assert.equal(sizer.maxTxs(), 50, 'never below the minimum')
  // Fast again (0.05 ms per transaction): it grows back, gradually, up to the maximum.
  sizer.record(50, 2.5)
  const afterOne = sizer.maxTxs()
  assert.ok(afterOne < 5_000 && afterOne >= 50, `one fast block does not jump to the maximum (${afterOne})`)
  for (let i = 0; i < 40; i++) sizer.record(2_000, 100)
  assert.equal(sizer.maxTxs(), 5_000, 'capped at the maximum')
})
