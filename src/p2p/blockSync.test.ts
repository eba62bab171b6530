import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { equalBytes } from '../primitives/bytes.js'
import { createBlockSync } from './blockSync.js'
import { createLibp2pNetwork } from './libp2pNetwork.js'
import { createMemoryHub } from './memoryNetwork.js'
import type { Network } from './network.js'
import { waitConnected } from './networkContract.js'
import { peerIdFromNodeKey } from './peerIdentity.js'
import { waitFor } from './waitFor.js'

/** A deterministic fake block: its height, padded to `size` bytes. */
function fakeBlock(height: bigint, size = 1024): Uint8Array {
  const out = new Uint8Array(size)
  new DataView(out.buffer).setBigUint64(0, height)
  out.fill(Number(height % 251n), 8)
  return out
}

/** A peer's chain: serves heights 0..head (head can grow), optionally tampering with blocks. */
function serve(network: Network, chain: { head: bigint }, tamper?: (height: bigint, block: Uint8Array) => Uint8Array) {
  network.onStatusRequest(() => ({ head: chain.head, headHash: new Uint8Array(32) }))
  network.onSyncRequest(async ({ from, count }) => {
    const out: Uint8Array[] = []
    for (let h = from; h < from + BigInt(count) && h <= chain.head; h++) out.push(tamper ? tamper(h, fakeBlock(h)) : fakeBlock(h))
    return out
  })
}

/** The syncing node's store: accepts only the canonical block for exactly head+1. */
function localChain(head = 0n) {
  const state = { head, imports: 0 }
  return {
    state,
    localHead: () => state.head,
    async verifyAndImport(block: Uint8Array, height: bigint) {
      if (height !== state.head + 1n) throw new Error(`out of order: ${height} after ${state.head}`)
      if (!equalBytes(block, fakeBlock(height))) throw new Error(`bad block at ${height}`)
      state.head = height
      state.imports++
    },
  }
}

async function memoryPeers(names: string[]): Promise<Network[]> {
  const hub = createMemoryHub()
  const networks = names.map((name) => hub.createNetwork(name))
  for (const network of networks) await network.start()
  await waitConnected(networks)
  return networks
}

test('block sync: a lagging node imports 1,000 blocks in order from the peer ahead', async () => {
  const [local, ahead, behind] = (await memoryPeers(['local', 'ahead', 'behind'])) as [Network, Network, Network]
  serve(ahead, { head: 1_000n })
  serve(behind, { head: 3n })
  const chain = localChain(5n)
  const sync = createBlockSync({ network: local, localHead: chain.localHead, verifyAndImport: chain.verifyAndImport })
  const result = await sync.syncOnce()
  assert.equal(result.head, 1_000n)
  assert.equal(result.imported, 995)
  assert.deepEqual(result.failures, [])
  assert.equal(chain.state.imports, 995)
  assert.deepEqual(sync.progress(), { syncing: false, startingBlock: 5n, currentBlock: 1_000n, highestBlock: 1_000n })
  // Nothing left to do.
  assert.equal((await sync.syncOnce()).imported, 0)
})

test('block sync: a peer sending blocks that do not verify is abandoned for an honest one', async () => {
  const [local, liar, honest] = (await memoryPeers(['local', 'liar', 'honest'])) as [Network, Network, Network]
  serve(liar, { head: 300n }, (height, block) => (height === 70n ? fakeBlock(999n) : block))
  serve(honest, { head: 150n })
  const chain = localChain()
  const sync = createBlockSync({ network: local, localHead: chain.localHead, verifyAndImport: chain.verifyAndImport, batchSize: 32 })
  const result = await sync.syncOnce()
  assert.equal(result.head, 150n)
  assert.deepEqual(result.failures.map((f) => f.peer), ['liar'])
  assert.match(result.failures[0]?.reason ?? '', /block 70/)
  // The liar's good blocks up to 69 were kept; the honest peer supplied the rest.
  assert.equal(chain.state.imports, 150)
  assert.equal(result.imported, 150)
})

test('block sync: a peer that stalls times out and the next peer is used', async () => {
  const [local, staller, honest] = (await memoryPeers(['local', 'staller', 'honest'])) as [Network, Network, Network]
  staller.onStatusRequest(() => ({ head: 90n, headHash: new Uint8Array(32) }))
  staller.onSyncRequest(() => new Promise<Uint8Array[]>(() => undefined))
  serve(honest, { head: 40n })
  const chain = localChain()
  const sync = createBlockSync({
    network: local,
    localHead: chain.localHead,
    verifyAndImport: chain.verifyAndImport,
    requestTimeoutMs: 200,
  })
  const result = await sync.syncOnce()
  assert.equal(result.head, 40n)
  assert.deepEqual(result.failures.map((f) => f.peer), ['staller'])
  assert.match(result.failures[0]?.reason ?? '', /timed out/)
})

