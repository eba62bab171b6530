import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'

/**
 * An append-only journal of byte records, for what a node accepted but has not yet put in a block:
 * transactions sent to its RPC, hashes sent to stele_anchor. A restart (even a kill -9) then does not lose
 * what callers were already told was accepted. The node replays the journal at start, and rewrites it now
 * and then with only what is still pending.
 *
 * Format: records of a 4-byte big-endian length followed by the record's bytes. Appends are plain writes
 * (no fsync): they reach the OS at once, which survives the process being killed; a machine crash may lose
 * the last ones, as with geth's transaction journal. A torn last record is ignored on replay.
 */
export interface RecordJournal {
  /** The records, oldest first. */
  replay(): Uint8Array[]
  append(raw: Uint8Array): void
  /** Replaces the file's content with `raws` (atomically: temp file, fsync, rename). */
  rewrite(raws: Iterable<Uint8Array>): void
  /** Records appended since the last rewrite. */
  readonly appendedSinceRewrite: number
  close(): void
}

/** Larger than any record written (a transaction is at most 128 KiB, an anchor batch 320 KB): a torn or foreign file. */
const MAX_RECORD_BYTES = 1024 * 1024

export function openRecordJournal(path: string): RecordJournal {
  let fd: number | undefined = openSync(path, 'a')
  let appended = 0

  function encodeRecord(raw: Uint8Array): Uint8Array {
    const record = new Uint8Array(4 + raw.length)
    new DataView(record.buffer).setUint32(0, raw.length)
    record.set(raw, 4)
    return record
  }

  return {
    replay() {
      if (!existsSync(path)) return []
      const bytes = readFileSync(path)
      const out: Uint8Array[] = []
      let offset = 0
      while (offset + 4 <= bytes.length) {
        const length = bytes.readUInt32BE(offset)
        if (length === 0 || length > MAX_RECORD_BYTES || offset + 4 + length > bytes.length) break
        out.push(new Uint8Array(bytes.subarray(offset + 4, offset + 4 + length)))
        offset += 4 + length
      }
      return out
    },
    append(raw) {
      if (fd === undefined) return
      writeSync(fd, encodeRecord(raw))
      appended++
    },
    rewrite(raws) {
      if (fd === undefined) return
      const temporary = `${path}.tmp`
      const out = openSync(temporary, 'w')
      try {
        for (const raw of raws) writeSync(out, encodeRecord(raw))
        fsyncSync(out)
      } finally {
        closeSync(out)
      }
      closeSync(fd)
      renameSync(temporary, path)
      fd = openSync(path, 'a')
      appended = 0
    },
    get appendedSinceRewrite() {
      return appended
    },
    close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}
