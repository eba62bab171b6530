import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { Account, Address } from '@ethereumjs/util'
import { bytesToHex } from '../primitives/bytes.js'
import { createMemoryStore, openLmdbStore, WriteBatch, type KvStore } from './kvStore.js'
import type { StateDb } from './stateDb.js'
import { createFlatStateDb } from './flatStateDb.js'
import { EMPTY_ROOT } from './mutableTrie.js'
import { BRANCH, EXTENSION, decodeStoredNode, locationKey, readLocation, storedChildLocation, STORED_REF_BYTES } from './trieNode.js'

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
console.log(`pruning.test: FUZZ_SEED=${seed}`)

// Enough accounts for branches several levels deep, extensions, and collapses when accounts are deleted.
const ADDRESSES = Array.from({ length: 48 }, (_, i) => {
  const bytes = new Uint8Array(20)
  bytes[0] = i + 1
  bytes[19] = 7 * i
  return new Address(bytes)
})
const SLOT = new Uint8Array(32).fill(1)

type Op = { kind: 'fund'; a: number; amount: bigint } | { kind: 'delete'; a: number } | { kind: 'store'; a: number; value: number }

const index = fc.nat(ADDRESSES.length - 1)
const accountOp: fc.Arbitrary<Op> = fc.oneof(
  // An amount of 0 writes an account back unchanged: its path stays as it was.
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('fund' as const), a: index, amount: fc.oneof(fc.constant(0n), fc.bigInt(1n, 10n ** 20n)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), a: index }) },
)
const storeOp: fc.Arbitrary<Op> = fc.record({ kind: fc.constant('store' as const), a: index, value: fc.nat(3) })
/** Each block funds one account first, so most blocks change the account trie's root. */
const blocksOf = (op: fc.Arbitrary<Op>) =>
  fc.array(fc.tuple(index, fc.array(op, { maxLength: 12 })).map(([a, ops]) => [{ kind: 'fund' as const, a, amount: 1n } as Op, ...ops]), { minLength: 1, maxLength: 14 })

async function commitBlock(db: StateDb, store: KvStore, ops: Op[]): Promise<Uint8Array> {
  const overlay = db.overlay()
  const sm = overlay.stateManager
  for (const op of ops) {
    const address = ADDRESSES[op.a] as Address
    if (op.kind === 'fund') {
      const account = (await sm.getAccount(address)) ?? new Account()
      account.balance += op.amount
      await sm.putAccount(address, account)
    } else if (op.kind === 'delete') {
      await sm.deleteAccount(address)
    } else if ((await sm.getAccount(address)) !== undefined) {
      await sm.putStorage(address, SLOT, op.value === 0 ? new Uint8Array(0) : Uint8Array.of(op.value))
    }
  }
  const batch = new WriteBatch()
  const commit = await overlay.prepareCommit(batch)
  store.write(batch)
  commit.apply()
  return commit.root
}

/** Every stored location reachable from an account root (the store's records only; storage tries not followed). */
function reachable(store: KvStore, root: Uint8Array, into: Set<number>): void {
  if (bytesToHex(root) === bytesToHex(EMPTY_ROOT)) return
  const indexed = store.get('trieRoots', root)
  assert.ok(indexed, `root ${bytesToHex(root)} is indexed`)
  const stack = [readLocation(indexed, 0)]
  while (stack.length > 0) {
    const loc = stack.pop() as number
    if (into.has(loc)) continue
    into.add(loc)
    const record = store.get('trieNodes', locationKey(loc))
    assert.ok(record, `node at ${loc} under root ${bytesToHex(root)} is stored`)
    const node = decodeStoredNode(record, new Uint8Array(32), loc)
    if (node.kind === BRANCH) {
      for (let i = 0; i < 16; i++) {
        const child = storedChildLocation(node, i)
        if (child !== undefined) stack.push(child)
      }
    } else if (node.kind === EXTENSION && node.child instanceof Uint8Array && node.child.length === STORED_REF_BYTES) {
      stack.push(readLocation(node.child, 32))
    }
  }
}

