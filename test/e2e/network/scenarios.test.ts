import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TestNetwork, type Manifest } from './networkHarness.js'
import { rpc, waitUntil } from '../processHarness.js'

// Multi-process scenarios from the network issue. Each is bounded by its manifest's timeout.
async function runScenario(manifest: Manifest, extra?: (net: TestNetwork) => Promise<void>) {
  const net = new TestNetwork(manifest)
  try {
    await net.startAll()
    await net.run()
    await extra?.(net)
    const summary = await net.checkInvariants()
    assert.ok(summary.height >= manifest.finalHeight)
    return summary
  } catch (error) {
    for (const node of net.nodes) console.error(`--- node${node.index} (last lines)\n${node.log.split('\n').slice(-15).join('\n')}`)
    throw error
  } finally {
    await net.stopAll()
    net.cleanup()
  }
}

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
    await waitUntil('finality resumes', async () => ((await sample()) > stillAt + 1 ? true : undefined), 30_000, 100)
    const resumeMs = Date.now() - returnedAt
    console.log(`finality resumed ${resumeMs} ms after a validator returned`)
    assert.ok(resumeMs < 30_000)
    await net.start(3)
    await waitUntil('the last validator catches up', async () => ((await net.height(3)) > stillAt + 1 ? true : undefined), 60_000, 100)
    const summary = await net.checkInvariants()
    assert.ok(summary.height > stillAt)
  } finally {
    await net.stopAll()
    net.cleanup()
  }
})

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

test('an observer joining late syncs the chain and follows it', { timeout: 240_000 }, async () => {
  await runScenario(
    { name: 'late-observer', validators: 4, observers: 1, startLater: [4], blockPeriodMs: 20, transactions: 10, perturbations: [{ node: 4, atHeight: 300, action: 'start' }], finalHeight: 320, timeoutMs: 200_000 },
    async (net) => {
      const observerHeight = await net.height(4)
      assert.ok(observerHeight >= 300)
    },
  )
})

test('a node whose key is not in genesis is refused at connection', { timeout: 120_000 }, async () => {
  const net = new TestNetwork({ name: 'outsider', validators: 4, observers: 1, startLater: [4], blockPeriodMs: 200, transactions: 0, perturbations: [], finalHeight: 2, timeoutMs: 60_000 })
  try {
    // Node 4 gets a fresh key that genesis does not permit, keeping its config (static peers) as is.
    const { generateNodeKey, saveNodeKey } = await import('../../../src/node/nodeKey.js')
    const { join } = await import('node:path')
    saveNodeKey(join(net.nodes[4]!.home, 'node.key'), generateNodeKey())
    await net.startAll()
    await net.start(4)
    await waitUntil('every validator refuses the outsider', async () => (net.nodes.slice(0, 4).every((n) => /refused a peer/.test(n.log)) ? true : undefined), 30_000, 100)
    const outsiderId = ((await rpc<{ id: string }>(net.nodes[4]!.url, 'admin_nodeInfo')) as { id: string }).id
    for (const node of net.nodes.slice(0, 4)) {
      const peers = await rpc<{ id: string }[]>(node.url, 'admin_peers')
      assert.ok(!peers.some((p) => p.id === outsiderId), `node${node.index} lists the outsider as a peer`)
    }
    assert.ok((await net.height(0)) > 0, 'the chain advanced meanwhile')
    assert.equal(await net.height(4), 0, 'the outsider never synced a block')
  } catch (error) {
    for (const node of net.nodes) console.error(`--- node${node.index} (last lines)\n${node.log.split('\n').slice(-12).join('\n')}`)
    throw error
  } finally {
    await net.stopAll()
    net.cleanup()
  }
})
