import { ErrorCode, SteleError } from '../primitives/errors.js'
import { DEFAULT_REQUEST_TIMEOUT_MS, type RequestOptions } from './network.js'

/**
 * Runs `run` with a signal that fires on the caller's abort or when the request's time is up, and
 * rejects with a Network error at that moment even if `run` ignores the signal. The timer is a normal
 * (ref'd) one, so a pending request keeps the process alive until it settles or times out, and it is
 * cleared as soon as the request settles.
 */
export async function withDeadline<T>(
  options: RequestOptions | undefined,
  what: string,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  const signal = controller.signal
  const timeoutMs = options?.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const timer = setTimeout(() => controller.abort(new SteleError(ErrorCode.Network, `${what} timed out`)), timeoutMs)
  const onCallerAbort = () => controller.abort(new SteleError(ErrorCode.Network, `${what} aborted`, { cause: options?.signal?.reason }))
  if (options?.signal?.aborted) onCallerAbort()
  else options?.signal?.addEventListener('abort', onCallerAbort, { once: true })
  try {
    return await new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      run(signal).then(resolve, reject)
    })
  } finally {
    clearTimeout(timer)
    options?.signal?.removeEventListener('abort', onCallerAbort)
  }
}

/** The Network error a deadline signal carries (its reason), for code that catches stream errors. */
export function deadlineError(signal: AbortSignal, what: string): SteleError {
  return signal.reason instanceof SteleError ? signal.reason : new SteleError(ErrorCode.Network, `${what} aborted`, { cause: signal.reason })
}