function storedLocations(store: KvStore): Set<number> {
  const out = new Set<number>()
  for (const [key] of store.range('trieNodes', new Uint8Array(8), new Uint8Array(8).fill(0xff))) out.add(readLocation(key, 0))
  return out
}

async function sameReads(pruned: StateDb, archive: StateDb, root: Uint8Array, where: string): Promise<void> {
  const a = pruned.reader(root)
  const b = archive.reader(root)
  assert.ok(a, `${where}: the pruned state still has root ${bytesToHex(root)}`)
  assert.ok(b)
  for (const address of ADDRESSES) {
    assert.deepEqual(await a.account(address.bytes), await b.account(address.bytes), `${where}: account ${address}`)
    assert.equal(bytesToHex(await a.storage(address.bytes, SLOT)), bytesToHex(await b.storage(address.bytes, SLOT)), `${where}: slot of ${address}`)
    const pa = await a.proof(address.bytes, [SLOT])
    const pb = await b.proof(address.bytes, [SLOT])
    assert.deepEqual(pa.accountProof.map(bytesToHex), pb.accountProof.map(bytesToHex), `${where}: proof of ${address}`)
  }
}

/**
 * Runs the same blocks on an archive and on a state keeping `history` roots besides the head. Both assign the
 * same locations, so the pruned store must hold exactly the archive's nodes minus those no kept root reaches.
 */
async function runPruned(blocks: Op[][], history: number, withStorage: boolean): Promise<void> {
  const prunedStore = createMemoryStore()
  const archiveStore = createMemoryStore()
  const archive = createFlatStateDb(archiveStore, { nodeCacheSize: 16 })
  const pruned = createFlatStateDb(prunedStore, { nodeCacheSize: 16, stateHistory: history })
  // Each change of root from a non-empty trie writes one removal entry, which removes the root it left. A root
  // is forgotten once `history` later entries exist; one that comes back (the same accounts again) is stored anew.
  const lastOccurrence = new Map<string, { root: Uint8Array; removedBy: number | undefined }>()
  let current = bytesToHex(EMPTY_ROOT)
  let entries = 0
  for (const [n, ops] of blocks.entries()) {
    const root = await commitBlock(pruned, prunedStore, ops)
    assert.equal(bytesToHex(await commitBlock(archive, archiveStore, ops)), bytesToHex(root), `block ${n}: same root`)
    if (bytesToHex(root) !== current) {
      const left = lastOccurrence.get(current)
      if (left !== undefined) left.removedBy = ++entries
      current = bytesToHex(root)
      lastOccurrence.set(current, { root, removedBy: undefined })
    }
    const live = [...lastOccurrence.values()].filter((o) => o.removedBy === undefined || o.removedBy > entries - history)
    const forgotten = [...lastOccurrence.values()].filter((o) => !live.includes(o) && bytesToHex(o.root) !== bytesToHex(EMPTY_ROOT))
    for (const [i, o] of live.entries()) await sameReads(pruned, archive, o.root, `block ${n}, kept root ${i}`)
    for (const o of forgotten) assert.equal(pruned.reader(o.root), undefined, `block ${n}: a root older than the history is forgotten`)
    const stored = storedLocations(prunedStore)
    const archived = storedLocations(archiveStore)
    for (const loc of stored) assert.ok(archived.has(loc), `block ${n}: location ${loc} is one the archive has`)
    // Every node a kept root reaches is stored (reads alone could be answered from the node cache).
    const reached = new Set<number>()
    for (const o of live) reachable(prunedStore, o.root, reached)
    if (!withStorage) {
      assert.deepEqual([...stored].sort((x, y) => x - y), [...reached].sort((x, y) => x - y), `block ${n}: exactly the nodes of the kept roots are stored`)
    }
  }
}

test('property: with a state history, the store keeps exactly the account-trie nodes of the kept roots, which read as in an archive', async () => {
  await fc.assert(
    fc.asyncProperty(blocksOf(accountOp), fc.integer({ min: 1, max: 3 }), (blocks, history) => runPruned(blocks, history, false)),
    { seed, numRuns: 60, includeErrorInReport: true },
  )
})

