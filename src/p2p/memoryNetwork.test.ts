import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMemoryHub } from './memoryNetwork.js'
import type { Network } from './network.js'
import { describeNetworkContract, waitConnected } from './networkContract.js'
import { waitFor } from './waitFor.js'

describeNetworkContract('memory network', async () => {
  const hub = createMemoryHub()
  const networks = [hub.createNetwork('a'), hub.createNetwork('b'), hub.createNetwork('c')] as [Network, Network, Network]
  for (const network of networks) await network.start()
  return {
    networks,
    async teardown() {
      for (const network of networks) await network.stop()
    },
  }
})

test('memory network: cut links stop delivery and restore it', async () => {
  const hub = createMemoryHub()
  const a = hub.createNetwork('a')
  const b = hub.createNetwork('b')
  await a.start()
  await b.start()
  await waitConnected([a, b])
  hub.setLinked('a', 'b', false)
  assert.deepEqual(a.peers(), [])
  await assert.rejects(a.requestBlocks('b', 0n, 1))
  hub.setLinked('a', 'b', true)
  await waitConnected([a, b])
  const got: Uint8Array[] = []
  b.subscribe('consensus', (data) => got.push(data))
  const sent = Uint8Array.of(1, 2, 3)
  await a.publish('consensus', sent)
  sent[0] = 9 // the receiver got a copy
  await waitFor(() => got.length === 1, 'delivery after relink')
  assert.deepEqual(got[0], Uint8Array.of(1, 2, 3))
  await a.stop()
  assert.deepEqual(b.peers(), [])
  await b.stop()
})
