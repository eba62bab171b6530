import { open, type Database, type RootDatabase } from 'lmdb'
import { readFileSync } from 'node:fs'
import { compareBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { latin1OfBytes } from '../primitives/byteKeys.js'
import { ownBytes } from '../primitives/byteSlab.js'

/**
 * The node's one embedded store. Data lives in named key spaces; all writes of one block go through one
 * WriteBatch, applied in one LMDB write transaction, so a crash never leaves half a block.
 */
export interface KvStore {
  /**
   * The value, which callers must not modify (it may be the store's own copy). `allocate`: where a store that
   * copies values out puts the copy (transientBytes, for values that die young).
   */
  get(space: KvSpace, key: Uint8Array, allocate?: (length: number) => Uint8Array): Uint8Array | undefined
  /** Entries with start <= key < end, in key order (reverse: descending). */
  range(space: KvSpace, start: Uint8Array, end: Uint8Array, options?: { reverse?: boolean; limit?: number }): Iterable<[Uint8Array, Uint8Array]>
  /**
   * Applies the batch atomically and durably. Not while writeBehind batches are in flight (the store would
   * have to wait for them to keep the order): the LMDB store refuses that, so writers that run alongside
   * block commits use writeBehind.
   */
  write(batch: WriteBatch): void
  /**
   * Applies the batch atomically, after every earlier write. Its effects are visible to get and range at
   * once; the commit (the B-tree writes and the flush) happens on LMDB's write thread, and the promise
   * settles once the batch is durable. If a commit fails, every later write throws that error (and lmdb-js,
   * which rejects promises of its own that nobody holds, ends the process: a fail-stop on a broken disk).
   */
  writeBehind(batch: WriteBatch): Promise<void>
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
  'trie', // node hash -> trie node RLP: the reference state (referenceStateDb.ts, tests and bench) only
  'trieNodes', // location(8) -> trie node record (ADR 0012, src/state/nodeStore.ts)
  'trieRoots', // trie root hash -> location(8)
  'trieRemovals', // sequence(8) -> the account-trie nodes a commit took out of the trie, for pruning (ADR 0013)
  'wal', // consensus: own signed messages and locks
  'anchors', // data: anchored hash -> location
  'data', // data: other records
  'telemetry', // iot readings
] as const
export type KvSpace = (typeof KV_SPACES)[number]

/** `owned`: nothing writes to `value` again, so a store may keep it as it is instead of a copy. */
export type KvOp = { space: KvSpace; key: Uint8Array; value: Uint8Array | undefined; owned: boolean }

export class WriteBatch {
  readonly ops: KvOp[] = []
  put(space: KvSpace, key: Uint8Array, value: Uint8Array): this {
    this.ops.push({ space, key, value, owned: false })
    return this
  }
  /**
   * A put whose value nothing will write to again (a fresh encoding): the store keeps it without a copy
   * until it is written. A copy of a 400-byte trie record costs an off-heap allocation (docs/performance.md, item 24).
   */
  putOwned(space: KvSpace, key: Uint8Array, value: Uint8Array): this {
    this.ops.push({ space, key, value, owned: true })
    return this
  }
  del(space: KvSpace, key: Uint8Array): this {
    this.ops.push({ space, key, value: undefined, owned: false })
    return this
  }
  get size(): number {
    return this.ops.length
  }
}

/**
 * The address space LMDB maps the file into at first (it grows on demand past it). Reserving it costs
 * nothing on Linux: the file grows only as data is written. A smaller map had to be remapped as the data
 * grew, and pages of the old mapping stayed in RSS: a 1 GiB map took the 1M-account scale node from 976 MB
 * of file pages to 2,123 MB as its data passed 1 GB, and to 4.9 GB with 2.3 GB of data (docs/performance.md, item 25).
 */
const MAP_SIZE = 64 * 1024 ** 3
/** The map elsewhere: on other systems, and under an address-space limit too low for MAP_SIZE. */
const SMALL_MAP_SIZE = 1024 ** 3

/**
 * The initial map size for this process, given /proc/self/limits (Linux). lmdb-js does not report a map it
 * cannot reserve: the process dies (SIGSEGV under `ulimit -v 40000000`), so the limit is read first. MAP_SIZE
 * needs the limit to leave room for the rest of the process (V8 alone reserves several GiB).
 */
export function lmdbMapSize(limits: string | undefined): number {
  const line = limits?.split('\n').find((l) => l.startsWith('Max address space'))
  if (line === undefined) return SMALL_MAP_SIZE
  const soft = line.slice('Max address space'.length).trim().split(/\s+/)[0]
  if (soft === 'unlimited') return MAP_SIZE
  return Number(soft) >= 4 * MAP_SIZE ? MAP_SIZE : SMALL_MAP_SIZE
}

function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8')
  } catch {
    return undefined
  }
}

