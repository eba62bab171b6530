import assert from 'node:assert/strict'
import { createServer as createHttpServer } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createFastPath } from './fastHttp.js'
import { createRpcServer, type RpcServer } from './server.js'
import { createFakeRpcBackend } from './testing/fakeRpcBackend.js'

/** What the raw client read: each HTTP response's status, headers and body, and whether the server closed. */
interface RawExchange {
  responses: { status: number; headers: Map<string, string>; body: string }[]
  closedByServer: boolean
}

const WAIT_MS = 5_000

/**
 * Writes `chunks` on one fresh connection (an immediate turn apart), then reads until `expected` responses
 * arrived or the server closed, within WAIT_MS. `halfClose` shuts our side after the last chunk.
 */
function exchange(port: number, chunks: (string | Buffer)[], expected: number, halfClose = false): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    let received = Buffer.alloc(0)
    const result: RawExchange = { responses: [], closedByServer: false }
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`got ${result.responses.length} of ${expected} responses within ${WAIT_MS} ms`))
    }, WAIT_MS)
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const parse = () => {
      for (;;) {
        const headEnd = received.indexOf('\r\n\r\n')
        if (headEnd < 0) return
        const lines = received.toString('latin1', 0, headEnd).split('\r\n')
        const headers = new Map<string, string>()
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':')
          headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
        }
        const length = Number(headers.get('content-length') ?? 0)
        if (received.length < headEnd + 4 + length) return
        const body = received.toString('utf8', headEnd + 4, headEnd + 4 + length)
        result.responses.push({ status: Number((lines[0] as string).split(' ')[1]), headers, body })
        received = received.subarray(headEnd + 4 + length)
      }
    }
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      parse()
      if (result.responses.length >= expected && !halfClose) done()
    })
    socket.on('end', () => {
      result.closedByServer = true
      done()
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('connect', () => {
      const write = (i: number): void => {
        if (i === chunks.length) {
          if (halfClose) socket.end()
          return
        }
        socket.write(chunks[i] as string | Buffer)
        setImmediate(() => write(i + 1))
      }
      write(0)
    })
  })
}

