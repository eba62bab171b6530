import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode, isSteleError } from '../primitives/errors.js'
import type { Network, Topic } from './network.js'
import { waitFor } from './waitFor.js'

/**
 * Behaviour every Network implementation must share, run against the memory hub and libp2p alike.
 * `setup` returns three started networks that will connect to each other (and redial after a ban).
 */
export interface ContractSetup {
  networks: [Network, Network, Network]
  teardown(): Promise<void>
}

const encoder = new TextEncoder()

export function blockBytes(height: bigint): Uint8Array {
  return encoder.encode(`block-${height}`)
}

/** Serves heights 0..head as `block-<height>`. */
export function serveChain(network: Network, head: bigint): void {
  network.onSyncRequest(async ({ from, count }) => {
    const out: Uint8Array[] = []
    for (let h = from; h < from + BigInt(count) && h <= head; h++) out.push(blockBytes(h))
    return out
  })
  network.onStatusRequest(() => ({ head, headHash: new Uint8Array(32).fill(Number(head % 256n)) }))
}

export async function waitConnected(networks: readonly Network[], timeoutMs = 5_000): Promise<void> {
  await waitFor(
    () => networks.every((n) => n.peers().length === networks.length - 1),
    'all networks connected to each other',
    timeoutMs,
  )
}

export async function waitGossipReady(networks: readonly Network[], topic: Topic, timeoutMs = 5_000): Promise<void> {
  await waitFor(
    () => networks.every((n) => n.topicPeers(topic).length === networks.length - 1),
    `every network has the others as ${topic} peers`,
    timeoutMs,
  )
}

