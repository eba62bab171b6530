import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { createRpcServer, type RpcServer } from './server.js'
import { createFakeRpcBackend, type FakeRpcBackend } from './testing/fakeRpcBackend.js'
import { postJson, rpcCall, rpcError } from './testing/rpcTestClient.js'

describe('rpc server transport', () => {
  let backend: FakeRpcBackend
  let server: RpcServer
  const logged: string[] = []

  before(async () => {
    backend = createFakeRpcBackend()
    server = await createRpcServer({
      backend,
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 4096,
      maxBatchSize: 5,
      logger: { error: (message) => logged.push(message) },
    })
  })
  after(() => server.close())

  it('reports its urls on the chosen port', () => {
    assert.ok(server.port > 0)
    assert.equal(server.url, `http://127.0.0.1:${server.port}`)
    assert.equal(server.wsUrl, `ws://127.0.0.1:${server.port}`)
  })

  it('answers a single request with the same id', async () => {
    const { status, json, headers } = await postJson(server.url, { jsonrpc: '2.0', id: 'abc', method: 'eth_chainId', params: [] })
    assert.equal(status, 200)
    assert.equal(headers.get('content-type'), 'application/json')
    assert.equal(headers.get('access-control-allow-origin'), '*')
    assert.deepEqual(json, { jsonrpc: '2.0', id: 'abc', result: '0x539' })
  })

  it('answers with a Content-Length (not chunked) and a body that arrived in several chunks', async () => {
    const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      })
      req.on('error', reject)
      req.flushHeaders()
      req.write('{"jsonrpc":"2.0","id":"é",')
      setImmediate(() => req.end('"method":"eth_chainId","params":[]}'))
    })
    assert.equal(status, 200)
    assert.equal(headers['transfer-encoding'], undefined)
    assert.equal(headers['content-length'], String(Buffer.byteLength(body)))
    assert.deepEqual(JSON.parse(body), { jsonrpc: '2.0', id: 'é', result: '0x539' })
  })

  it('accepts a missing params field', async () => {
    const { json } = await postJson(server.url, { jsonrpc: '2.0', id: 7, method: 'eth_blockNumber' })
    assert.deepEqual(json, { jsonrpc: '2.0', id: 7, result: '0x2' })
  })

  it('answers a batch in order, errors in place', async () => {
    const { json } = await postJson(server.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'nope_nothing', params: [] },
      { jsonrpc: '2.0', id: 3, method: 'net_version', params: [] },
    ])
    assert.deepEqual(json, [
      { jsonrpc: '2.0', id: 1, result: '0x539' },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'the method nope_nothing does not exist/is not available' } },
      { jsonrpc: '2.0', id: 3, result: '1337' },
    ])
  })

  it('refuses an empty batch as an invalid request', async () => {
    const { json } = await postJson(server.url, [])
    assert.deepEqual(json, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'empty batch' } })
  })

  it('refuses a batch over the limit with the first id', async () => {
    const calls = Array.from({ length: 6 }, (_, i) => ({ jsonrpc: '2.0', id: i + 10, method: 'eth_chainId', params: [] }))
    const { json } = await postJson(server.url, calls)
    assert.deepEqual(json, [{ jsonrpc: '2.0', id: 10, error: { code: -32600, message: 'batch too large' } }])
  })

  it('answers malformed JSON with a parse error', async () => {
    const { status, json } = await postJson(server.url, '{"jsonrpc":"2.0","id":1,"method":')
    assert.equal(status, 200)
    assert.deepEqual(json, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } })
  })

  it('answers a non-object request and a missing method with invalid request', async () => {
    assert.deepEqual((await postJson(server.url, 42)).json, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request' } })
    assert.deepEqual((await postJson(server.url, { jsonrpc: '2.0', id: 4 })).json, {
      jsonrpc: '2.0',
      id: 4,
      error: { code: -32600, message: 'invalid request' },
    })
    const { json } = await postJson(server.url, [1, { jsonrpc: '2.0', id: 5, method: 'eth_chainId' }])
    assert.deepEqual(json, [
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request' } },
      { jsonrpc: '2.0', id: 5, result: '0x539' },
    ])
  })

  it('refuses by-name params', async () => {
    const { json } = await postJson(server.url, { jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: { address: '0x00' } })
    assert.deepEqual(json, { jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'non-array args' } })
  })

  it('sends nothing back for notifications', async () => {
    const single = await postJson(server.url, { jsonrpc: '2.0', method: 'eth_chainId', params: [] })
    assert.equal(single.status, 200)
    assert.equal(single.text, '')
    const batch = await postJson(server.url, [
      { jsonrpc: '2.0', method: 'eth_chainId' },
      { jsonrpc: '2.0', id: 9, method: 'eth_chainId' },
    ])
    assert.deepEqual(batch.json, [{ jsonrpc: '2.0', id: 9, result: '0x539' }])
  })

  it('refuses a body over the limit with 413 and a JSON-RPC error (declared length)', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'web3_sha3', params: [`0x${'ab'.repeat(4096)}`] })
    const { status, json } = await postJson(server.url, big)
    assert.equal(status, 413)
    assert.deepEqual(json, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request body too large: limit is 4096 bytes' } })
  })

  it('refuses a chunked body once it passes the limit', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.write(`{"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x`)
      req.write('ab'.repeat(3000))
      req.end('"]}')
    })
    assert.equal(status, 413)
    assert.equal((JSON.parse(body) as { error: { code: number } }).error.code, -32600)
    // The server still serves afterwards.
    assert.equal((await rpcCall(server.url, 'eth_chainId')).result, '0x539')
  })

  it('answers a CORS preflight', async () => {
    const response = await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'http://wallet.example', 'access-control-request-method': 'POST' } })
    assert.equal(response.status, 204)
    assert.equal(response.headers.get('access-control-allow-origin'), '*')
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/)
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /Content-Type/i)
    const custom = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://wallet.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-wallet' },
    })
    assert.equal(custom.headers.get('access-control-allow-headers'), 'content-type,x-wallet')
  })

  it('describes itself on GET and refuses other HTTP methods with 405', async () => {
    const get = await fetch(server.url)
    assert.equal(get.status, 200)
    const info = (await get.json()) as { clientVersion: string; chainId: string }
    assert.equal(info.clientVersion, 'stele/v0.1.0-test')
    assert.equal(info.chainId, '0x539')
    const put = await fetch(server.url, { method: 'PUT', body: '{}' })
    assert.equal(put.status, 405)
    assert.match(put.headers.get('allow') ?? '', /POST/)
  })

  it('serves the backend extra methods and maps their SteleErrors', async () => {
    assert.deepEqual((await rpcCall(server.url, 'stele_echo', [1, 'x'])).result, [1, 'x'])
    assert.deepEqual(await rpcError(server.url, 'stele_fail'), { code: -32000, message: 'not a validator' })
  })

  it('turns an unexpected exception into -32603 and logs it, without crashing', async () => {
    backend.failNextCall = new TypeError('boom')
    const before = logged.length
    const error = await rpcError(server.url, 'eth_call', [{ to: `0x${'11'.repeat(20)}` }])
    assert.deepEqual(error, { code: -32603, message: 'internal error' })
    assert.equal(logged.length, before + 1)
    backend.failNextCall = new SteleError(ErrorCode.Storage, 'disk on fire')
    assert.equal((await rpcError(server.url, 'eth_call', [{ to: `0x${'11'.repeat(20)}` }])).code, -32603)
    assert.equal((await rpcCall(server.url, 'eth_chainId')).result, '0x539')
  })

  it('refuses eth_subscribe over HTTP like geth', async () => {
    assert.deepEqual(await rpcError(server.url, 'eth_subscribe', ['newHeads']), { code: -32601, message: 'notifications not supported' })
  })

  it('closes idempotently', async () => {
    const other = await createRpcServer({ backend, port: 0 })
    await Promise.all([other.close(), other.close()])
    await assert.rejects(fetch(other.url))
  })
})

describe('rpc server construction', () => {
  it('refuses an extra method that shadows a standard one', async () => {
    const backend = createFakeRpcBackend()
    backend.extraMethods = () => ({ eth_chainId: () => '0x1' })
    await assert.rejects(createRpcServer({ backend, port: 0 }), /shadow a standard method/)
  })
})