function post(body: string, extraHeaders = ''): string {
  return `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extraHeaders}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

const CHAIN_ID = '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}'
const BALANCE = '{"jsonrpc":"2.0","id":2,"method":"eth_getBalance","params":["0x0000000000000000000000000000000000000001","latest"]}'

describe('rpc server: the JSON-RPC fast path and its hand-over to node:http', () => {
  let server: RpcServer

  before(async () => {
    server = await createRpcServer({ backend: createFakeRpcBackend(), port: 0, maxBodyBytes: 4096, logger: { error: () => undefined } })
  })
  after(() => server.close())

  it('answers pipelined requests in request order, an asynchronous answer before a synchronous one', async () => {
    const { responses, closedByServer } = await exchange(server.port, [post(BALANCE) + post(CHAIN_ID)], 2)
    assert.equal(closedByServer, false)
    assert.deepEqual(
      responses.map((r) => JSON.parse(r.body).id),
      [2, 1],
    )
    for (const r of responses) {
      assert.equal(r.status, 200)
      assert.equal(r.headers.get('content-type'), 'application/json')
      assert.equal(r.headers.get('access-control-allow-origin'), '*')
      assert.equal(r.headers.get('connection'), 'keep-alive')
      assert.ok(r.headers.has('date'))
      assert.equal(r.headers.get('content-length'), String(Buffer.byteLength(r.body)))
    }
  })

  it('reads a head and body split over many writes, with a multi-byte character across them', async () => {
    const body = '{"jsonrpc":"2.0","id":"é","method":"eth_chainId","params":[]}'
    const whole = Buffer.from(post(body))
    const splitAt = whole.indexOf(Buffer.from('é')) + 1 // inside the two bytes of é
    const { responses } = await exchange(server.port, [whole.subarray(0, 10), whole.subarray(10, splitAt), whole.subarray(splitAt)], 1)
    assert.deepEqual(JSON.parse(responses[0]?.body ?? ''), { jsonrpc: '2.0', id: 'é', result: '0x539' })
  })

  it('hands a connection to node:http at a request it does not serve, and node:http keeps it', async () => {
    const get = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
    const { responses, closedByServer } = await exchange(server.port, [post(CHAIN_ID), get, post(BALANCE)], 3)
    assert.equal(closedByServer, false)
    assert.equal(JSON.parse(responses[0]?.body ?? '').result, '0x539')
    assert.equal(JSON.parse(responses[1]?.body ?? '').service, 'Stele JSON-RPC')
    assert.equal(JSON.parse(responses[2]?.body ?? '').id, 2)
  })

  it('leaves requests with ambiguous framing to node:http, which refuses them: one answer, no second request smuggled', async () => {
    const smuggled = post(CHAIN_ID, 'Transfer-Encoding: chunked\r\n')
    const twice = `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 60\r\n\r\n{}`
    for (const request of [smuggled, twice]) {
      const { responses, closedByServer } = await exchange(server.port, [request], 1)
      assert.equal(responses.length, 1)
      assert.equal(responses[0]?.status, 400)
      assert.equal(closedByServer || responses.length === 1, true)
    }
  })

  it('lets node:http answer a request without Host, and one with bare LF line ends, instead of waiting for more', async () => {
    const noHost = `POST / HTTP/1.1\r\nContent-Length: ${CHAIN_ID.length}\r\n\r\n${CHAIN_ID}`
    const bareLf = `POST / HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ${CHAIN_ID.length}\n\n${CHAIN_ID}`
    const missingHost = await exchange(server.port, [noHost], 1)
    assert.equal(missingHost.responses[0]?.status, 400)
    const lf = await exchange(server.port, [bareLf], 1)
    assert.equal(lf.responses.length, 1, 'answered, not left waiting for a CRLF CRLF that never comes')
  })

  it('closes after answering a request that asks for it', async () => {
    const { responses, closedByServer } = await exchange(server.port, [post(BALANCE, 'Connection: close\r\n') + post(CHAIN_ID)], 2)
    assert.equal(responses.length, 1, 'nothing after the request that closed')
    assert.equal(responses[0]?.headers.get('connection'), 'close')
    assert.equal(closedByServer, true)
  })

  it('answers a client that shuts its side after sending, then closes', async () => {
    const { responses, closedByServer } = await exchange(server.port, [post(BALANCE)], 1, true)
    assert.equal(JSON.parse(responses[0]?.body ?? '').id, 2)
    assert.equal(closedByServer, true)
  })

  it('hands a body over the limit to node:http, which refuses it with 413', async () => {
    const big = `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["${'a'.repeat(5000)}"]}`
    const { responses } = await exchange(server.port, [post(big)], 1)
    assert.equal(responses[0]?.status, 413)
  })
})

describe('createFastPath: which requests it serves itself', () => {
  it('serves plain POSTs itself and hands the rest of the connection to node:http from the first other request', async () => {
    const servedHere: string[] = []
    const servedByNodeHttp: string[] = []
    const fallback = createHttpServer((req, res) => {
      servedByNodeHttp.push(`${req.method} ${req.url}`)
      req.resume()
      req.on('end', () => res.end('{}'))
    })
    const fastPath = createFastPath({
      fallback,
      maxBodyBytes: 1024,
      isRpcTarget: (target) => target === '/',
      okHeaderLines: 'Content-Type: application/json\r\n',
      answer: (body) => {
        servedHere.push(body)
        return Promise.resolve('{"ok":true}')
      },
      onFailure: () => '{}',
      keepAliveMs: 10_000,
    })
    const sockets = new Set<Socket>()
    const listener = createNetServer({ allowHalfOpen: true }, (socket) => {
      sockets.add(socket)
      fastPath.accept(socket)
    })
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    const port = (listener.address() as AddressInfo).port
    try {
      const other = `POST /v1/telemetry HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`
      const { responses } = await exchange(port, [post('{"a":1}'), post('{"a":2}'), other, post('{"a":3}')], 4)
      assert.equal(responses.length, 4)
      assert.deepEqual(servedHere, ['{"a":1}', '{"a":2}'])
      assert.deepEqual(servedByNodeHttp, ['POST /v1/telemetry', 'POST /'])
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => listener.close(resolve))
    }
  })
})