export function openLmdbStore(path: string): KvStore {
  let root: RootDatabase
  try {
    root = open({ path, maxDbs: KV_SPACES.length + 4, mapSize: lmdbMapSize(readLimits()), compression: false })
  } catch (cause) {
    throw new SteleError(ErrorCode.Storage, `cannot open the data store at ${path}`, { cause })
  }
  const spaces = new Map<KvSpace, Database<Buffer, Uint8Array>>()
  // Keys are passed as they are: with keyEncoding 'binary', lmdb-js copies them into its own buffer.
  // Wrapping one in a Buffer would read its `.buffer`, which costs a copy for a small array (byteKeys.ts).
  for (const name of KV_SPACES) {
    spaces.set(name, root.openDB<Buffer, Uint8Array>({ name, keyEncoding: 'binary', encoding: 'binary' }))
  }
  const db = (space: KvSpace) => spaces.get(space) as Database<Buffer, Uint8Array>
  interface PendingEntry {
    value: Uint8Array | undefined
    seq: number
  }
  /** writeBehind batches not yet committed, by space and latin1 key: reads see them first. */
  const pending = new Map<KvSpace, Map<string, PendingEntry>>()
  let pendingCount = 0
  let writeSeq = 0
  let inFlight = 0
  let failure: SteleError | undefined
  let previousCommit: Promise<void> = Promise.resolve()
  let closed = false

  function* committedRange(space: KvSpace, start: Uint8Array, end: Uint8Array, options: { reverse?: boolean; limit?: number }): Generator<[Uint8Array, Uint8Array]> {
    if (compareBytes(start, end) >= 0) return
    const limit = options.limit ?? Number.POSITIVE_INFINITY
    if (!(options.reverse ?? false)) {
      let count = 0
      for (const { key, value } of db(space).getRange({ start, end })) {
        if (count++ >= limit) return
        yield [new Uint8Array(key as unknown as Buffer), new Uint8Array(value)]
      }
      return
    }
    // In reverse, lmdb starts at the first key <= its `start` and stops before its `end`: keys at `end` are
    // skipped by hand, and the range's own start key, which lmdb's exclusive bound leaves out, is read last.
    // (Unbounded below, lmdb's reverse range missed a key of one zero byte: kvStore.test found it.)
    let count = 0
    for (const { key, value } of db(space).getRange({ start: end, end: start, reverse: true })) {
      const k = key as unknown as Buffer
      if (compareBytes(k, end) >= 0) continue
      if (compareBytes(k, start) <= 0) break
      if (count++ >= limit) return
      yield [new Uint8Array(k), new Uint8Array(value)]
    }
    const first = db(space).get(start)
    if (first !== undefined && count < limit) yield [start.slice(), new Uint8Array(first)]
  }

  return {
    get(space, key, allocate) {
      if (pendingCount > 0) {
        const entry = pending.get(space)?.get(latin1OfBytes(key))
        if (entry !== undefined) return entry.value
      }
      // lmdb-js's `get` copies the value out of its read buffer into a new Buffer; reading the buffer in
      // place and copying once saves an off-heap allocation per read (its `length` is the value's size).
      const value = db(space).getBinaryFast(key)
      if (value === undefined) return undefined
      const out = allocate === undefined ? new Uint8Array(value.length) : allocate(value.length)
      out.set(value.subarray(0, value.length))
      return out
    },
    range(space, start, end, options = {}) {
      const written = pendingCount > 0 ? pending.get(space) : undefined
      if (written === undefined || written.size === 0) return committedRange(space, start, end, options)
      return mergeRange(committedRange(space, start, end, { reverse: options.reverse ?? false }), written, start, end, options)
    },
    write(batch) {
      if (failure !== undefined) throw failure
      if (inFlight > 0) throw new SteleError(ErrorCode.Internal, 'a synchronous store write while background writes are in flight')
      try {
        root.transactionSync(() => {
          for (const op of batch.ops) {
            if (op.value === undefined) db(op.space).removeSync(op.key)
            else db(op.space).putSync(op.key, Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength))
          }
        })
      } catch (cause) {
        throw new SteleError(ErrorCode.Storage, 'write transaction failed', { cause })
      }
    },
    writeBehind(batch) {
      if (failure !== undefined) throw failure
      if (closed) throw new SteleError(ErrorCode.Storage, 'the data store is closed')
      // Checked before anything is recorded: lmdb-js throws on such a key part-way through a batch, after
      // queueing the puts before it.
      for (const op of batch.ops) {
        if (op.key.length === 0 || op.key.length > MAX_KEY_BYTES) throw new SteleError(ErrorCode.Internal, `a store key of ${op.key.length} bytes`, { details: { space: op.space } })
      }
      const seq = ++writeSeq
      // Copied once unless owned: lmdb-js reads the value on its write thread, so the caller's array must not
      // change under it.
      const ops = batch.ops.map((op) => ({ space: op.space, key: op.key, value: op.owned ? op.value : op.value?.slice() }))
      const keys: [Map<string, PendingEntry>, string][] = []
      for (const op of ops) {
        let space = pending.get(op.space)
        if (space === undefined) pending.set(op.space, (space = new Map()))
        const id = latin1OfBytes(op.key)
        if (!space.has(id)) pendingCount++
        space.set(id, { value: op.value, seq })
        keys.push([space, id])
      }
      inFlight++
      // Queued only once the previous batch has committed: a failed commit then stops every later batch
      // (lmdb-js would commit transactions queued after a failed one), so nothing lands on top of a block
      // that is not there. One batch is one LMDB transaction, run and committed on lmdb-js's write thread.
      const committed = previousCommit.then(() => {
        if (failure !== undefined) throw failure
        return root.batch(() => {
          for (const op of ops) {
            if (op.value === undefined) db(op.space).remove(op.key)
            else db(op.space).put(op.key, Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength))
          }
        })
      })
      previousCommit = committed.then(
        () => undefined,
        (cause: unknown) => {
          failure ??= storageFailure(cause)
        },
      )
      return committed
        .then(() => root.flushed)
        .then(
          () => {
            inFlight--
            // Committed: LMDB now answers for these keys, unless a later batch wrote them again.
            for (const [space, id] of keys) {
              if (space.get(id)?.seq === seq) {
                space.delete(id)
                pendingCount--
              }
            }
          },
          (cause: unknown) => {
            inFlight--
            failure ??= storageFailure(cause)
            throw failure
          },
        )
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
              target.putSync(key, Buffer.from(value.buffer, value.byteOffset, value.byteLength))
            }
          })
        } catch (cause) {
          throw new SteleError(ErrorCode.Storage, 'bulk write transaction failed', { cause })
        }
      }
    },
    async close() {
      closed = true
      await previousCommit
      await root.close()
    },
  }
}

