import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/**
 * The JSON-RPC fast path: plain HTTP/1.1 POSTs with a Content-Length, framed here on the raw socket instead
 * of by node:http (docs/adr/0014-json-rpc-fast-path.md). node:http costs about 7 µs of CPU more per request
 * than this framing, and its request and response objects are most of a request's garbage; a dev node
 * under single requests spends about a tenth of its main thread there.
 *
 * Anything else (another method, chunked bodies, `Expect`, upgrades, HTTP/1.0, a missing Host, a body
 * over the limit, any header this reader does not fully understand) hands the connection to node:http as
 * it is, at a request boundary and with the bytes already read, and node:http serves it from then on. So
 * the rules for anything unusual stay node:http's: this path only ever accepts what node:http would
 * accept and answer the same way.
 */
export interface FastPathOptions {
  /** The node:http server that takes a connection this path does not serve. It need not listen. */
  fallback: Server
  /** Bodies up to this many bytes are read here; larger ones go to node:http, which refuses them. */
  maxBodyBytes: number
  /** Whether a POST to this request target is JSON-RPC (else node:http serves it, e.g. another route). */
  isRpcTarget: (target: string) => boolean
  /** Header lines sent with every 200, each ending in CRLF (no Content-Length, Date or Connection). */
  okHeaderLines: string
  /** The JSON-RPC answer to a body: undefined for notifications only. */
  answer: (body: string) => string | undefined | Promise<string | undefined>
  /** Called when answer throws or rejects; the request gets a 500 with this body. */
  onFailure: (error: unknown) => string
  /** A keep-alive connection idle this long between requests is closed. */
  keepAliveMs: number
}

export interface FastPath {
  /** Serves a new connection: the `net` server's connection listener. */
  accept(socket: Socket): void
}

/** node:http's default limit on a request's header section (--max-http-header-size). */
const MAX_HEADER_BYTES = 16 * 1024
const HEADER_END = Buffer.from('\r\n\r\n')
const BARE_LF_END = Buffer.from('\n\n')
const REQUEST_LINE = /^POST (\/[!-~]*) HTTP\/1\.1$/
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Field values node:http refuses: control characters other than horizontal tab. */
const INVALID_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/

interface Framed {
  target: string
  contentLength: number
  close: boolean
}

