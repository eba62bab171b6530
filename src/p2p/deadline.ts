import { ErrorCode, SteleError } from '../primitives/errors.js'
import { DEFAULT_REQUEST_TIMEOUT_MS, type RequestOptions } from './network.js'

/** One signal that fires on the caller's abort or when the request's time is up. */
export function requestSignal(options: RequestOptions = {}): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)
  return options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
}

/** Settles with `promise`, or rejects with a Network error as soon as `signal` aborts. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, what))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

export function abortError(signal: AbortSignal, what: string): SteleError {
  const timedOut = signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError'
  return new SteleError(ErrorCode.Network, timedOut ? `${what} timed out` : `${what} aborted`, {
    cause: signal.reason,
  })
}
