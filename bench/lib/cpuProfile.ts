import { readdirSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { progress } from './stats.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
}

export interface CpuProfileSummary {
  totalMs: number
  /** Self time by package (node_modules/<pkg>), the Stele bundle, Node internals, GC, idle. */
  byPackage: { name: string; selfMs: number; pct: number }[]
  /** The functions with the most self time. */
  topFunctions: { name: string; where: string; selfMs: number; pct: number }[]
}

/** Summarizes a V8 .cpuprofile (from `node --cpu-prof`) by self time: where the node spends its CPU. */
export function summarizeCpuProfile(path: string, top = 25): CpuProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const totalSamples = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0)
  const totalMs = (profile.endTime - profile.startTime) / 1000
  const msPerSample = totalSamples === 0 ? 0 : totalMs / totalSamples
  const byPackage = new Map<string, number>()
  const byFunction = new Map<string, { name: string; where: string; hits: number }>()
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0
    if (hits === 0) continue
    const { functionName, url, lineNumber } = node.callFrame
    const pkg = packageOf(url, functionName)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits)
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : pkg
    const key = `${functionName}@${where}`
    const entry = byFunction.get(key) ?? { name: functionName || '(anonymous)', where, hits: 0 }
    entry.hits += hits
    byFunction.set(key, entry)
  }
  const pct = (hits: number) => Math.round((hits / Math.max(1, totalSamples)) * 1000) / 10
  const ms = (hits: number) => Math.round(hits * msPerSample)
  return {
    totalMs: Math.round(totalMs),
    byPackage: [...byPackage.entries()].sort((a, b) => b[1] - a[1]).map(([name, hits]) => ({ name, selfMs: ms(hits), pct: pct(hits) })),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: ms(f.hits), pct: pct(f.hits) })),
  }
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return nm[1] as string
  if (url.startsWith('node:')) return 'node internals'
  if (url.includes('/dist/')) return 'stele (dist bundle)'
  if (url.includes('/src/')) return 'stele (src)'
  return shortUrl(url)
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length)
  const m = /\/(src|dist|bench|test)\/.*/.exec(url)
  return m ? m[0].slice(1) : url
}

/**
 * After a node run under `node --cpu-prof --cpu-prof-dir profDir`: moves its main thread's profile to
 * `resultsDir/stele-<label>-<time>.cpuprofile` and summarizes it. Node writes one file per thread, named
 * CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is thread 0 (the recovery worker
 * writes its own). Undefined, with a progress line, when there is none.
 */
export function keepCpuProfile(profDir: string, resultsDir: string, label: string): (CpuProfileSummary & { file: string }) | undefined {
  let files: string[] = []
  try {
    files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'))
  } catch {
    // No directory: the node wrote nothing.
  }
  const file = files.find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)) ?? files[0]
  if (file === undefined) {
    progress(`${label}: no CPU profile was written (did the node exit cleanly on SIGTERM?)`)
    return undefined
  }
  const kept = join(resultsDir, `stele-${label}-${Date.now()}.cpuprofile`)
  renameSync(join(profDir, file), kept)
  progress(`${label}: CPU profile saved to ${kept} (open in Chrome DevTools or speedscope)`)
  return { file: kept, ...summarizeCpuProfile(kept) }
}