export function createFastPath(options: FastPathOptions): FastPath {
  let dateSecond = -1
  let dateLine = ''

  function httpDate(): string {
    const now = Date.now()
    const second = Math.floor(now / 1000)
    if (second !== dateSecond) {
      dateSecond = second
      dateLine = `Date: ${new Date(now).toUTCString()}\r\n`
    }
    return dateLine
  }

  const keepAliveLine = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(options.keepAliveMs / 1000)}\r\n`

  function accept(socket: Socket): void {
    /** Bytes received and not yet served: `parts` until a request may be complete, then one buffer. */
    let parts: Buffer[] = []
    let size = 0
    /** Bytes needed before parsing is worth trying again (a whole request, once its head is read). */
    let needed = 1
    let busy = false
    let readEnded = false
    let closing = false

    // Idle between requests; an answer that takes longer (a slow eth_call) keeps its connection.
    const onTimeout = () => {
      if (!busy) socket.destroy()
    }
    const onError = () => socket.destroy()
    const onEnd = () => {
      readEnded = true
      if (!busy) finishConnection()
    }
    socket.setNoDelay(true)
    socket.setTimeout(options.keepAliveMs)
    socket.on('timeout', onTimeout)
    socket.on('error', onError)
    socket.on('end', onEnd)
    socket.on('data', onData)

    function onData(chunk: Buffer): void {
      if (closing) return
      parts.push(chunk)
      size += chunk.length
      if (busy) {
        // A client pipelining while its answer is computed: stop reading past one more whole request.
        if (size > options.maxBodyBytes + MAX_HEADER_BYTES) socket.pause()
        return
      }
      if (size >= needed) serveNext()
    }

    /** Serves the complete requests received, one at a time, so answers go out in request order. */
    function serveNext(): void {
      while (size > 0 && size >= needed && !busy && !closing) {
        const pending = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size)
        parts = [pending]
        const headerEnd = pending.indexOf(HEADER_END)
        if (headerEnd < 0) {
          // Bare LF line ends, or a head over node:http's limit: node:http decides what to answer.
          if (size > MAX_HEADER_BYTES || pending.includes(BARE_LF_END)) return handOver()
          needed = size + 1
          return
        }
        const framed = frame(pending.toString('latin1', 0, headerEnd))
        if (framed === undefined) return handOver()
        const bodyStart = headerEnd + HEADER_END.length
        const bodyEnd = bodyStart + framed.contentLength
        if (size < bodyEnd) {
          needed = bodyEnd
          return
        }
        const body = pending.toString('utf8', bodyStart, bodyEnd)
        const rest = pending.subarray(bodyEnd)
        parts = rest.length === 0 ? [] : [rest]
        size = rest.length
        needed = 1
        respond(body, framed.close)
      }
      if (!busy && readEnded) finishConnection()
    }

    /** The client sent its last byte: answer what is complete, then close our side too. */
    function finishConnection(): void {
      if (closing || socket.destroyed) return
      closing = true
      socket.end()
    }

    function frame(head: string): Framed | undefined {
      const lines = head.split('\r\n')
      const match = REQUEST_LINE.exec(lines[0] as string)
      if (match === null) return undefined
      const target = match[1] as string
      if (!options.isRpcTarget(target)) return undefined
      let contentLength = -1
      let close = false
      let host = false
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i] as string
        const colon = line.indexOf(':')
        if (colon <= 0) return undefined
        const name = line.slice(0, colon)
        if (!TOKEN.test(name)) return undefined
        const value = line.slice(colon + 1).trim()
        if (INVALID_VALUE.test(value)) return undefined
        switch (name.toLowerCase()) {
          case 'content-length':
            if (contentLength >= 0 || !/^\d{1,9}$/.test(value)) return undefined
            contentLength = Number(value)
            break
          case 'host':
            if (host) return undefined
            host = true
            break
          case 'connection': {
            const tokens = value.toLowerCase().split(',').map((t) => t.trim())
            if (tokens.includes('upgrade')) return undefined
            if (tokens.includes('close')) close = true
            break
          }
          case 'transfer-encoding':
          case 'upgrade':
          case 'expect':
            return undefined
        }
      }
      if (contentLength < 0 || contentLength > options.maxBodyBytes || !host) return undefined
      return { target, contentLength, close }
    }

    function respond(body: string, close: boolean): void {
      let answer: string | undefined | Promise<string | undefined>
      try {
        answer = options.answer(body)
      } catch (error) {
        return send(500, options.onFailure(error), close)
      }
      if (!(answer instanceof Promise)) return send(200, answer ?? '', close)
      busy = true
      answer.then(
        (text) => answered(200, text ?? '', close),
        (error: unknown) => answered(500, options.onFailure(error), close),
      )
    }

    function answered(status: 200 | 500, text: string, close: boolean): void {
      busy = false
      send(status, text, close)
      if (socket.isPaused()) socket.resume()
      serveNext()
    }

    function send(status: 200 | 500, text: string, close: boolean): void {
      if (socket.destroyed || closing) return
      const statusLine = status === 200 ? 'HTTP/1.1 200 OK\r\n' : 'HTTP/1.1 500 Internal Server Error\r\n'
      const connection = close ? 'Connection: close\r\n' : keepAliveLine
      socket.write(`${statusLine}${options.okHeaderLines}Content-Length: ${Buffer.byteLength(text)}\r\n${httpDate()}${connection}\r\n${text}`)
      if (close) {
        parts = []
        size = 0
        finishConnection()
      }
    }

    /** node:http serves this connection from here on, starting with the bytes not yet served. */
    function handOver(): void {
      const unread = size === 0 ? undefined : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size)
      parts = []
      size = 0
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('timeout', onTimeout)
      socket.off('error', onError)
      socket.setTimeout(0)
      options.fallback.emit('connection', socket)
      if (unread !== undefined) socket.emit('data', unread)
      if (readEnded) socket.emit('end')
    }
  }

  return { accept }
}
