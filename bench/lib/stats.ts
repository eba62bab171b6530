/** Nearest-rank percentile of unsorted samples; undefined when there are none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

/** Rounds for JSON output: figures are noisy, so three significant digits (at least integers) are plenty. */
export function round(value: number | undefined, digits = 3): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined
  if (Math.abs(value) >= 10 ** digits) return Math.round(value)
  return Number(value.toPrecision(digits))
}

/** Writes a progress line to stderr; stdout carries only the JSON result. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}