test('property: with storage tries too (never pruned), kept roots read and prove as in an archive, older roots are forgotten', async () => {
  await fc.assert(
    fc.asyncProperty(blocksOf(fc.oneof(accountOp, storeOp)), fc.integer({ min: 1, max: 3 }), (blocks, history) => runPruned(blocks, history, true)),
    { seed: seed + 1, numRuns: 40, includeErrorInReport: true },
  )
})

test('pruning on LMDB carries on after a reopen: the removal sequence and locations continue where they stopped', async () => {
  await withLmdb(async (dir) => {
    const blocks: Op[][] = Array.from({ length: 12 }, (_, n) => [
      { kind: 'fund', a: n % ADDRESSES.length, amount: 1n },
      { kind: 'fund', a: (7 * n + 3) % ADDRESSES.length, amount: 5n },
      ...(n % 4 === 3 ? [{ kind: 'delete', a: (n + 1) % ADDRESSES.length } as Op] : []),
    ])
    let store = openLmdbStore(dir)
    let db = createFlatStateDb(store, { stateHistory: 2 })
    const roots: Uint8Array[] = []
    for (const ops of blocks.slice(0, 6)) roots.push(await commitBlock(db, store, ops))
    await store.close()
    store = openLmdbStore(dir)
    db = createFlatStateDb(store, { stateHistory: 2 })
    for (const ops of blocks.slice(6)) roots.push(await commitBlock(db, store, ops))
    const live = new Set<number>()
    for (const root of roots.slice(-3)) reachable(store, root, live)
    assert.deepEqual([...storedLocations(store)].sort((x, y) => x - y), [...live].sort((x, y) => x - y))
    assert.equal(db.reader(roots[roots.length - 4] as Uint8Array), undefined)
    assert.ok(db.reader(roots[roots.length - 3] as Uint8Array))
    // Removal entries beyond the history are deleted with their nodes: two are left.
    assert.equal([...store.range('trieRemovals', new Uint8Array(8), new Uint8Array(8).fill(0xff))].length, 2)
    await store.close()
  })
})

