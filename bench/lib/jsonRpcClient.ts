import { Agent, request } from 'node:http'

export interface JsonRpcResponse {
  jsonrpc: '2.0'
  id: number | string | null
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

export interface JsonRpcClient {
  /** One call; throws on a JSON-RPC error. */
  call<T = unknown>(method: string, params?: unknown[]): Promise<T>
  /** Posts a pre-serialized body (single request or batch) and returns the raw response text. */
  post(body: Buffer): Promise<string>
  close(): void
}

/**
 * A JSON-RPC client over node:http with a keep-alive agent, for setup, polling and the low-load phase.
 * The flood itself goes through rawHttpClient.ts, which costs far less CPU per request.
 */
export function createJsonRpcClient(url: string, options: { maxSockets?: number; timeoutMs?: number } = {}): JsonRpcClient {
  const target = new URL(url)
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 8, scheduling: 'lifo' })
  const timeoutMs = options.timeoutMs ?? 60_000
  let nextId = 1

  function post(body: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')
            if ((res.statusCode ?? 0) >= 400 && !text.startsWith('{') && !text.startsWith('[')) {
              reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`))
            } else resolve(text)
          })
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out after ${timeoutMs} ms`)))
      req.on('error', reject)
      req.end(body)
    })
  }

  return {
    async call<T>(method: string, params: unknown[] = []): Promise<T> {
      const text = await post(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params })))
      const response = JSON.parse(text) as JsonRpcResponse
      if (response.error) throw new Error(`${method}: ${response.error.message} (${response.error.code})`)
      return response.result as T
    },
    post,
    close() {
      agent.destroy()
    },
  }
}

/** Serializes one eth_sendRawTransaction request. */
export function sendRawBody(raw: string, id: number): Buffer {
  return Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"eth_sendRawTransaction","params":["${raw}"]}`)
}

/** Serializes a batch of eth_sendRawTransaction requests. */
export function sendRawBatchBody(raws: readonly string[], firstId: number): Buffer {
  return Buffer.from(`[${raws.map((raw, i) => `{"jsonrpc":"2.0","id":${firstId + i},"method":"eth_sendRawTransaction","params":["${raw}"]}`).join(',')}]`)
}
