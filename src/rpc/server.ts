import { createServer, IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { createLogger } from '../primitives/logger.js'
import type { RpcBackend } from './backend.js'
import type { RpcContext } from './context.js'
import { createDispatcher, type RpcLogger } from './dispatcher.js'
import { RpcErrorCode } from './errorMapping.js'
import { createFastPath } from './fastHttp.js'
import { createFilterManager, type FilterManager } from './filters.js'
import { createMethodTable } from './methods/index.js'
import { createSubscriptionSet } from './subscriptions.js'

export type { RpcLogger } from './dispatcher.js'

export interface RpcServerOptions {
  backend: RpcBackend
  /** Default 127.0.0.1. */
  host?: string
  /** Default 8545; 0 picks a free port (read it back from `port`). */
  port?: number
  /** Largest accepted HTTP body or WebSocket message; default 5 MiB (geth's limit). */
  maxBodyBytes?: number
  /** Largest accepted batch; default 1000 (geth). */
  maxBatchSize?: number
  /** Access-Control-Allow-Origin; default '*' so browser wallets and the explorer can call. */
  corsOrigin?: string
  /** Idle time after which a polling filter is dropped; default 5 minutes (geth). */
  filterTimeoutMs?: number
  /** WebSocket liveness: a client that does not answer a ping within one interval is dropped; default 30 s. */
  wsPingIntervalMs?: number
  /**
   * Other HTTP routes on the same port (e.g. IoT ingestion under /v1/telemetry). Asked first for every
   * request whose path is not `/`; it answers and returns true, or returns false to leave it to JSON-RPC.
   */
  routes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>
  logger?: RpcLogger
}

export interface RpcServer {
  /** http://host:port */
  readonly url: string
  /** ws://host:port (same port as HTTP) */
  readonly wsUrl: string
  readonly port: number
  /** The polling filters (exposed for tests and metrics). */
  readonly filters: FilterManager
  close(): Promise<void>
}

export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
export const DEFAULT_MAX_BATCH_SIZE = 1000
/** A WebSocket client this far behind on notifications is disconnected rather than buffered without bound. */
const MAX_WS_BUFFERED_BYTES = 64 * 1024 * 1024


/**
 * Starts the Ethereum JSON-RPC server: POST JSON-RPC on HTTP and JSON-RPC over WebSocket on the same
 * port. Resolves once listening.
 */
export async function createRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const { backend } = options
  const host = options.host ?? '127.0.0.1'
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const logger = options.logger ?? createLogger('info', 'rpc')
  const dispatcher = createDispatcher({
    methods: createMethodTable(backend),
    logger,
    maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
  })
  const filters = createFilterManager(backend, options.filterTimeoutMs === undefined ? {} : { timeoutMs: options.filterTimeoutMs })
  const httpContext: RpcContext = { backend, filters, subscriptions: undefined }

  const corsOrigin = options.corsOrigin ?? '*'
  // It goes into every answer's head as it is.
  if (/[\r\n]/.test(corsOrigin)) throw new SteleError(ErrorCode.Config, `corsOrigin must be one line, got ${JSON.stringify(corsOrigin)}`)
  const jsonHeaders = {
    'Content-Type': 'application/json',
    'Access-Control-Allow-Origin': corsOrigin,
  }
  // The success path's headers as writeHead's flat list, Content-Length last (filled per response): with
  // the length known, Node writes head and body in one string instead of five chunked-encoding pieces.
  const okHeaders = ['Content-Type', 'application/json', 'Access-Control-Allow-Origin', corsOrigin, 'Content-Length', '']
  const CONTENT_LENGTH_AT = 5
  const corsPreflightHeaders = {
    'Access-Control-Allow-Origin': corsOrigin,
    'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization',
    'Access-Control-Max-Age': '600',
  }
  const tooLargeBody = JSON.stringify({
    jsonrpc: '2.0',
    id: null,
    error: { code: RpcErrorCode.InvalidRequest, message: `request body too large: limit is ${maxBodyBytes} bytes` },
  })
  const internalErrorBody = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: RpcErrorCode.Internal, message: 'internal error' } })

  /** The JSON-RPC answer: 200, fixed headers, one end(). A notification-only request gets an empty body. */
  function sendOk(res: ServerResponse, body: string | undefined): void {
    if (res.headersSent) return
    const text = body ?? ''
    okHeaders[CONTENT_LENGTH_AT] = String(Buffer.byteLength(text))
    res.writeHead(200, okHeaders)
    res.end(text)
  }

  function send(res: ServerResponse, status: number, body: string, extraHeaders?: Record<string, string>): void {
    if (res.headersSent) return
    res.writeHead(status, { ...jsonHeaders, 'Content-Length': String(Buffer.byteLength(body)), ...extraHeaders })
    res.end(body)
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const routes = options.routes
    if (routes && req.url !== undefined && req.url !== '/' && !req.url.startsWith('/?')) {
      routes(req, res).then(
        (handled) => {
          if (!handled) answerRpc(req as RpcRequest, res)
        },
        (error: unknown) => {
          logger.error('HTTP route failed', { error: error instanceof Error ? error.message : String(error) })
          send(res, 500, JSON.stringify({ error: 'internal error' }))
        },
      )
      return
    }
    answerRpc(req as RpcRequest, res)
  }

  function answerRpc(req: RpcRequest, res: ServerResponse): void {
    const method = req.method
    if (method === 'POST') return readBody(req, res)
    if (method === 'OPTIONS') {
      // Echo the headers a browser asks to send (wallets add their own), else allow the usual ones.
      const requested = req.headers['access-control-request-headers']
      res.writeHead(204, requested === undefined ? corsPreflightHeaders : { ...corsPreflightHeaders, 'Access-Control-Allow-Headers': requested })
      res.end()
      return
    }
    if (method === 'GET' || method === 'HEAD') {
      send(res, 200, JSON.stringify(serviceInfo(backend)))
      return
    }
    send(res, 405, JSON.stringify({ error: 'method not allowed: POST JSON-RPC requests' }), { Allow: 'POST, GET, OPTIONS' })
  }

  function refuseTooLarge(req: RpcRequest, res: ServerResponse): void {
    // Close after answering: the rest of the body is not worth reading.
    send(res, 413, tooLargeBody, { Connection: 'close' })
    req.resume()
  }

  // The body is gathered on the request object by these shared listeners (`this` is the request), so a
  // request costs no closures until its answer is asynchronous.
  function readBody(req: RpcRequest, res: ServerResponse): void {
    const declared = Number(req.headers['content-length'] ?? -1)
    if (declared > maxBodyBytes) return refuseTooLarge(req, res)
    req.rpcResponse = res
    req.on('data', onBodyData)
    req.on('end', onBodyEnd)
    req.on('error', onBodyError)
  }

  function onBodyData(this: RpcRequest, chunk: Buffer): void {
    if (this.bodyRefused) return
    this.bodyBytes += chunk.length
    if (this.bodyBytes > maxBodyBytes) {
      this.bodyRefused = true
      this.bodyFirst = undefined
      this.bodyRest = undefined
      refuseTooLarge(this, this.rpcResponse as ServerResponse)
      return
    }
    if (this.bodyFirst === undefined) this.bodyFirst = chunk
    else (this.bodyRest ??= []).push(chunk)
  }

  function onBodyEnd(this: RpcRequest): void {
    if (this.bodyRefused) return
    const res = this.rpcResponse as ServerResponse
    const first = this.bodyFirst
    const body =
      first === undefined ? '' : this.bodyRest === undefined ? first.toString('utf8') : Buffer.concat([first, ...this.bodyRest]).toString('utf8')
    this.bodyFirst = undefined
    this.bodyRest = undefined
    let response: string | undefined | Promise<string | undefined>
    try {
      response = dispatcher.answer(body, httpContext)
    } catch (error) {
      return failRequest(res, error)
    }
    if (response instanceof Promise) {
      response.then(
        (text) => sendOk(res, text),
        (error: unknown) => failRequest(res, error),
      )
    } else sendOk(res, response)
  }

  function onBodyError(this: RpcRequest): void {
    this.rpcResponse?.destroy()
  }

  function failRequest(res: ServerResponse, error: unknown): void {
    logger.error('rpc request failed', { error: String(error) })
    send(res, 500, internalErrorBody)
  }

  // Longer than common client and proxy idle timeouts, so pooled connections are not cut mid-reuse.
  const keepAliveMs = 65_000
  const httpServer = createServer({ IncomingMessage: RpcRequest }, onRequest)
  httpServer.keepAliveTimeout = keepAliveMs
  // node:http listens, so its request timeouts are enforced, but every connection reaches the fast path
  // first; node:http's own connection listener serves what the fast path hands over (ADR 0014).
  const nodeHttpConnectionListeners = httpServer.listeners('connection') as ((socket: Socket) => void)[]
  // A Node upgrade that moved it would leave handed-over connections unserved: refuse to start instead.
  if (nodeHttpConnectionListeners.length === 0) throw new SteleError(ErrorCode.Internal, 'node:http has no connection listener to hand connections to')
  httpServer.removeAllListeners('connection')
  const fastPath = createFastPath({
    handOver(socket) {
      for (const listener of nodeHttpConnectionListeners) listener.call(httpServer, socket)
    },
    maxBodyBytes,
    isRpcTarget: options.routes ? (target) => target === '/' || target.startsWith('/?') : () => true,
    okHeaderLines: `Content-Type: application/json\r\nAccess-Control-Allow-Origin: ${corsOrigin}\r\n`,
    answer: (body) => dispatcher.answer(body, httpContext),
    onFailure(error) {
      logger.error('rpc request failed', { error: String(error) })
      return internalErrorBody
    },
    keepAliveMs,
    headersTimeoutMs: httpServer.headersTimeout,
    requestTimeoutMs: httpServer.requestTimeout,
  })
  const sockets = new Set<Socket>()
  httpServer.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    fastPath.accept(socket)
  })
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes })

  httpServer.on('upgrade', (req, socket, head) => {
    wsServer.handleUpgrade(req, socket, head, (ws) => onConnection(ws))
  })

  // Dead peers (no TCP reset) would otherwise keep their subscriptions, and backend listeners, forever.
  const unanswered = new WeakSet<WebSocket>()
  const pingTimer = setInterval(() => {
    for (const client of wsServer.clients) {
      if (unanswered.has(client)) {
        client.terminate()
        continue
      }
      unanswered.add(client)
      client.ping()
    }
  }, options.wsPingIntervalMs ?? 30_000)
  pingTimer.unref()

  function onConnection(ws: WebSocket): void {
    ws.on('pong', () => unanswered.delete(ws))
    const sendText = (text: string): void => {
      if (ws.readyState !== ws.OPEN) return
      if (ws.bufferedAmount > MAX_WS_BUFFERED_BYTES) {
        logger.error('websocket client too slow, disconnecting', { bufferedAmount: ws.bufferedAmount })
        ws.terminate()
        return
      }
      ws.send(text)
    }
    const subscriptions = createSubscriptionSet(backend, sendText)
    const context: RpcContext = { backend, filters, subscriptions }
    ws.on('message', (data, isBinary) => {
      const text = isBinary || !Array.isArray(data) ? data.toString() : Buffer.concat(data).toString('utf8')
      let response: string | undefined | Promise<string | undefined>
      try {
        response = dispatcher.answer(text, context)
      } catch (error) {
        logger.error('rpc websocket request failed', { error: String(error) })
        return
      }
      if (!(response instanceof Promise)) {
        if (response !== undefined) sendText(response)
        return
      }
      response.then(
        (answered) => {
          if (answered !== undefined) sendText(answered)
        },
        (error: unknown) => logger.error('rpc websocket request failed', { error: String(error) }),
      )
    })
    ws.on('close', () => subscriptions.closeAll())
    ws.on('error', () => ws.terminate())
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject)
    httpServer.listen(options.port ?? 8545, host, () => {
      httpServer.off('error', reject)
      resolve()
    })
  })
  const port = (httpServer.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host

  let closing: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${port}`,
    wsUrl: `ws://${urlHost}:${port}`,
    port,
    filters,
    close() {
      closing ??= new Promise<void>((resolve) => {
        filters.close()
        clearInterval(pingTimer)
        for (const client of wsServer.clients) client.terminate()
        wsServer.close()
        httpServer.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
      return closing
    },
  }
}

/** Node's request with the fields the JSON-RPC body reader keeps on it. */
class RpcRequest extends IncomingMessage {
  rpcResponse: ServerResponse | undefined = undefined
  bodyFirst: Buffer | undefined = undefined
  bodyRest: Buffer[] | undefined = undefined
  bodyBytes = 0
  bodyRefused = false
}

function serviceInfo(backend: RpcBackend): Record<string, unknown> {
  return {
    service: 'Stele JSON-RPC',
    clientVersion: backend.clientVersion,
    chainId: `0x${backend.chainId.toString(16)}`,
    usage: 'POST JSON-RPC 2.0 requests (single or batch) to this URL, or open a WebSocket on the same port for eth_subscribe',
  }
}
