import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { bytesToHex } from '../primitives/bytes.js'
import { createRpcServer, type RpcServer } from './server.js'
import { ADDRESS_A, TOKEN, TRANSFER_TOPIC, createFakeRpcBackend, signTransfer, type FakeRpcBackend } from './testing/fakeRpcBackend.js'
import { openTestSocket, rpcError, rpcResult } from './testing/rpcTestClient.js'

type Json = Record<string, unknown>

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('WebSocket JSON-RPC and subscriptions', () => {
  let backend: FakeRpcBackend
  let server: RpcServer
  before(async () => {
    backend = createFakeRpcBackend()
    server = await createRpcServer({ backend, port: 0, maxBodyBytes: 2048, logger: { error: () => {} } })
  })
  after(() => server.close())

  it('answers calls and batches on the same port', async () => {
    const socket = await openTestSocket(server.wsUrl)
    assert.deepEqual((await socket.call('eth_chainId')).result, '0x539')
    assert.equal((await socket.call('nope')).error?.code, -32601)
    await socket.close()
  })

  it('newHeads delivers the header of each new block', async () => {
    const socket = await openTestSocket(server.wsUrl)
    const id = (await socket.call('eth_subscribe', ['newHeads'])).result as string
    assert.match(id, /^0x[0-9a-f]{32}$/)
    const block = backend.mine([])
    const head = (await socket.nextNotification(id)) as Json
    assert.equal(head['hash'], bytesToHex(block.hash))
    assert.equal(head['number'], `0x${block.header.number.toString(16)}`)
    assert.equal(head['parentHash'], bytesToHex(block.header.parentHash))
    assert.equal(head['transactions'], undefined)
    assert.equal((await socket.call('eth_unsubscribe', [id])).result, true)
    assert.equal((await socket.call('eth_unsubscribe', [id])).result, false)
    backend.mine([])
    // Unsubscribed: an eth_chainId round trip after the block proves no notification was queued before it.
    await socket.call('eth_chainId')
    assert.equal(socket.pendingNotifications(id).length, 0)
    await socket.close()
  })

  it('logs subscription delivers matching logs only, one notification each', async () => {
    const socket = await openTestSocket(server.wsUrl)
    const matching = (await socket.call('eth_subscribe', ['logs', { address: bytesToHex(TOKEN), topics: [bytesToHex(TRANSFER_TOPIC)] }])).result as string
    const other = (await socket.call('eth_subscribe', ['logs', { address: `0x${'77'.repeat(20)}` }])).result as string
    await rpcResult(server.url, 'eth_sendRawTransaction', [bytesToHex(signTransfer(3n))])
    await rpcResult(server.url, 'eth_sendRawTransaction', [bytesToHex(signTransfer(4n))])
    const block = backend.mine()
    const first = (await socket.nextNotification(matching)) as Json
    const second = (await socket.nextNotification(matching)) as Json
    assert.equal(first['blockHash'], bytesToHex(block.hash))
    assert.deepEqual([first['logIndex'], second['logIndex']], ['0x0', '0x1'])
    assert.equal(first['removed'], false)
    await socket.call('eth_chainId')
    assert.equal(socket.pendingNotifications(other).length, 0)
    await socket.close()
  })

  it('newPendingTransactions delivers hashes, or full transactions with true', async () => {
    const socket = await openTestSocket(server.wsUrl)
    const hashes = (await socket.call('eth_subscribe', ['newPendingTransactions'])).result as string
    const full = (await socket.call('eth_subscribe', ['newPendingTransactions', true])).result as string
    const hash = await rpcResult<string>(server.url, 'eth_sendRawTransaction', [bytesToHex(signTransfer(5n))])
    assert.equal(await socket.nextNotification(hashes), hash)
    const tx = (await socket.nextNotification(full)) as Json
    assert.equal(tx['hash'], hash)
    assert.equal(tx['from'], bytesToHex(ADDRESS_A))
    assert.equal(tx['blockHash'], null)
    await socket.close()
    backend.mine()
  })

  it('an unknown subscription kind is invalid params', async () => {
    const socket = await openTestSocket(server.wsUrl)
    const response = await socket.call('eth_subscribe', ['syncing2'])
    assert.equal(response.error?.code, -32602)
    await socket.close()
  })

  it('closing a connection removes its backend listeners', async () => {
    const baseline = backend.listenerCount()
    const socket = await openTestSocket(server.wsUrl)
    await socket.call('eth_subscribe', ['newHeads'])
    await socket.call('eth_subscribe', ['newPendingTransactions'])
    assert.deepEqual(backend.listenerCount(), { blocks: baseline.blocks + 1, pending: baseline.pending + 1 })
    await socket.close()
    await waitFor(() => backend.listenerCount().blocks === baseline.blocks && backend.listenerCount().pending === baseline.pending, 'listeners released')
  })

  it('a client that stops answering pings is dropped and its subscriptions end', async () => {
    const local = createFakeRpcBackend()
    const pinging = await createRpcServer({ backend: local, port: 0, wsPingIntervalMs: 250, logger: { error: () => {} } })
    try {
      const silent = new WebSocket(pinging.wsUrl, { autoPong: false })
      await withTimeout(new Promise((resolve) => silent.once('open', resolve)), 5_000, 'open')
      const polite = await openTestSocket(pinging.wsUrl)
      const closed = new Promise((resolve) => silent.once('close', resolve))
      silent.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }))
      await polite.call('eth_subscribe', ['newHeads'])
      await waitFor(() => local.listenerCount().blocks === 2, 'both subscribed')
      await withTimeout(closed, 5_000, 'the silent client to be dropped')
      await waitFor(() => local.listenerCount().blocks === 1, 'the silent client released')
      // The client that answers pings keeps its subscription.
      const id = (await polite.call('eth_subscribe', ['newHeads'])).result as string
      local.mine([])
      assert.ok(await polite.nextNotification(id))
      await polite.close()
    } finally {
      await pinging.close()
    }
  })

  it('a message over the size limit closes the connection with 1009', async () => {
    const ws = new WebSocket(server.wsUrl)
    await withTimeout(new Promise((resolve) => ws.once('open', resolve)), 5_000, 'open')
    const code = await withTimeout(
      new Promise<number>((resolve) => {
        ws.once('close', (c) => resolve(c))
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'web3_sha3', params: [`0x${'ab'.repeat(2048)}`] }))
      }),
      5_000,
      'close',
    )
    assert.equal(code, 1009)
  })

  it('malformed WebSocket JSON is a parse error, and the connection stays usable', async () => {
    const ws = new WebSocket(server.wsUrl)
    await withTimeout(new Promise((resolve) => ws.once('open', resolve)), 5_000, 'open')
    const replies: unknown[] = []
    ws.on('message', (data) => replies.push(JSON.parse(data.toString())))
    ws.send('{not json')
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_chainId' }))
    await waitFor(() => replies.length === 2, 'two replies')
    assert.deepEqual(replies[0], { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } })
    assert.deepEqual(replies[1], { jsonrpc: '2.0', id: 2, result: '0x539' })
    ws.close()
  })
})

