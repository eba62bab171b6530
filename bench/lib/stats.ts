/** Nearest-rank percentile of unsorted samples; undefined when there are none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

/**
 * Rounds for JSON output. Without `decimals`: three significant digits, whole numbers at least (figures
 * are noisy, so that is plenty). With `decimals`: that many decimal places.
 */
export function round(value: number | undefined, decimals?: number): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined
  if (decimals !== undefined) {
    const scale = 10 ** decimals
    return Math.round(value * scale) / scale
  }
  if (Math.abs(value) >= 1000) return Math.round(value)
  return Number(value.toPrecision(3))
}

/** Writes a progress line to stderr; stdout carries only the JSON result. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}
