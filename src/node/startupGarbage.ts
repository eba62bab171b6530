import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { BULK_THRESHOLD } from '../state/stateOverlay.js'

/**
 * Genesis allocations at least this large leave start-up garbage worth a full collection: a 1M-account
 * genesis.json parses into about 3M objects, and the bulk trie build, which the state takes from this size
 * on, leaves about 225 MB of spent records.
 */
export const LARGE_GENESIS_ACCOUNTS = BULK_THRESHOLD

/**
 * Runs one full garbage collection now and returns how long it took (ms). Meant for once, at the end of
 * start-up: V8 sets its next major collection's heap limit from the heap that was live during the last one,
 * and the last one ran while the genesis was still live. Without this, a 1M-account node's heap grew from
 * about 230 to 550 MB under load before its first major collection, and RSS reached 1.34–1.39 GiB; with it,
 * RSS stayed at or under 876 MiB (docs/performance.md, item 25).
 */
export function collectStartupGarbage(): number {
  const gc = (globalThis as { gc?: () => void }).gc ?? exposedGc()
  const started = performance.now()
  gc()
  return performance.now() - started
}

/**
 * V8's `gc` for a process started without --expose-gc. The function exists only in contexts made after the flag
 * is set; the flag stays set, so later vm contexts get it too.
 */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}