describe('polling filters', () => {
  let backend: FakeRpcBackend
  let server: RpcServer
  before(async () => {
    backend = createFakeRpcBackend()
    server = await createRpcServer({ backend, port: 0, filterTimeoutMs: 60_000, logger: { error: () => {} } })
  })
  after(() => server.close())

  it('a block filter returns each new block hash once', async () => {
    const id = await rpcResult<string>(server.url, 'eth_newBlockFilter')
    assert.deepEqual(await rpcResult(server.url, 'eth_getFilterChanges', [id]), [])
    const b1 = backend.mine([])
    const b2 = backend.mine([])
    assert.deepEqual(await rpcResult(server.url, 'eth_getFilterChanges', [id]), [bytesToHex(b1.hash), bytesToHex(b2.hash)])
    assert.deepEqual(await rpcResult(server.url, 'eth_getFilterChanges', [id]), [])
    assert.equal(await rpcResult(server.url, 'eth_uninstallFilter', [id]), true)
    assert.equal(await rpcResult(server.url, 'eth_uninstallFilter', [id]), false)
    assert.deepEqual(await rpcError(server.url, 'eth_getFilterChanges', [id]), { code: -32000, message: 'filter not found' })
  })

  it('a pending transaction filter returns new hashes once', async () => {
    const id = await rpcResult<string>(server.url, 'eth_newPendingTransactionFilter')
    const hash = await rpcResult<string>(server.url, 'eth_sendRawTransaction', [bytesToHex(signTransfer(3n))])
    assert.deepEqual(await rpcResult(server.url, 'eth_getFilterChanges', [id]), [hash])
    assert.deepEqual(await rpcResult(server.url, 'eth_getFilterChanges', [id]), [])
    await rpcResult(server.url, 'eth_uninstallFilter', [id])
    backend.mine()
  })

  it('a log filter returns new matching logs once, and getFilterLogs returns its whole range', async () => {
    const id = await rpcResult<string>(server.url, 'eth_newFilter', [{ fromBlock: '0x1', address: bytesToHex(TOKEN), topics: [bytesToHex(TRANSFER_TOPIC)] }])
    assert.deepEqual(await rpcResult(server.url, 'eth_getFilterChanges', [id]), [])
    await rpcResult(server.url, 'eth_sendRawTransaction', [bytesToHex(signTransfer(4n))])
    const block = backend.mine()
    const changes = await rpcResult<Json[]>(server.url, 'eth_getFilterChanges', [id])
    assert.equal(changes.length, 1)
    assert.equal(changes[0]!['blockHash'], bytesToHex(block.hash))
    assert.deepEqual(await rpcResult(server.url, 'eth_getFilterChanges', [id]), [])
    const all = await rpcResult<Json[]>(server.url, 'eth_getFilterLogs', [id])
    // Blocks 1 and 2 hold one Transfer each; every mined block since holds one per transaction.
    const expected = await rpcResult<Json[]>(server.url, 'eth_getLogs', [{ fromBlock: '0x1', address: bytesToHex(TOKEN), topics: [bytesToHex(TRANSFER_TOPIC)] }])
    assert.deepEqual(all, expected)
    assert.ok(all.length >= 3)
    const blockFilter = await rpcResult<string>(server.url, 'eth_newBlockFilter')
    assert.deepEqual(await rpcError(server.url, 'eth_getFilterLogs', [blockFilter]), { code: -32000, message: 'filter not found' })
  })

  it('filters expire after the idle timeout and release backend listeners', async () => {
    let now = 0
    const { createFilterManager } = await import('./filters.js')
    const local = createFakeRpcBackend()
    const filters = createFilterManager(local, { timeoutMs: 1000, now: () => now })
    const kept = filters.newBlockFilter()
    const dropped = filters.newPendingTransactionFilter()
    assert.deepEqual(local.listenerCount(), { blocks: 1, pending: 1 })
    now = 900
    filters.changes(kept)
    now = 1500
    assert.deepEqual(filters.changes(kept), [])
    assert.throws(() => filters.changes(dropped), /filter not found/)
    assert.equal(filters.size(), 1)
    assert.deepEqual(local.listenerCount(), { blocks: 1, pending: 0 })
    filters.close()
    assert.deepEqual(local.listenerCount(), { blocks: 0, pending: 0 })
  })

  it('a filter buffer is bounded', async () => {
    const { createFilterManager } = await import('./filters.js')
    const local = createFakeRpcBackend()
    const filters = createFilterManager(local, { maxBuffered: 2 })
    const id = filters.newBlockFilter()
    const blocks = [local.mine([]), local.mine([]), local.mine([])]
    assert.deepEqual(filters.changes(id), blocks.slice(1).map((b) => bytesToHex(b.hash)))
    filters.close()
  })
})
