import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMemoryHub, type MemoryDelivery } from './memoryNetwork.js'
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

test('memory network: a custom scheduler can hold, drop and duplicate gossip', async () => {
  const held: MemoryDelivery[] = []
  const hub = createMemoryHub({ schedule: (delivery) => held.push(delivery) })
  const a = hub.createNetwork('a')
  const b = hub.createNetwork('b')
  await a.start()
  await b.start()
  const got: number[] = []
  b.subscribe('tx', (data) => got.push(data[0] as number))
  await a.publish('tx', Uint8Array.of(1))
  await a.publish('tx', Uint8Array.of(2))
  assert.deepEqual(got, [])
  assert.deepEqual(held.map((d) => [d.from, d.to, d.topic, d.data[0]]), [['a', 'b', 'tx', 1], ['a', 'b', 'tx', 2]])
  // Reorder and duplicate the second, drop nothing yet.
  held[1]?.deliver()
  held[1]?.deliver()
  held[0]?.deliver()
  assert.deepEqual(got, [2, 2, 1])
  // A delivery released after the link is cut is lost.
  await a.publish('tx', Uint8Array.of(3))
  hub.setLinked('a', 'b', false)
  held[2]?.deliver()
  assert.deepEqual(got, [2, 2, 1])
  await a.stop()
  await b.stop()
})
