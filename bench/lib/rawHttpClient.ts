import { connect, type Socket } from 'node:net'

/**
 * A minimal HTTP/1.1 client for the load generator: a fixed set of keep-alive sockets, one request in
 * flight per socket, requests pre-serialized (request line, headers and body in one buffer). It skips
 * everything node:http does per request (header objects, agent bookkeeping, streams), which on a
 * two-core host leaves that CPU to the node under test.
 */
export interface RawHttpClient {
  /** Sends a request built by `buildRequest` and resolves with the response body; rejects on non-2xx. */
  send(request: Buffer): Promise<string>
  close(): void
}

export function buildRequest(url: string, body: Buffer): Buffer {
  const target = new URL(url)
  const head = `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), body])
}

interface Pending {
  request: Buffer
  resolve(body: string): void
  reject(error: Error): void
}

const HEADER_END = Buffer.from('\r\n\r\n')

export function createRawHttpClient(url: string, connections: number): RawHttpClient {
  const target = new URL(url)
  const queue: Pending[] = []
  const idle: Conn[] = []
  const all = new Set<Conn>()
  let closed = false

  class Conn {
    socket: Socket
    buffer: Buffer = Buffer.alloc(0)
    current: Pending | undefined
    constructor() {
      this.socket = connect({ host: target.hostname, port: Number(target.port) })
      this.socket.setNoDelay(true)
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk))
      this.socket.on('error', (e) => this.fail(e))
      this.socket.on('close', () => this.fail(new Error('connection closed')))
      all.add(this)
    }
    start(p: Pending) {
      this.current = p
      this.socket.write(p.request)
    }
    onData(chunk: Buffer) {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
      const parsed = parseResponse(this.buffer)
      if (!parsed) return
      this.buffer = this.buffer.subarray(parsed.consumed)
      const p = this.current
      this.current = undefined
      if (parsed.keepAlive) release(this)
      else retire(this)
      if (!p) return
      if (parsed.status >= 200 && parsed.status < 300) p.resolve(parsed.body)
      else if (parsed.body.startsWith('{') || parsed.body.startsWith('[')) p.resolve(parsed.body)
      else p.reject(new Error(`HTTP ${parsed.status}: ${parsed.body.slice(0, 200)}`))
    }
    fail(error: Error) {
      all.delete(this)
      const i = idle.indexOf(this)
      if (i >= 0) idle.splice(i, 1)
      const p = this.current
      this.current = undefined
      p?.reject(error)
      this.socket.destroy()
      if (!closed) pump()
    }
  }

  function retire(conn: Conn) {
    all.delete(conn)
    conn.socket.removeAllListeners('close')
    conn.socket.end()
    pump()
  }

  function release(conn: Conn) {
    const next = queue.shift()
    if (next) conn.start(next)
    else idle.push(conn)
  }

  function pump() {
    while (queue.length > 0) {
      const conn = idle.pop() ?? (all.size < connections ? new Conn() : undefined)
      if (!conn) return
      conn.start(queue.shift() as Pending)
    }
  }

  return {
    send(request) {
      if (closed) return Promise.reject(new Error('client closed'))
      return new Promise((resolve, reject) => {
        queue.push({ request, resolve, reject })
        pump()
      })
    },
    close() {
      closed = true
      for (const c of all) c.socket.destroy()
      all.clear()
      idle.length = 0
      for (const p of queue.splice(0)) p.reject(new Error('client closed'))
    },
  }
}

/** Parses one complete response at the start of `buf`, or returns undefined if more bytes are needed. */
function parseResponse(buf: Buffer): { status: number; body: string; consumed: number; keepAlive: boolean } | undefined {
  const headerEnd = buf.indexOf(HEADER_END)
  if (headerEnd < 0) return undefined
  const head = buf.toString('latin1', 0, headerEnd)
  const status = Number(head.slice(9, 12))
  const lower = head.toLowerCase()
  const keepAlive = !/\r\nconnection:\s*close/.test(lower)
  const bodyStart = headerEnd + 4
  const length = /\r\ncontent-length:\s*(\d+)/.exec(lower)
  if (length) {
    const end = bodyStart + Number(length[1])
    if (buf.length < end) return undefined
    return { status, body: buf.toString('utf8', bodyStart, end), consumed: end, keepAlive }
  }
  if (/\r\ntransfer-encoding:\s*chunked/.test(lower)) {
    const parts: Buffer[] = []
    let pos = bodyStart
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos)
      if (lineEnd < 0) return undefined
      const size = Number.parseInt(buf.toString('latin1', pos, lineEnd), 16)
      const dataStart = lineEnd + 2
      if (size === 0) {
        // Last chunk: skip trailers up to the empty line.
        const end = buf.indexOf(HEADER_END, lineEnd)
        const consumed = buf.subarray(lineEnd, lineEnd + 4).equals(Buffer.from('\r\n\r\n')) ? lineEnd + 4 : end < 0 ? -1 : end + 4
        if (consumed < 0) return undefined
        return { status, body: Buffer.concat(parts).toString('utf8'), consumed, keepAlive }
      }
      if (buf.length < dataStart + size + 2) return undefined
      parts.push(buf.subarray(dataStart, dataStart + size))
      pos = dataStart + size + 2
    }
  }
  // No length and not chunked: only bodiless statuses are expected here.
  return { status, body: '', consumed: bodyStart, keepAlive }
}
