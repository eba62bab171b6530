import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// The verifier must run in a browser: no Node built-ins, no native modules, no Buffer, transitively.
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const ALLOWED_FILES = new Set([
  'primitives/bytes.ts',
  'primitives/rlp.ts',
  'primitives/errors.ts',
  'chain/header.ts',
  'chain/qbftExtraData.ts',
  'crypto/merkle.ts',
])
const ALLOWED_PACKAGES = [/^@noble\/hashes\//, /^@noble\/curves\//, /^@ethereumjs\/rlp$/]

test('the verifier imports only browser-safe modules, transitively', () => {
  const verifyDir = join(SRC, 'data/verify')
  const queue = readdirSync(verifyDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(verifyDir, f))
  const seen = new Set<string>()
  while (queue.length > 0) {
    const file = queue.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    const rel = relative(SRC, file)
    assert.ok(rel.startsWith('data/verify/') || ALLOWED_FILES.has(rel), `the verifier reaches ${rel}`)
    const source = readFileSync(file, 'utf8')
    const code = source.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '')
    assert.doesNotMatch(code, /\bBuffer\b|\bprocess\./, `${rel} uses Buffer or process`)
    for (const m of source.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)) {
      if (m[1]) continue // type-only imports vanish at runtime
      const spec = m[2] as string
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
      else assert.ok(ALLOWED_PACKAGES.some((re) => re.test(spec)), `${rel} imports ${spec}`)
    }
  }
  assert.ok(seen.size >= 10, `walked ${seen.size} files`)
})
