import { open, type Database, type RootDatabase } from 'lmdb'
import { compareBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'

/**
 * The node's one embedded store. Data lives in named key spaces; all writes of one block go through one
 * WriteBatch, applied in one LMDB write transaction, so a crash never leaves half a block.
 */
export interface KvStore {
  get(space: KvSpace, key: Uint8Array): Uint8Array | undefined
  /** Entries with start <= key < end, in key order (reverse: descending). */
  range(space: KvSpace, start: Uint8Array, end: Uint8Array, options?: { reverse?: boolean; limit?: number }): Iterable<[Uint8Array, Uint8Array]>
  /** Applies the batch atomically and durably. */
  write(batch: WriteBatch): void
  /**
   * Bulk load: puts entries as they are produced, in transactions of `chunk` entries (not atomic as a
   * whole). A WriteBatch of tens of thousands of ops lives long enough to be promoted to V8's old
   * generation; entries consumed straight from a generator die young instead.
   */
  putMany?(space: KvSpace, entries: Iterable<readonly [Uint8Array, Uint8Array]>, chunk: number): void
  close(): Promise<void>
}

export const KV_SPACES = [
  'meta', // head, genesis, node keys' public parts, schema version
  'headers', // number(8) -> header RLP... see src/chain/blockStore.ts
  'blocks',
  'hashToNumber',
  'receipts',
  'txIndex',
  'logIndex',
  'accounts', // flat state: address -> account RLP
  'storage', // flat state: address ‖ slot -> value
  'code', // codeHash -> code
  'trie', // node hash -> trie node RLP
  'wal', // consensus: own signed messages and locks
  'anchors', // data: anchored hash -> location
  'data', // data: other records
  'telemetry', // iot readings
] as const
export type KvSpace = (typeof KV_SPACES)[number]

export type KvOp = { space: KvSpace; key: Uint8Array; value: Uint8Array | undefined }

export class WriteBatch {
  readonly ops: KvOp[] = []
  put(space: KvSpace, key: Uint8Array, value: Uint8Array): this {
    this.ops.push({ space, key, value })
    return this
  }
  del(space: KvSpace, key: Uint8Array): this {
    this.ops.push({ space, key, value: undefined })
    return this
  }
  get size(): number {
    return this.ops.length
  }
}

export function openLmdbStore(path: string): KvStore {
  let root: RootDatabase
  try {
    // mapSize grows on demand in lmdb-js; we start at 1 GiB.
    root = open({ path, maxDbs: KV_SPACES.length + 4, mapSize: 1024 ** 3, compression: false })
  } catch (cause) {
    throw new SteleError(ErrorCode.Storage, `cannot open the data store at ${path}`, { cause })
  }
  const spaces = new Map<KvSpace, Database<Buffer, Buffer>>()
  for (const name of KV_SPACES) {
    spaces.set(name, root.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' }))
  }
  const db = (space: KvSpace) => spaces.get(space) as Database<Buffer, Buffer>
  const asKey = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  return {
    get(space, key) {
      const value = db(space).get(asKey(key))
      return value === undefined ? undefined : new Uint8Array(value)
    },
    *range(space, start, end, options = {}) {
      if (compareBytes(start, end) >= 0) return
      const limit = options.limit ?? Number.POSITIVE_INFINITY
      if (!(options.reverse ?? false)) {
        let count = 0
        for (const { key, value } of db(space).getRange({ start: asKey(start), end: asKey(end) })) {
          if (count++ >= limit) return
          yield [new Uint8Array(key as unknown as Buffer), new Uint8Array(value)]
        }
        return
      }
      // In reverse, lmdb starts at the first key <= its `start` and stops before its `end`: keys at `end` are
      // skipped by hand, and the range's own start key, which lmdb's exclusive bound leaves out, is read last.
      // (Unbounded below, lmdb's reverse range missed a key of one zero byte: kvStore.test found it.)
      let count = 0
      for (const { key, value } of db(space).getRange({ start: asKey(end), end: asKey(start), reverse: true })) {
        const k = key as unknown as Buffer
        if (compareBytes(k, end) >= 0) continue
        if (compareBytes(k, start) <= 0) break
        if (count++ >= limit) return
        yield [new Uint8Array(k), new Uint8Array(value)]
      }
      const first = db(space).get(asKey(start))
      if (first !== undefined && count < limit) yield [start.slice(), new Uint8Array(first)]
    },
    write(batch) {
      try {
        root.transactionSync(() => {
          for (const op of batch.ops) {
            if (op.value === undefined) db(op.space).removeSync(asKey(op.key))
            else db(op.space).putSync(asKey(op.key), Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength))
          }
        })
      } catch (cause) {
        throw new SteleError(ErrorCode.Storage, 'write transaction failed', { cause })
      }
    },
    putMany(space, entries, chunk) {
      const target = db(space)
      const iterator = entries[Symbol.iterator]()
      let done = false
      while (!done) {
        try {
          root.transactionSync(() => {
            for (let n = 0; n < chunk; n++) {
              const next = iterator.next()
              if (next.done === true) {
                done = true
                return
              }
              const [key, value] = next.value
              target.putSync(asKey(key), Buffer.from(value.buffer, value.byteOffset, value.byteLength))
            }
          })
        } catch (cause) {
          throw new SteleError(ErrorCode.Storage, 'bulk write transaction failed', { cause })
        }
      }
    },
    async close() {
      await root.close()
    },
  }
}

/**
 * An in-memory store with the same semantics, for tests and `--ephemeral`. Keys are held only as latin1
 * strings (one character per byte) and rebuilt for range reads: an ephemeral node keeps every block,
 * receipt and trie node here, and a copied key array plus a pair per entry cost about 300 bytes each.
 */
export function createMemoryStore(): KvStore {
  const spaces = new Map<KvSpace, Map<string, Uint8Array>>()
  const space = (name: KvSpace) => {
    let m = spaces.get(name)
    if (!m) spaces.set(name, (m = new Map()))
    return m
  }
  const id = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
  const keyOf = (id: string) => new Uint8Array(Buffer.from(id, 'latin1'))
  return {
    get(name, key) {
      return space(name).get(id(key))
    },
    *range(name, start, end, options = {}) {
      const from = id(start)
      const to = id(end)
      // latin1 strings compare code unit by code unit, which is byte order.
      const ids = [...space(name).keys()].filter((k) => k >= from && k < to).sort()
      if (options.reverse) ids.reverse()
      const picked = options.limit === undefined ? ids : ids.slice(0, options.limit)
      for (const k of picked) yield [keyOf(k), space(name).get(k) as Uint8Array]
    },
    write(batch) {
      for (const op of batch.ops) {
        if (op.value === undefined) space(op.space).delete(id(op.key))
        else space(op.space).set(id(op.key), op.value.slice())
      }
    },
    putMany(name, entries) {
      const target = space(name)
      for (const [key, value] of entries) target.set(id(key), value.slice())
    },
    async close() {},
  }
}