function storageFailure(cause: unknown): SteleError {
  return cause instanceof SteleError ? cause : new SteleError(ErrorCode.Storage, 'a background write transaction failed; the store refuses further writes', { cause })
}

/** lmdb-js's largest key (its default `maxKeySize`); Stele's keys are at most 64 bytes. */
const MAX_KEY_BYTES = 1978

/**
 * Committed entries of [start, end) merged with the pending writes over them, in key order (reverse:
 * descending): a pending value replaces the committed one, a pending delete hides it.
 */
function* mergeRange(
  committed: Iterable<[Uint8Array, Uint8Array]>,
  written: Map<string, { value: Uint8Array | undefined }>,
  start: Uint8Array,
  end: Uint8Array,
  options: { reverse?: boolean; limit?: number },
): Generator<[Uint8Array, Uint8Array]> {
  if (compareBytes(start, end) >= 0) return
  const reverse = options.reverse ?? false
  const limit = options.limit ?? Number.POSITIVE_INFINITY
  const from = latin1OfBytes(start)
  const to = latin1OfBytes(end)
  // latin1 strings compare code unit by code unit, which is byte order. The pending values are read now: a
  // batch that commits while the caller iterates drops its entries, and its keys would read as deleted.
  const ids = [...written.keys()].filter((id) => id >= from && id < to).sort()
  if (reverse) ids.reverse()
  const values = new Map(ids.map((id) => [id, written.get(id)?.value]))
  const before = (a: string, b: string) => (reverse ? a > b : a < b)
  let count = 0
  let i = 0
  const emitPending = function* (id: string): Generator<[Uint8Array, Uint8Array]> {
    const value = values.get(id)
    if (value !== undefined) {
      count++
      yield [new Uint8Array(Buffer.from(id, 'latin1')), value]
    }
  }
  for (const [key, value] of committed) {
    const id = latin1OfBytes(key)
    while (i < ids.length && before(ids[i] as string, id) && count < limit) yield* emitPending(ids[i++] as string)
    if (count >= limit) return
    if (i < ids.length && ids[i] === id) {
      yield* emitPending(ids[i++] as string)
    } else {
      count++
      yield [key, value]
    }
    if (count >= limit) return
  }
  while (i < ids.length && count < limit) yield* emitPending(ids[i++] as string)
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
  const keyOf = (id: string) => new Uint8Array(Buffer.from(id, 'latin1'))
  const write = (batch: WriteBatch) => {
    for (const op of batch.ops) {
      if (op.value === undefined) space(op.space).delete(latin1OfBytes(op.key))
      // An owned value may be a slab view (byteSlab.ts); kept here for good, it gets an allocation of its own.
      else space(op.space).set(latin1OfBytes(op.key), op.owned ? ownBytes(op.value) : op.value.slice())
    }
  }
  return {
    get(name, key) {
      return space(name).get(latin1OfBytes(key))
    },
    *range(name, start, end, options = {}) {
      const from = latin1OfBytes(start)
      const to = latin1OfBytes(end)
      // latin1 strings compare code unit by code unit, which is byte order.
      const ids = [...space(name).keys()].filter((k) => k >= from && k < to).sort()
      if (options.reverse) ids.reverse()
      const picked = options.limit === undefined ? ids : ids.slice(0, options.limit)
      for (const k of picked) yield [keyOf(k), space(name).get(k) as Uint8Array]
    },
    write,
    writeBehind(batch) {
      write(batch)
      return Promise.resolve()
    },
    putMany(name, entries) {
      const target = space(name)
      for (const [key, value] of entries) target.set(latin1OfBytes(key), value.slice())
    },
    async close() {},
  }
}
