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
  /** Hands a connection to node:http: its server's own connection listener (server.ts). */
  handOver: (socket: Socket) => void
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
  /** Advertised as `Keep-Alive: timeout`; an idle connection is closed a second after it, as node:http does. */
  keepAliveMs: number
  /** A request's head must arrive within this long of the first read that left it incomplete (node:http's headersTimeout). */
  headersTimeoutMs: number
  /** And all of it within this long (node:http's requestTimeout). */
  requestTimeoutMs: number
}

export interface FastPath {
  /** Serves a new connection: the listener of the node:http server's `connection` event (server.ts). */
  accept(socket: Socket): void
}

/** node:http's default limit on a request's header section (--max-http-header-size). */
const MAX_HEADER_BYTES = 16 * 1024
const HEADER_END = Buffer.from('\r\n\r\n')
const BARE_LF_END = Buffer.from('\n\n')
const REQUEST_LINE = /^POST (\/[!-~]*) HTTP\/1\.1$/
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Field values node:http refuses: control characters other than horizontal tab (checked before trimming). */
const INVALID_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/
/** The optional whitespace around a field value: spaces and tabs only (String.trim takes more). */
const OWS_EDGES = /^[ \t]+|[ \t]+$/g
/** A Content-Length value as llhttp takes it: spaces or tabs before the digits, spaces only after. */
const CONTENT_LENGTH = /^[ \t]*(\d{1,9}) *$/
/** node:http's grace after the advertised keep-alive timeout, so a client reusing the connection at the limit does not race it. */
const KEEP_ALIVE_GRACE_MS = 1000
const REQUEST_TIMEOUT_ANSWER = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'

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
    /** An answer is being computed. */
    let busy = false
    /** Answers wait in the socket's write buffer because the client is not reading them. */
    let draining = false
    let readEnded = false
    let closing = false
    let handedOver = false
    /** Set while a request is partly received: the head's deadline, then the whole request's. */
    let deadline: NodeJS.Timeout | undefined
    let waitingSince = 0
    let headDeadline = false

    // Idle between requests; an answer that takes longer (a slow eth_call) keeps its connection.
    const onTimeout = () => {
      if (!busy && !draining) socket.destroy()
    }
    const onError = () => socket.destroy()
    const onEnd = () => {
      readEnded = true
      if (busy || draining) return
      // A request cut short by the client's FIN: node:http answers it (400) and closes.
      if (size > 0) return handOver()
      finishConnection()
    }
    const onDrain = () => {
      if (handedOver) return
      draining = false
      socket.resume()
      serveNext()
    }
    socket.setNoDelay(true)
    socket.setTimeout(options.keepAliveMs + KEEP_ALIVE_GRACE_MS)
    socket.on('timeout', onTimeout)
    socket.on('error', onError)
    socket.on('end', onEnd)
    socket.on('data', onData)

    function onData(chunk: Buffer): void {
      if (closing) return
      parts.push(chunk)
      size += chunk.length
      if (busy || draining) {
        // A client pipelining while it waits for an answer: stop reading past one more whole request.
        if (size > options.maxBodyBytes + MAX_HEADER_BYTES) socket.pause()
        return
      }
      if (size >= needed) serveNext()
    }

    /** Serves the complete requests received, one at a time, so answers go out in request order. */
    function serveNext(): void {
      while (size > 0 && size >= needed && !busy && !draining && !closing) {
        const pending = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size)
        parts = [pending]
        const headerEnd = pending.indexOf(HEADER_END)
        if (headerEnd < 0) {
          // Bare LF line ends, or a head over node:http's limit: node:http decides what to answer.
          if (size > MAX_HEADER_BYTES || pending.includes(BARE_LF_END)) return handOver()
          needed = size + 1
          return awaitRest(false)
        }
        if (headerEnd + HEADER_END.length > MAX_HEADER_BYTES) return handOver()
        const framed = frameRequest(pending.toString('latin1', 0, headerEnd), options)
        if (framed === undefined) return handOver()
        const bodyStart = headerEnd + HEADER_END.length
        const bodyEnd = bodyStart + framed.contentLength
        if (size < bodyEnd) {
          needed = bodyEnd
          return awaitRest(true)
        }
        const body = pending.toString('utf8', bodyStart, bodyEnd)
        const rest = pending.subarray(bodyEnd)
        parts = rest.length === 0 ? [] : [rest]
        size = rest.length
        needed = 1
        requestComplete()
        respond(body, framed.close)
      }
      if (busy || draining || closing || !readEnded) return
      // The client's FIN came with a request cut short: node:http answers it (400) and closes.
      if (size > 0) handOver()
      else finishConnection()
    }

    /**
     * A request is partly here. Reads do not extend its time, unlike the idle timeout: its head must arrive
     * within headersTimeoutMs of the first wait, and all of it within requestTimeoutMs of that same moment, as
     * node:http enforces.
     */
    function awaitRest(headIsHere: boolean): void {
      // Only two moments set a deadline: the first wait, and the head's arrival while the head's deadline runs.
      if (deadline !== undefined && !(headIsHere && headDeadline)) return
      const now = performance.now()
      if (deadline === undefined) waitingSince = now
      else clearTimeout(deadline)
      headDeadline = !headIsHere
      const limit = headIsHere ? options.requestTimeoutMs : options.headersTimeoutMs
      deadline = setTimeout(requestTimedOut, Math.max(0, waitingSince + limit - now))
      deadline.unref()
    }

    function requestComplete(): void {
      if (deadline === undefined) return
      clearTimeout(deadline)
      deadline = undefined
    }

    function requestTimedOut(): void {
      deadline = undefined
      if (handedOver || closing || socket.destroyed) return
      closing = true
      socket.write(REQUEST_TIMEOUT_ANSWER)
      socket.destroySoon()
    }

    /** After the last answer (the client's FIN, or `Connection: close`): close once it is written. */
    function finishConnection(): void {
      if (closing || socket.destroyed) return
      closing = true
      requestComplete()
      socket.destroySoon()
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
      if (draining || closing) return
      if (socket.isPaused()) socket.resume()
      serveNext()
    }

    function send(status: 200 | 500, text: string, close: boolean): void {
      if (socket.destroyed || closing) return
      const statusLine = status === 200 ? 'HTTP/1.1 200 OK\r\n' : 'HTTP/1.1 500 Internal Server Error\r\n'
      const connection = close ? 'Connection: close\r\n' : keepAliveLine
      const flushed = socket.write(`${statusLine}${options.okHeaderLines}Content-Length: ${Buffer.byteLength(text)}\r\n${httpDate()}${connection}\r\n${text}`)
      if (close) {
        parts = []
        size = 0
        finishConnection()
      } else if (!flushed) {
        // The client is not reading its answers: serve and read nothing more until they drain, as node:http.
        draining = true
        socket.pause()
        socket.once('drain', onDrain)
      }
    }

    /** node:http serves this connection from here on, starting with the bytes not yet served. */
    function handOver(): void {
      const unread = size === 0 ? undefined : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size)
      handedOver = true
      requestComplete()
      parts = []
      size = 0
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('timeout', onTimeout)
      socket.off('error', onError)
      socket.setTimeout(0)
      options.handOver(socket)
      if (unread !== undefined) socket.emit('data', unread)
      if (readEnded) socket.emit('end')
    }
  }

  return { accept }
}

/** The request a head frames, if it is one the fast path serves (ADR 0014's list); undefined hands it over. */
function frameRequest(head: string, options: Pick<FastPathOptions, 'isRpcTarget' | 'maxBodyBytes'>): Framed | undefined {
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
    const value = line.slice(colon + 1)
    if (INVALID_VALUE.test(value)) return undefined
    switch (name.toLowerCase()) {
      case 'content-length': {
        const digits = CONTENT_LENGTH.exec(value)
        if (contentLength >= 0 || digits === null) return undefined
        contentLength = Number(digits[1])
        break
      }
      case 'host':
        if (host) return undefined
        host = true
        break
      case 'connection': {
        const tokens = value.toLowerCase().split(',').map((t) => t.replace(OWS_EDGES, ''))
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
