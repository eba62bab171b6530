import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Docs must not name files that no longer exist: every repository path a Markdown file mentions is checked.
const root = fileURLToPath(new URL('..', import.meta.url))

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, name.name)
    if (name.isDirectory()) markdownFiles(path, out)
    else if (name.name.endsWith('.md')) out.push(path)
  }
  return out
}

test('every path named in README.md and docs/ exists', () => {
  const files = ['README.md', ...markdownFiles('docs'), ...markdownFiles('test/vectors')]
  const missing: string[] = []
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8')
    for (const match of text.matchAll(/(?<![\w./-])((?:src|docs|test|bench|scripts|bin)\/[\w./-]*[\w])/g)) {
      const path = (match[1] as string).replace(/[.,:;]+$/, '')
      // Wildcards, elisions and generated output (bench/results/) are not files in the repository.
      if (/[*{}<>]/.test(path) || path.includes('…') || path.startsWith('bench/results/')) continue
      if (!existsSync(join(root, path))) missing.push(`${file}: ${path}`)
    }
  }
  assert.deepEqual(missing, [])
})
