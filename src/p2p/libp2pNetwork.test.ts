import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { createLibp2pNetwork, type Libp2pNetwork, type StaticPeer } from './libp2pNetwork.js'
import { describeNetworkContract, waitConnected } from './networkContract.js'
import { peerIdFromNodeKey } from './peerIdentity.js'

const HOST = '127.0.0.1'

function nodeKeys(n: number): Uint8Array[] {
  return Array.from({ length: n }, () => randomBytes(32))
}

/** Starts nodes one by one on free ports, each with the earlier ones as static peers. */
async function startChain(keys: Uint8Array[], permitted: Set<string>): Promise<Libp2pNetwork[]> {
  const networks: Libp2pNetwork[] = []
  const known: StaticPeer[] = []
  for (const key of keys) {
    const network = await createLibp2pNetwork({
      privateKey: key,
      listen: { host: HOST, port: 0 },
      staticPeers: [...known],
      permittedPeerIds: permitted,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      heartbeatIntervalMs: 100,
    })
    await network.start()
    known.push({ peerId: network.peerId, host: HOST, port: network.listenPort() })
    networks.push(network)
  }
  return networks
}

describeNetworkContract('libp2p network', async () => {
  const keys = nodeKeys(3)
  const networks = await startChain(keys, new Set(keys.map(peerIdFromNodeKey)))
  return {
    networks: networks as [Libp2pNetwork, Libp2pNetwork, Libp2pNetwork],
    async teardown() {
      await Promise.all(networks.map((n) => n.stop()))
    },
  }
})

test('libp2p network: peer id derives from the node key and addresses are loopback', async () => {
  const [key] = nodeKeys(1) as [Uint8Array]
  const [network] = (await startChain([key], new Set())) as [Libp2pNetwork]
  try {
    assert.equal(network.peerId, peerIdFromNodeKey(key))
    assert.ok(network.listenPort() > 0)
    for (const address of network.listenAddresses()) {
      assert.ok(address.startsWith(`/ip4/${HOST}/tcp/`), address)
      assert.ok(address.endsWith(`/p2p/${network.peerId}`), address)
    }
  } finally {
    await network.stop()
  }
})
