import { ErrorCode, SteleError } from '../../primitives/errors.js'

/** One JSON-RPC call over HTTP (Node's fetch). Errors come back as SteleError with the node's message. */
export async function rpcCall(url: string, method: string, params: unknown[], signal?: AbortSignal): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      ...(signal ? { signal } : {}),
    })
  } catch (cause) {
    throw new SteleError(ErrorCode.Network, `cannot reach the node at ${url}`, { cause })
  }
  const body = (await response.json().catch(() => undefined)) as { result?: unknown; error?: { code: number; message: string; data?: unknown } } | undefined
  if (!body) throw new SteleError(ErrorCode.Network, `${method}: the node answered HTTP ${response.status} without JSON`)
  if (body.error) throw new SteleError(ErrorCode.NotFound, `${method}: ${body.error.message}`, { details: { rpcCode: body.error.code, data: body.error.data } })
  return body.result
}
