import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openRecordJournal } from './recordJournal.js'

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'stele-journal-'))
  try {
    fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const tx = (n: number, length = 100) => new Uint8Array(length).fill(n)

test('appended transactions are replayed in order after the journal is reopened', () => {
  withDir((dir) => {
    const path = join(dir, 'txpool.journal')
    const journal = openRecordJournal(path)
    assert.deepEqual(journal.replay(), [])
    journal.append(tx(1))
    journal.append(tx(2, 3))
    journal.append(tx(3, 70_000))
    assert.equal(journal.appendedSinceRewrite, 3)
    // No close: a killed process never gets to close its file.
    const reopened = openRecordJournal(path)
    assert.deepEqual(reopened.replay(), [tx(1), tx(2, 3), tx(3, 70_000)])
    reopened.close()
    journal.close()
  })
})

test('rewrite keeps only what it is given, and later appends follow it', () => {
  withDir((dir) => {
    const path = join(dir, 'txpool.journal')
    const journal = openRecordJournal(path)
    for (let i = 1; i <= 5; i++) journal.append(tx(i))
    journal.rewrite([tx(4), tx(5)])
    assert.equal(journal.appendedSinceRewrite, 0)
    journal.append(tx(6))
    assert.deepEqual(openRecordJournal(path).replay(), [tx(4), tx(5), tx(6)])
    assert.equal(statSync(path).size, 3 * 104)
    journal.close()
  })
})

test('a torn last record (a crash mid-write) is ignored, and so is a garbage length', () => {
  withDir((dir) => {
    const path = join(dir, 'txpool.journal')
    const journal = openRecordJournal(path)
    journal.append(tx(1))
    journal.close()
    appendFileSync(path, Uint8Array.from([0, 0, 0, 50, 9, 9, 9]))
    assert.deepEqual(openRecordJournal(path).replay(), [tx(1)])
    const other = join(dir, 'garbage.journal')
    appendFileSync(other, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]))
    assert.deepEqual(openRecordJournal(other).replay(), [])
  })
})
