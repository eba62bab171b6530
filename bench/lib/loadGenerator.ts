import { performance } from 'node:perf_hooks'
import { sendRawBatchBody, sendRawBody, type JsonRpcResponse } from './jsonRpcClient.js'

export interface SendReport {
  /** performance.now() when each transaction's request was written (a batch's send time for all its members). */
  submittedAt: Float64Array
  startedAt: number
  finishedAt: number
  /** Transactions actually sent: a prefix of the list, shorter than it when the time budget ran out. */
  sent: number
  /** Indexes of transactions the node refused, with the first error message seen. */
  rejected: Set<number>
  firstError: string | undefined
}

/** Bodies are serialized here, before the timed part, so the send loop only writes bytes. */
export function prepareSingles(raws: readonly string[]): Buffer[] {
  return raws.map((raw, i) => sendRawBody(raw, i))
}

export function prepareBatches(raws: readonly string[], batchSize: number): Buffer[] {
  const bodies: Buffer[] = []
  for (let i = 0; i < raws.length; i += batchSize) bodies.push(sendRawBatchBody(raws.slice(i, i + batchSize), i))
  return bodies
}

/**
 * Posts pre-serialized bodies with `inFlight` requests outstanding (`post` is JsonRpcClient.post, or
 * RawHttpClient.send with bodies wrapped by buildRequest). `perBody` is how many transactions
 * each body carries (1 for single requests); request ids are the transaction indexes. With `ratePerSec`,
 * bodies also start no sooner than their turn at that many transactions per second (an open-loop load:
 * latency measured at a given rate rather than at saturation).
 */
export async function sendBodies(
  post: (body: Buffer) => Promise<string>,
  bodies: readonly Buffer[],
  options: { inFlight: number; perBody: number; total: number; budgetMs?: number; ratePerSec?: number; signal?: AbortSignal },
): Promise<SendReport> {
  const report: SendReport = { submittedAt: new Float64Array(options.total), startedAt: performance.now(), finishedAt: 0, sent: 0, rejected: new Set(), firstError: undefined }
  const deadline = report.startedAt + (options.budgetMs ?? Number.POSITIVE_INFINITY)
  let next = 0
  async function worker(): Promise<void> {
    while (next < bodies.length && !options.signal?.aborted && performance.now() < deadline) {
      const index = next++
      const first = index * options.perBody
      if (options.ratePerSec !== undefined) {
        const due = report.startedAt + (first / options.ratePerSec) * 1000
        const wait = due - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      }
      const last = Math.min(first + options.perBody, options.total)
      report.submittedAt.fill(performance.now(), first, last)
      let text: string
      try {
        text = await post(bodies[index] as Buffer)
      } catch (error) {
        for (let i = first; i < last; i++) report.rejected.add(i)
        report.firstError ??= error instanceof Error ? error.message : String(error)
        continue
      }
      // Only parse answers that carry an error: parsing 20,000 successful answers would load the generator.
      if (text.includes('"error"')) recordErrors(text, report)
    }
  }
  await Promise.all(Array.from({ length: options.inFlight }, worker))
  report.finishedAt = performance.now()
  report.sent = Math.min(next * options.perBody, options.total)
  if (options.signal?.aborted) throw new Error('aborted')
  return report
}

function recordErrors(text: string, report: SendReport): void {
  const parsed = JSON.parse(text) as JsonRpcResponse | JsonRpcResponse[]
  for (const response of Array.isArray(parsed) ? parsed : [parsed]) {
    if (!response.error) continue
    report.rejected.add(Number(response.id))
    report.firstError ??= response.error.message
  }
}
