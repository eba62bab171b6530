import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { createServer as createHttpServer } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createFastPath, type FastPathOptions } from './fastHttp.js'
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
      // Asks for two answers, so it reads on until the server closes (or fails after WAIT_MS).
      const { responses, closedByServer } = await exchange(server.port, [request], 2)
      assert.equal(responses.length, 1)
      assert.equal(responses[0]?.status, 400)
      assert.equal(closedByServer, true, 'node:http closes after refusing it')
    }
  })

  it('lets node:http answer a request without Host, and one with bare LF line ends, instead of waiting for more', async () => {
    const noHost = `POST / HTTP/1.1\r\nContent-Length: ${CHAIN_ID.length}\r\n\r\n${CHAIN_ID}`
    const bareLf = `POST / HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ${CHAIN_ID.length}\n\n${CHAIN_ID}`
    const missingHost = await exchange(server.port, [noHost], 1)
    assert.equal(missingHost.responses[0]?.status, 400)
    const lf = await exchange(server.port, [bareLf], 1)
    assert.equal(lf.responses[0]?.status, 400, 'refused by node:http, not left waiting for a CRLF CRLF that never comes')
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
})

describe('createFastPath: which requests it serves itself', () => {
  it('serves plain POSTs itself and hands the rest of the connection to node:http from the first other request', async () => {
    const servedHere: string[] = []
    const servedByNodeHttp: string[] = []
    const nodeHttp = createHttpServer((req, res) => {
      servedByNodeHttp.push(`${req.method} ${req.url}`)
      req.resume()
      req.on('end', () => res.end('{}'))
    })
    const nodeHttpListeners = nodeHttp.listeners('connection') as ((socket: Socket) => void)[]
    nodeHttp.removeAllListeners('connection')
    const fastPath = createFastPath({
      handOver: (socket) => nodeHttpListeners.forEach((listener) => listener.call(nodeHttp, socket)),
      maxBodyBytes: 1024,
      isRpcTarget: (target) => target === '/',
      okHeaderLines: 'Content-Type: application/json\r\n',
      answer: (body) => {
        servedHere.push(body)
        return Promise.resolve('{"ok":true}')
      },
      onFailure: () => '{}',
      keepAliveMs: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 10_000,
    })
    const sockets = new Set<Socket>()
    nodeHttp.on('connection', (socket: Socket) => {
      sockets.add(socket)
      fastPath.accept(socket)
    })
    const listener = nodeHttp
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

/** Just enough of a net.Socket for the fast path, with writes that report a full buffer until drained. */
class FakeSocket extends EventEmitter {
  written: string[] = []
  writesFit = true
  paused = false
  destroyed = false
  ended = false
  setNoDelay(): this {
    return this
  }
  setTimeout(): this {
    return this
  }
  write(text: string): boolean {
    this.written.push(text)
    return this.writesFit
  }
  pause(): this {
    this.paused = true
    return this
  }
  resume(): this {
    this.paused = false
    return this
  }
  isPaused(): boolean {
    return this.paused
  }
  destroySoon(): void {
    this.ended = true
  }
  destroy(): this {
    this.destroyed = true
    return this
  }
}

function fakeFastPath(overrides: Partial<FastPathOptions> = {}): { socket: FakeSocket; answered: string[]; handedOver: FakeSocket[] } {
  const answered: string[] = []
  const handedOver: FakeSocket[] = []
  const fastPath = createFastPath({
    handOver: (socket) => handedOver.push(socket as unknown as FakeSocket),
    maxBodyBytes: 1024,
    isRpcTarget: () => true,
    okHeaderLines: '',
    answer: (body) => {
      answered.push(body)
      return body
    },
    onFailure: () => '{}',
    keepAliveMs: 10_000,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 10_000,
    ...overrides,
  })
  const socket = new FakeSocket()
  fastPath.accept(socket as unknown as Socket)
  return { socket, answered, handedOver }
}

describe('createFastPath: limits', () => {
  it('stops serving and reading while its answers wait unread, and goes on once they drain', () => {
    const { socket, answered } = fakeFastPath()
    socket.writesFit = false
    socket.emit('data', Buffer.from(post('{"n":1}') + post('{"n":2}')))
    assert.deepEqual(answered, ['{"n":1}'], 'the second request waits for the first answer to drain')
    assert.equal(socket.paused, true)
    socket.writesFit = true
    socket.emit('drain')
    assert.deepEqual(answered, ['{"n":1}', '{"n":2}'])
    assert.equal(socket.paused, false)
  })

  it('answers 408 and closes when a request does not complete within its deadline, however it trickles', async () => {
    const { socket, answered } = fakeFastPath({ headersTimeoutMs: 30, requestTimeoutMs: 60 })
    socket.emit('data', Buffer.from('POST / HTTP/1.1\r\nHost: x\r\n'))
    const trickle = setInterval(() => socket.emit('data', Buffer.from('X: y\r\n')), 5)
    try {
      await waitFor(() => socket.ended, 5_000)
    } finally {
      clearInterval(trickle)
    }
    assert.match(socket.written.join(''), /^HTTP\/1\.1 408 /)
    assert.deepEqual(answered, [])
  })

  it('hands over a head whose value hides a line break or a vertical tab, and one over 16 KiB', () => {
    const sneaky = [
      `POST / HTTP/1.1\r\nHost: x\r\nX: y\n\r\nContent-Length: 2\r\n\r\n{}`,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \x0b2\r\n\r\n{}`,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\t\r\n\r\n{}`,
      `POST / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(17 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`,
    ]
    for (const request of sneaky) {
      const { socket, answered, handedOver } = fakeFastPath()
      socket.emit('data', Buffer.from(request, 'latin1'))
      assert.deepEqual(answered, [], JSON.stringify(request.slice(0, 60)))
      assert.equal(handedOver.length, 1)
    }
    // The same with a no-break space (0xa0) after the length: String.trim would have taken it.
    const { socket, answered, handedOver } = fakeFastPath()
    socket.emit('data', Buffer.concat([Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2'), Buffer.from([0xa0]), Buffer.from('\r\n\r\n{}')]))
    assert.deepEqual(answered, [])
    assert.equal(handedOver.length, 1)
  })

  it('hands a request cut short by the client to node:http, and closes after the last answer otherwise', () => {
    const cut = fakeFastPath()
    cut.socket.emit('data', Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{}'))
    cut.socket.emit('end')
    assert.equal(cut.handedOver.length, 1)
    const whole = fakeFastPath()
    whole.socket.emit('data', Buffer.from(post('{}')))
    whole.socket.emit('end')
    assert.deepEqual(whole.answered, ['{}'])
    assert.equal(whole.handedOver.length, 0)
    assert.equal(whole.socket.ended, true)
  })
})

async function waitFor(condition: () => boolean, boundMs: number): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > boundMs) throw new Error(`condition not met within ${boundMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