/** Opens an LMDB store in a fresh directory for `body`, and removes it after. */
async function withLmdb(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stele-prune-'))
  try {
    await body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('a commit back to the root whose removal entry it prunes keeps that root indexed (it is the head), also after a reopen', async () => {
  await withLmdb(async (dir) => {
    let store = openLmdbStore(dir)
    const db = createFlatStateDb(store, { stateHistory: 1 })
    const a = await commitBlock(db, store, [{ kind: 'fund', a: 0, amount: 1n }])
    await commitBlock(db, store, [{ kind: 'fund', a: 1, amount: 1n }])
    // Account 1 created and deleted again: the state is A's once more, and entry 2 (whose base is A) is pruned now.
    const again = await commitBlock(db, store, [{ kind: 'fund', a: 1, amount: 1n }, { kind: 'delete', a: 1 }])
    assert.equal(bytesToHex(again), bytesToHex(a))
    assert.ok(store.get('trieRoots', a), 'the head root is indexed')
    await store.close()
    store = openLmdbStore(dir)
    const reopened = createFlatStateDb(store, { stateHistory: 1 })
    assert.equal(bytesToHex(reopened.headRoot()), bytesToHex(a))
    assert.equal((await reopened.reader(a)?.account(ADDRESSES[0]!.bytes))?.balance, 1n)
    await store.close()
  })
})

test('pruning turned on for an archive directory: roots from before read as pruned, not as a storage error', async () => {
  await withLmdb(async (dir) => {
    let store = openLmdbStore(dir)
    let db = createFlatStateDb(store)
    const archived: Uint8Array[] = []
    for (let n = 0; n < 4; n++) archived.push(await commitBlock(db, store, [{ kind: 'fund', a: n, amount: 1n }]))
    await store.close()
    store = openLmdbStore(dir)
    db = createFlatStateDb(store, { stateHistory: 1 })
    const head = archived[3] as Uint8Array
    assert.ok(db.reader(head), 'the head is kept')
    for (const old of archived.slice(0, 3)) assert.equal(db.reader(old), undefined, 'an archived root is not kept')
    const next = await commitBlock(db, store, [{ kind: 'fund', a: 9, amount: 1n }])
    assert.ok(db.reader(head), 'the root before the head is kept')
    assert.ok(db.reader(next))
    await store.close()
  })
})

test('a lowered state history prunes at most two entries a commit, and the kept roots still read', async () => {
  await withLmdb(async (dir) => {
    let store = openLmdbStore(dir)
    let db = createFlatStateDb(store, { stateHistory: 8 })
    const roots: Uint8Array[] = []
    for (let n = 0; n < 10; n++) roots.push(await commitBlock(db, store, [{ kind: 'fund', a: n % 5, amount: 1n }]))
    const entries = () => [...store.range('trieRemovals', new Uint8Array(8), new Uint8Array(8).fill(0xff))].length
    assert.equal(entries(), 8, 'entries 2-9 are kept (entry 1 was pruned by entry 9)')
    await store.close()
    store = openLmdbStore(dir)
    db = createFlatStateDb(store, { stateHistory: 2 })
    roots.push(await commitBlock(db, store, [{ kind: 'fund', a: 7, amount: 1n }]))
    assert.equal(entries(), 7, 'one entry added, two pruned')
    for (const root of roots.slice(-3)) assert.ok(db.reader(root), 'the last three roots are kept')
    assert.equal(db.reader(roots[roots.length - 4] as Uint8Array), undefined, 'older roots read as pruned at once')
    // Entries 4-10 are left, and each commit adds one and deletes two: five more commits leave 13 and 14.
    for (let n = 0; n < 5; n++) roots.push(await commitBlock(db, store, [{ kind: 'fund', a: n, amount: 2n }]))
    assert.equal(entries(), 2)
    const live = new Set<number>()
    for (const root of roots.slice(-3)) reachable(store, root, live)
    assert.deepEqual([...storedLocations(store)].sort((x, y) => x - y), [...live].sort((x, y) => x - y))
    await store.close()
  })
})

test('roots computed mid-block, then a checkpoint reverted: the hinted leaf and its replacements leave exactly the kept roots\' nodes', async () => {
  const prunedStore = createMemoryStore()
  const archiveStore = createMemoryStore()
  const pruned = createFlatStateDb(prunedStore, { stateHistory: 1 })
  const archive = createFlatStateDb(archiveStore)
  const setup: Op[] = ADDRESSES.slice(0, 20).map((_, a) => ({ kind: 'fund', a, amount: 10n }))
  const roots = [await commitBlock(pruned, prunedStore, setup)]
  await commitBlock(archive, archiveStore, setup)
  const a = ADDRESSES[3] as Address
  for (const [db, store] of [[pruned, prunedStore], [archive, archiveStore]] as const) {
    const overlay = db.overlay()
    const sm = overlay.stateManager
    await sm.putAccount(a, new Account(0n, 11n))
    await sm.getStateRoot() // the presence hint replaces account 3's stored leaf
    await sm.checkpoint()
    await sm.putAccount(a, new Account(0n, 12n))
    await sm.putAccount(ADDRESSES[30] as Address, new Account(0n, 1n))
    await sm.getStateRoot()
    await sm.revert()
    const batch = new WriteBatch()
    const commit = await overlay.prepareCommit(batch)
    store.write(batch)
    commit.apply()
    if (db === pruned) roots.push(commit.root)
  }
  assert.equal(bytesToHex(roots[1] as Uint8Array), bytesToHex(archive.headRoot()))
  assert.equal((await pruned.reader(roots[1] as Uint8Array)?.account(a.bytes))?.balance, 11n)
  assert.equal(await pruned.reader(roots[1] as Uint8Array)?.account((ADDRESSES[30] as Address).bytes), undefined)
  roots.push(await commitBlock(pruned, prunedStore, [{ kind: 'fund', a: 5, amount: 1n }]))
  const live = new Set<number>()
  for (const root of roots.slice(-2)) reachable(prunedStore, root, live)
  assert.deepEqual([...storedLocations(prunedStore)].sort((x, y) => x - y), [...live].sort((x, y) => x - y))
})
