// Runs every *.test.ts under src/ and test/ with Node's test runner.
// `npm test -- path/or/substring` narrows the run to matching files.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (name.endsWith('.test.ts')) out.push(relative(root, path))
  }
  return out
}
const filters = process.argv.slice(2)
const files = walk(join(root, 'src'), walk(join(root, 'test'), []))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// Multi-process network scenarios each run several nodes: they run one at a time, after the rest.
const serial = files.filter((f) => f.startsWith(join('test', 'e2e', 'network')))
const parallel = files.filter((f) => !serial.includes(f))
let status = 0
for (const [group, concurrency] of [[parallel, 2], [serial, 1]]) {
  if (group.length === 0) continue
  const result = spawnSync(
    process.execPath,
    ['--import', './scripts/preload.mjs', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...group],
    { cwd: root, stdio: 'inherit' },
  )
  if (result.status !== 0) status = result.status ?? 1
}
process.exit(status)
