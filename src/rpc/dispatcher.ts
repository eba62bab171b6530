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
 * transactions is admitted in nonce order (consecutive eth_sendRawTransaction calls start together, and the
 * pool admits them in call order).
 */
export interface Dispatcher {
  handle(body: string, context: RpcContext): Promise<string | undefined>
  /**
   * The same answer, without a promise when it can: synchronously for a single call whose handler is
   * synchronous (and for parse errors), so transports skip a microtask and two closures per request.
   */
  answer(body: string, context: RpcContext): string | undefined | Promise<string | undefined>
}

/**
 * Methods whose consecutive calls in a batch start together instead of one after another: the pool admits
 * transactions in call order, with the same outcome as one by one, and their sender recoveries then share one
 * worker message (src/crypto/recoveryWorkers.ts).
 */
const STARTED_TOGETHER = new Set(['eth_sendRawTransaction'])

function startsTogether(message: unknown): boolean {
  return message !== null && typeof message === 'object' && STARTED_TOGETHER.has((message as { method?: unknown }).method as string)
}

const PARSE_ERROR = errorResponse(null, { code: RpcErrorCode.ParseError, message: 'parse error' })
const EMPTY_BATCH = errorResponse(null, { code: RpcErrorCode.InvalidRequest, message: 'empty batch' })
const INVALID_REQUEST = errorResponse(null, { code: RpcErrorCode.InvalidRequest, message: 'invalid request' })
/** Shared by calls without params; handlers only read their params. */
const NO_PARAMS: readonly unknown[] = Object.freeze([])

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { methods, logger, maxBatchSize } = options

  /** One call: its response text, undefined for a notification; a promise only if the handler returned one. */
  function handleCall(message: unknown, context: RpcContext): string | undefined | Promise<string | undefined> {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) return INVALID_REQUEST
    const call = message as { id?: unknown; method?: unknown; params?: unknown }
    const id = call.id
    const isNotification = id === undefined
    if (!validId(id)) return INVALID_REQUEST
    const responseId = isNotification ? null : (id as string | number | null)
    const method = call.method
    if (typeof method !== 'string') {
      return errorResponse(responseId, { code: RpcErrorCode.InvalidRequest, message: 'invalid request' })
    }
    const handler = methods.get(method)
    if (handler === undefined) {
      if (isNotification) return undefined
      return errorResponse(responseId, {
        code: RpcErrorCode.MethodNotFound,
        message: `the method ${method} does not exist/is not available`,
      })
    }
    const params = call.params
    if (params !== undefined && params !== null && !Array.isArray(params)) {
      return errorResponse(responseId, { code: RpcErrorCode.InvalidParams, message: 'non-array args' })
    }
    let result: unknown
    try {
      result = handler((params ?? NO_PARAMS) as unknown[], context)
    } catch (error) {
      return failure(error, method, responseId, isNotification)
    }
    if (!(result instanceof Promise)) return isNotification ? undefined : resultResponse(responseId, result)
    return result.then(
      (value: unknown) => (isNotification ? undefined : resultResponse(responseId, value)),
      (error: unknown) => failure(error, method, responseId, isNotification),
    )
  }

  /** Error mapping, off the success path. */
  function failure(error: unknown, method: string, id: string | number | null, isNotification: boolean): string | undefined {
    const mapped = toJsonRpcError(error)
    if (mapped.unexpected) logger.error('rpc method failed', { method, error: describe(error) })
    return isNotification ? undefined : errorResponse(id, mapped.error)
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
    for (let i = 0; i < messages.length; ) {
      let end = i + 1
      if (startsTogether(messages[i])) while (end < messages.length && startsTogether(messages[end])) end++
      const responses: (string | undefined | Promise<string | undefined>)[] = []
      for (let k = i; k < end; k++) responses.push(handleCall(messages[k], context))
      for (let response of responses) {
        if (response instanceof Promise) response = await response
        if (response !== undefined) parts.push(response)
      }
      i = end
    }
    return parts.length === 0 ? undefined : `[${parts.join(',')}]`
  }

  function answer(body: string, context: RpcContext): string | undefined | Promise<string | undefined> {
    let message: unknown
    try {
      message = JSON.parse(body)
    } catch {
      return PARSE_ERROR
    }
    return Array.isArray(message) ? handleBatch(message, context) : handleCall(message, context)
  }

  return {
    answer,
    handle(body, context) {
      const response = answer(body, context)
      return response instanceof Promise ? response : Promise.resolve(response)
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
