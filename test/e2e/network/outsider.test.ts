import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TestNetwork } from './networkHarness.js'
import { rpc, waitUntil } from '../processHarness.js'

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
    // The validators keep finalizing while the outsider knocks; the first block can take a few rounds on a loaded machine.
    await waitUntil('the validators finalize a block while the outsider is refused', async () => ((await net.height(0)) > 0 ? true : undefined), 30_000, 100)
    assert.equal(await net.height(4), 0, 'the outsider never synced a block')
  } catch (error) {
    net.printLastLines(12)
    throw error
  } finally {
    await net.stopAll()
    net.cleanup()
  }
})
