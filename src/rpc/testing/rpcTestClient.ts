import WebSocket from 'ws'

/** Small JSON-RPC clients for tests: raw HTTP POSTs and a WebSocket with bounded waits. */

export interface RpcResponse {
  jsonrpc: string
  id: unknown
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

let nextId = 1

export async function postJson(url: string, body: unknown): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await response.text()
  return { status: response.status, headers: response.headers, json: text === '' ? undefined : JSON.parse(text), text }
}

export async function rpcCall(url: string, method: string, params: unknown[] = []): Promise<RpcResponse> {
  const { json } = await postJson(url, { jsonrpc: '2.0', id: nextId++, method, params })
  return json as RpcResponse
}

/** The result, or a thrown Error naming the JSON-RPC error. */
export async function rpcResult<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await rpcCall(url, method, params)
  if (response.error) throw new Error(`${method} failed: ${response.error.code} ${response.error.message}`)
  return response.result as T
}

export async function rpcError(url: string, method: string, params: unknown[] = []): Promise<NonNullable<RpcResponse['error']>> {
  const response = await rpcCall(url, method, params)
  if (!response.error) throw new Error(`${method} unexpectedly succeeded: ${JSON.stringify(response.result)}`)
  return response.error
}

export interface TestSocket {
  /** Rejects when no answer comes within `timeoutMs` or the socket closes first. */
  call(method: string, params?: unknown[], timeoutMs?: number): Promise<RpcResponse>
  /** The next eth_subscription notification for `subscription`, waiting at most `timeoutMs`. */
  nextNotification(subscription: string, timeoutMs?: number): Promise<unknown>
  /** Notifications received so far and not yet taken. */
  pendingNotifications(subscription: string): unknown[]
  close(): Promise<void>
}

export async function openTestSocket(url: string): Promise<TestSocket> {
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const waiting = new Map<unknown, (response: RpcResponse) => void>()
  const notifications = new Map<string, unknown[]>()
  const notificationWaiters = new Map<string, () => void>()
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as RpcResponse & { method?: string; params?: { subscription: string; result: unknown } }
    if (message.method === 'eth_subscription' && message.params) {
      const list = notifications.get(message.params.subscription) ?? []
      list.push(message.params.result)
      notifications.set(message.params.subscription, list)
      notificationWaiters.get(message.params.subscription)?.()
      return
    }
    waiting.get(message.id)?.(message)
    waiting.delete(message.id)
  })
  return {
    call(method, params = [], timeoutMs = 10_000) {
      const id = nextId++
      return new Promise((resolve, reject) => {
        if (ws.readyState !== WebSocket.OPEN) return reject(new Error(`${method}: socket is not open`))
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new Error(`${method}: no answer within ${timeoutMs} ms`))
        }, timeoutMs)
        const onClose = () => {
          clearTimeout(timer)
          reject(new Error(`${method}: socket closed before the answer`))
        }
        ws.once('close', onClose)
        waiting.set(id, (response) => {
          clearTimeout(timer)
          ws.off('close', onClose)
          resolve(response)
        })
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
      })
    },
    async nextNotification(subscription, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const list = notifications.get(subscription)
        if (list !== undefined && list.length > 0) return list.shift()
        const remaining = deadline - Date.now()
        if (remaining <= 0) throw new Error(`no notification for ${subscription} within ${timeoutMs} ms`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining)
          notificationWaiters.set(subscription, () => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
    },
    pendingNotifications: (subscription) => notifications.get(subscription) ?? [],
    close() {
      return new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve()
        ws.once('close', () => resolve())
        ws.close()
      })
    },
  }
}