test('block sync: follows a peer whose head grows during the sync, skipping heights consensus imported', async () => {
  const [local, ahead] = (await memoryPeers(['local', 'ahead'])) as [Network, Network]
  const remote = { head: 100n }
  serve(ahead, remote)
  const chain = localChain()
  const sync = createBlockSync({
    network: local,
    localHead: chain.localHead,
    verifyAndImport: async (block, height) => {
      await chain.verifyAndImport(block, height)
      if (height === 50n) remote.head = 180n
      // Consensus commits 61 and 62 itself while sync is importing 60.
      if (height === 60n) {
        await chain.verifyAndImport(fakeBlock(61n), 61n)
        await chain.verifyAndImport(fakeBlock(62n), 62n)
      }
    },
    batchSize: 16,
  })
  const result = await sync.syncOnce()
  assert.equal(result.head, 180n)
  assert.equal(result.imported, 178)
  assert.equal(chain.state.imports, 180)
})

test('block sync: short answers (a responder capping its replies) leave no gaps', async () => {
  const [local, capped] = (await memoryPeers(['local', 'capped'])) as [Network, Network]
  capped.onStatusRequest(() => ({ head: 300n, headHash: new Uint8Array(32) }))
  const asked: number[] = []
  capped.onSyncRequest(async ({ from, count }) => {
    asked.push(count)
    const n = Math.min(count, 7)
    return Array.from({ length: n }, (_, i) => fakeBlock(from + BigInt(i)))
  })
  const chain = localChain()
  const sync = createBlockSync({ network: local, localHead: chain.localHead, verifyAndImport: chain.verifyAndImport, batchSize: 20 })
  const result = await sync.syncOnce()
  assert.equal(result.head, 300n)
  assert.deepEqual(result.failures, [])
  assert.ok(asked.every((count) => count <= 20))
})

test('block sync: requestSync (the consensus driver seam) starts a round and reports the hint', async () => {
  const [local, ahead] = (await memoryPeers(['local', 'ahead'])) as [Network, Network]
  serve(ahead, { head: 12n })
  const chain = localChain()
  const sync = createBlockSync({ network: local, localHead: chain.localHead, verifyAndImport: chain.verifyAndImport })
  sync.requestSync(12n)
  assert.equal(sync.progress().highestBlock, 12n)
  await waitFor(() => chain.state.head === 12n, 'sync after requestSync')
  // Concurrent requests share one round.
  const first = sync.trigger()
  assert.equal(sync.trigger(), first)
  await first
})

test('block sync: the periodic loop picks up new blocks and stops cleanly', async () => {
  const [local, ahead] = (await memoryPeers(['local', 'ahead'])) as [Network, Network]
  const remote = { head: 0n }
  serve(ahead, remote)
  const chain = localChain()
  const sync = createBlockSync({ network: local, localHead: chain.localHead, verifyAndImport: chain.verifyAndImport })
  sync.start(20)
  remote.head = 10n
  await waitFor(() => chain.state.head === 10n, 'first catch-up')
  remote.head = 25n
  await waitFor(() => chain.state.head === 25n, 'second catch-up')
  await sync.stop()
  assert.throws(() => createBlockSync({ network: local, localHead: chain.localHead, verifyAndImport: chain.verifyAndImport, batchSize: 0 }))
})

test('block sync over libp2p: 1,000 blocks of 2 KiB', async () => {
  const keys = [randomBytes(32), randomBytes(32)]
  const permitted = new Set(keys.map(peerIdFromNodeKey))
  const source = await createLibp2pNetwork({ privateKey: keys[0] as Uint8Array, listen: { host: '127.0.0.1', port: 0 }, permittedPeerIds: permitted })
  await source.start()
  const observer = await createLibp2pNetwork({
    privateKey: keys[1] as Uint8Array,
    listen: { host: '127.0.0.1', port: 0 },
    permittedPeerIds: permitted,
    staticPeers: [{ peerId: source.peerId, host: '127.0.0.1', port: source.listenPort() }],
  })
  await observer.start()
  try {
    await waitConnected([source, observer])
    const blocks = Array.from({ length: 1_001 }, (_, h) => fakeBlock(BigInt(h), 2048))
    source.onStatusRequest(() => ({ head: 1_000n, headHash: new Uint8Array(32) }))
    source.onSyncRequest(async ({ from, count }) => blocks.slice(Number(from), Number(from) + count))
    let head = 0n
    const sync = createBlockSync({
      network: observer,
      localHead: () => head,
      verifyAndImport: async (block, height) => {
        assert.ok(equalBytes(block, blocks[Number(height)] as Uint8Array), `block ${height}`)
        head = height
      },
    })
    const started = performance.now()
    const result = await sync.syncOnce()
    const ms = performance.now() - started
    console.log(JSON.stringify({ bench: 'p2p block sync', blocks: 1000, blockBytes: 2048, ms: Math.round(ms) }))
    assert.equal(result.head, 1_000n)
    assert.equal(result.imported, 1_000)
    assert.ok(ms < 20_000, `sync took ${ms} ms`)
  } finally {
    await Promise.all([source.stop(), observer.stop()])
  }
})