export function describeNetworkContract(name: string, setup: () => Promise<ContractSetup>): void {
  async function withNetworks(run: (nets: [Network, Network, Network]) => Promise<void>): Promise<void> {
    const { networks, teardown } = await setup()
    try {
      await run(networks)
    } finally {
      await teardown()
    }
  }

  test(`${name}: three networks connect and gossip on both topics`, () =>
    withNetworks(async (nets) => {
      const [a, b, c] = nets
      await waitConnected(nets)
      for (const net of nets) {
        const others = net.peers().map((p) => p.peerId).sort()
        assert.deepEqual(others, nets.filter((n) => n !== net).map((n) => n.peerId).sort())
      }
      for (const topic of ['tx', 'consensus'] as const) {
        await waitGossipReady(nets, topic)
        const received = new Map<string, { data: string; from: string }[]>()
        for (const net of nets) {
          received.set(net.peerId, [])
          net.subscribe(topic, (data, from) => received.get(net.peerId)?.push({ data: new TextDecoder().decode(data), from }))
        }
        await a.publish(topic, encoder.encode(`${topic} from a`))
        await c.publish(topic, encoder.encode(`${topic} from c`))
        await waitFor(
          () => (received.get(b.peerId)?.length ?? 0) >= 2 && (received.get(a.peerId)?.length ?? 0) >= 1 && (received.get(c.peerId)?.length ?? 0) >= 1,
          `${topic} gossip delivered`,
        )
        assert.deepEqual(received.get(b.peerId)?.map((m) => m.data).sort(), [`${topic} from a`, `${topic} from c`])
        // Publishers do not hear themselves.
        assert.deepEqual(received.get(a.peerId)?.map((m) => m.data), [`${topic} from c`])
        assert.deepEqual(received.get(c.peerId)?.map((m) => m.data), [`${topic} from a`])
        for (const message of received.get(b.peerId) ?? []) assert.ok([a.peerId, c.peerId].includes(message.from))
      }
    }))

  test(`${name}: a throwing handler does not stop other handlers`, () =>
    withNetworks(async (nets) => {
      const [a, b] = nets
      await waitConnected(nets)
      await waitGossipReady(nets, 'tx')
      const got: string[] = []
      b.subscribe('tx', () => {
        throw new Error('handler bug')
      })
      const unsubscribe = b.subscribe('tx', (data) => got.push(`first:${data.length}`))
      b.subscribe('tx', (data) => got.push(`second:${data.length}`))
      await a.publish('tx', new Uint8Array(3))
      await waitFor(() => got.length === 2, 'both healthy handlers called')
      assert.deepEqual(got.sort(), ['first:3', 'second:3'])
      unsubscribe()
      await a.publish('tx', new Uint8Array(4))
      await waitFor(() => got.length === 3, 'remaining handler called')
      assert.equal(got[2], 'second:4')
    }))

  test(`${name}: oversized publish is refused locally`, () =>
    withNetworks(async ([a]) => {
      await assert.rejects(a.publish('tx', new Uint8Array(256 * 1024 + 1)), (e) => isSteleError(e, ErrorCode.OversizedData))
    }))

  test(`${name}: block range and status round trip`, () =>
    withNetworks(async (nets) => {
      const [a, b] = nets
      await waitConnected(nets)
      serveChain(b, 20n)
      const blocks = await a.requestBlocks(b.peerId, 5n, 3)
      assert.deepEqual(blocks, [blockBytes(5n), blockBytes(6n), blockBytes(7n)])
      // Asking past the head returns what exists.
      assert.deepEqual(await a.requestBlocks(b.peerId, 19n, 10), [blockBytes(19n), blockBytes(20n)])
      assert.deepEqual(await a.requestBlocks(b.peerId, 21n, 10), [])
      await assert.rejects(a.requestBlocks(b.peerId, 0n, 0), (e) => isSteleError(e, ErrorCode.InvalidInput))
      await assert.rejects(a.requestBlocks(b.peerId, 0n, 100_000), (e) => isSteleError(e, ErrorCode.InvalidInput))

      const status = await a.requestStatus(b.peerId)
      assert.equal(status.head, 20n)
      assert.deepEqual(status.headHash, new Uint8Array(32).fill(20))
      assert.equal(a.peers().find((p) => p.peerId === b.peerId)?.status?.head, 20n)
    }))

  test(`${name}: a failing or missing sync handler is reported as a network error`, () =>
    withNetworks(async (nets) => {
      const [a, b, c] = nets
      await waitConnected(nets)
      b.onSyncRequest(async () => {
        throw new Error('store exploded')
      })
      await assert.rejects(a.requestBlocks(b.peerId, 0n, 1), (e) => isSteleError(e, ErrorCode.Network))
      // c never registered handlers.
      await assert.rejects(a.requestBlocks(c.peerId, 0n, 1), (e) => isSteleError(e, ErrorCode.Network))
      await assert.rejects(a.requestStatus(c.peerId), (e) => isSteleError(e, ErrorCode.Network))
    }))

  test(`${name}: disconnect with a ban drops the peer, which returns after the ban`, () =>
    withNetworks(async (nets) => {
      const [a, b] = nets
      await waitConnected(nets)
      const events: string[] = []
      a.onPeerDisconnected((peer) => events.push(`down:${peer}`))
      a.onPeerConnected((peer) => events.push(`up:${peer}`))
      const topicJoins: string[] = []
      a.onTopicPeer('consensus', (peer) => topicJoins.push(peer))
      await a.disconnect(b.peerId, { banMs: 1_500 })
      assert.ok(!a.peers().some((p) => p.peerId === b.peerId))
      await waitFor(() => events.includes(`down:${b.peerId}`), 'disconnect event')
      await waitFor(
        () => events.includes(`up:${b.peerId}`) && a.peers().some((p) => p.peerId === b.peerId),
        'peer back after the ban',
        8_000,
      )
      assert.deepEqual(events, [`down:${b.peerId}`, `up:${b.peerId}`])
      // Back on the consensus topic too: the moment to re-send what it missed.
      await waitFor(() => topicJoins.includes(b.peerId), 'topic peer reported after the reconnection')
    }))
}
