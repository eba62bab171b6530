import type { Logger } from '../primitives/logger.js'
import type { RpcContext, RpcMethod } from './context.js'
import { RpcErrorCode, toJsonRpcError, type JsonRpcErrorObject } from './errorMapping.js'

/** Where unexpected handler failures are reported: any project Logger fits. */
export type RpcLogger = Pick<Logger, 'error'>

export interface DispatcherOptions {
  methods: Map<string, RpcMethod>
  logger: RpcLogger
  /** geth's BatchRequestLimit: 1000. */
  maxBatchSize: number
}

/**
 * Transport-independent JSON-RPC 2.0 processing: body text in, response text out (undefined when every
 * call was a notification). Parses JSON once; calls in a batch run in order, so a batch of one sender's
 * transactions is admitted in nonce order.
 */
export interface Dispatcher {
  handle(body: string, context: RpcContext): Promise<string | undefined>
}

const PARSE_ERROR = errorResponse(null, { code: RpcErrorCode.ParseError, message: 'parse error' })
const EMPTY_BATCH = errorResponse(null, { code: RpcErrorCode.InvalidRequest, message: 'empty batch' })

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { methods, logger, maxBatchSize } = options

  async function handleCall(message: unknown, context: RpcContext): Promise<string | undefined> {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      return errorResponse(null, { code: RpcErrorCode.InvalidRequest, message: 'invalid request' })
    }
    const call = message as { id?: unknown; method?: unknown; params?: unknown }
    const id = call.id
    const isNotification = id === undefined
    if (!validId(id)) return errorResponse(null, { code: RpcErrorCode.InvalidRequest, message: 'invalid request' })
    const responseId = isNotification ? null : (id as string | number | null)
    if (typeof call.method !== 'string') {
      return errorResponse(responseId, { code: RpcErrorCode.InvalidRequest, message: 'invalid request' })
    }
    const handler = methods.get(call.method)
    if (handler === undefined) {
      if (isNotification) return undefined
      return errorResponse(responseId, {
        code: RpcErrorCode.MethodNotFound,
        message: `the method ${call.method} does not exist/is not available`,
      })
    }
    const params = call.params
    if (params !== undefined && params !== null && !Array.isArray(params)) {
      return errorResponse(responseId, { code: RpcErrorCode.InvalidParams, message: 'non-array args' })
    }
    try {
      let result = handler((params ?? []) as unknown[], context)
      if (result instanceof Promise) result = await result
      if (isNotification) return undefined
      return resultResponse(responseId, result)
    } catch (error) {
      const mapped = toJsonRpcError(error)
      if (mapped.unexpected) logger.error('rpc method failed', { method: call.method, error: describe(error) })
      return isNotification ? undefined : errorResponse(responseId, mapped.error)
    }
  }

  async function handleBatch(messages: unknown[], context: RpcContext): Promise<string | undefined> {
    if (messages.length === 0) return EMPTY_BATCH
    if (messages.length > maxBatchSize) {
      // geth answers a too-large batch with one error carrying the first call's id.
      const first = messages.find((m) => m !== null && typeof m === 'object' && validId((m as { id?: unknown }).id)) as
        | { id?: string | number | null }
        | undefined
      return `[${errorResponse(first?.id ?? null, { code: RpcErrorCode.InvalidRequest, message: 'batch too large' })}]`
    }
    const parts: string[] = []
    for (const message of messages) {
      const response = await handleCall(message, context)
      if (response !== undefined) parts.push(response)
    }
    return parts.length === 0 ? undefined : `[${parts.join(',')}]`
  }

  return {
    handle(body, context) {
      let message: unknown
      try {
        message = JSON.parse(body)
      } catch {
        return Promise.resolve(PARSE_ERROR)
      }
      return Array.isArray(message) ? handleBatch(message, context) : handleCall(message, context)
    },
  }

  function resultResponse(id: string | number | null, result: unknown): string {
    try {
      return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(result ?? null)}}`
    } catch (error) {
      logger.error('rpc result not serializable', { error: describe(error) })
      return errorResponse(id, { code: RpcErrorCode.Internal, message: 'internal error: result not serializable' })
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}

function validId(id: unknown): boolean {
  return id === undefined || id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
}

function errorResponse(id: string | number | null | undefined, error: JsonRpcErrorObject): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id ?? null)},"error":${JSON.stringify(error)}}`
}
