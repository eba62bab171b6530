import { test } from 'node:test'
import assert from 'node:assert/strict'
import { getHeapStatistics } from 'node:v8'
import { collectStartupGarbage } from './startupGarbage.js'

/** About 80 MB of small objects, alive long enough to reach the old generation; garbage once this returns. */
function makeGarbage(): number {
  const held: { id: number; tag: string }[][] = []
  for (let i = 0; i < 300; i++) held.push(Array.from({ length: 5_000 }, (_, id) => ({ id, tag: `t${id}` })))
  return held.length
}

test('collectStartupGarbage runs a full collection: garbage in the old generation is freed at once', () => {
  assert.equal(makeGarbage(), 300)
  const withGarbage = getHeapStatistics().used_heap_size
  collectStartupGarbage()
  const after = getHeapStatistics().used_heap_size
  assert.ok(after < withGarbage - 30 * 2 ** 20, `heap ${Math.round(withGarbage / 2 ** 20)} → ${Math.round(after / 2 ** 20)} MiB`)
})
