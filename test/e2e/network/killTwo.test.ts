import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TestNetwork } from './networkHarness.js'
import { waitUntil } from '../processHarness.js'

test('n=4: two validators killed halts finality without a fork; one returning resumes it', { timeout: 180_000 }, async () => {
  const net = new TestNetwork({ name: 'kill-two', validators: 4, blockPeriodMs: 200, transactions: 0, perturbations: [], finalHeight: 3, timeoutMs: 60_000 })
  try {
    await net.startAll()
    await waitUntil('height 3', async () => ((await net.maxHeight()) >= 3 ? true : undefined), 60_000, 100)
    await net.kill(2)
    await net.kill(3)
    // With 2 of 4 up there is no quorum: the head stops moving. We check it over a few round timeouts.
    const haltedAt = await net.maxHeight()
    const sample = async () => Math.max(await net.height(0), await net.height(1))
    await new Promise((r) => setTimeout(r, 3000)) // observation window for a halt (not a wait for a condition)
    const stillAt = await sample()
    assert.ok(stillAt <= haltedAt + 1, `no quorum, yet the chain moved from ${haltedAt} to ${stillAt}`)
    const returnedAt = Date.now()
    await net.start(2)
    const rpcUpMs = Date.now() - returnedAt
    await waitUntil('finality resumes', async () => ((await sample()) > stillAt + 1 ? true : undefined), 30_000, 100)
    const resumeMs = Date.now() - returnedAt
    console.log(`finality resumed ${resumeMs} ms after a validator returned (its RPC answered after ${rpcUpMs} ms)`)
    await net.start(3)
    await waitUntil('the last validator catches up', async () => ((await net.height(3)) > stillAt + 1 ? true : undefined), 60_000, 100)
    const summary = await net.checkInvariants()
    assert.ok(summary.height > stillAt)
  } finally {
    await net.stopAll()
    net.cleanup()
  }
})
