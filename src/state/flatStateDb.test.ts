import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { Account, Address } from '@ethereumjs/util'
import type { StateManagerInterface } from '@ethereumjs/common'
import { bytesToHex } from '../primitives/bytes.js'
import { createMemoryStore, openLmdbStore, WriteBatch, type KvStore } from './kvStore.js'
import type { StateDb } from './stateDb.js'
import type { AccountProof } from '../rpc/backend.js'
import { createFlatStateDb } from './flatStateDb.js'
import { createReferenceStateDb } from './referenceStateDb.js'
import { STATE_HEAD_KEY } from './stateOverlay.js'
import { EMPTY_ROOT } from './mutableTrie.js'
import { keccak256 } from '../crypto/keccak.js'

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
console.log(`flatStateDb.test: FUZZ_SEED=${seed}`)

const ADDRESSES = Array.from({ length: 6 }, (_, i) => new Address(new Uint8Array(20).fill(0x11 * (i + 1))))
const SLOTS = Array.from({ length: 5 }, (_, i) => {
  const slot = new Uint8Array(32)
  slot[31] = i
  if (i === 4) slot.fill(0xab)
  return slot
})

type Op =
  | { kind: 'fund'; a: number; amount: bigint }
  | { kind: 'transfer'; a: number; b: number; amount: bigint }
  | { kind: 'store'; a: number; slot: number; value: Uint8Array }
  | { kind: 'clear'; a: number }
  | { kind: 'code'; a: number; code: Uint8Array }
  | { kind: 'delete'; a: number }
  | { kind: 'frame'; ops: Op[]; revert: boolean }
  /** A state root mid-block (eth_call's or a receipt's), after which the block goes on changing accounts. */
  | { kind: 'root' }

const index = fc.nat(ADDRESSES.length - 1)
const leafOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fund' as const), a: index, amount: fc.bigInt(1n, 10n ** 20n) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('transfer' as const), a: index, b: index, amount: fc.bigInt(0n, 10n ** 18n) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('store' as const),
      a: index,
      slot: fc.nat(SLOTS.length - 1),
      value: fc.oneof(fc.constant(new Uint8Array(0)), fc.constant(new Uint8Array(32)), fc.uint8Array({ minLength: 1, maxLength: 32 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), a: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('code' as const), a: index, code: fc.uint8Array({ maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), a: index }) },
)
// MerkleStateManager's storage cache does not journal clearStorage, so a reverted clear or delete does not
// bring the slots back there (a bug we do not share: see the unit test below). Frames therefore hold only
// the operations it journals correctly; clear and delete run between frames.
const journaledOp = leafOp.filter((op) => op.kind !== 'clear' && op.kind !== 'delete')
const frameArb: fc.Arbitrary<Op> = fc.letrec<{ frame: Op }>((tie) => ({
  frame: fc.record({
    kind: fc.constant('frame' as const),
    ops: fc.array(fc.oneof({ weight: 5, arbitrary: journaledOp }, { weight: 1, arbitrary: tie('frame') }), { maxLength: 5 }),
    revert: fc.boolean(),
  }),
})).frame
const opArb: fc.Arbitrary<Op> = fc.oneof({ weight: 5, arbitrary: leafOp }, { weight: 1, arbitrary: frameArb }, { weight: 1, arbitrary: fc.constant({ kind: 'root' as const }) })
const blocksArb = fc.array(fc.array(opArb, { maxLength: 14 }), { minLength: 1, maxLength: 5 })

/** Applies one operation the way the EVM would; `reference` selects MerkleStateManager's workarounds. */
async function applyOp(sm: StateManagerInterface, op: Op, reference: boolean): Promise<void> {
  const addr = (i: number) => ADDRESSES[i] as Address
  switch (op.kind) {
    case 'fund': {
      const account = (await sm.getAccount(addr(op.a))) ?? new Account()
      account.balance += op.amount
      await sm.putAccount(addr(op.a), account)
      return
    }
    case 'transfer': {
      const from = await sm.getAccount(addr(op.a))
      if (from === undefined || from.balance < op.amount) return
      from.balance -= op.amount
      from.nonce += 1n
      await sm.putAccount(addr(op.a), from)
      const to = (await sm.getAccount(addr(op.b))) ?? new Account()
      to.balance += op.amount
      await sm.putAccount(addr(op.b), to)
      return
    }
    case 'store':
      if ((await sm.getAccount(addr(op.a))) === undefined) return
      await sm.putStorage(addr(op.a), SLOTS[op.slot] as Uint8Array, op.value)
      return
    case 'clear':
      await sm.clearStorage(addr(op.a))
      return
    case 'code':
      await sm.putCode(addr(op.a), op.code)
      return
    case 'delete':
      // MerkleStateManager keeps a deleted account's storage trie cached and would resurrect its slots if
      // the account came back; EVM semantics (and ours) wipe storage on deletion, so clear it first there.
      if (reference) await sm.clearStorage(addr(op.a))
      await sm.deleteAccount(addr(op.a))
      return
    case 'root':
      await sm.getStateRoot()
      return
    case 'frame':
      await sm.checkpoint()
      for (const inner of op.ops) await applyOp(sm, inner, reference)
      if (op.revert) await sm.revert()
      else await sm.commit()
      return
  }
}

async function compareReads(ours: StateManagerInterface, theirs: StateManagerInterface, where: string) {
  for (const address of ADDRESSES) {
    const a = await ours.getAccount(address)
    const b = await theirs.getAccount(address)
    assert.equal(a === undefined, b === undefined, `${where}: existence of ${address}`)
    if (a && b) {
      assert.equal(a.nonce, b.nonce, `${where}: nonce`)
      assert.equal(a.balance, b.balance, `${where}: balance`)
      assert.equal(bytesToHex(a.codeHash), bytesToHex(b.codeHash), `${where}: codeHash`)
    }
    assert.equal(bytesToHex(await ours.getCode(address)), bytesToHex(await theirs.getCode(address)), `${where}: code`)
    for (const slot of SLOTS) {
      assert.equal(bytesToHex(await ours.getStorage(address, slot)), bytesToHex(await theirs.getStorage(address, slot)), `${where}: storage`)
    }
  }
}

async function compareReaders(ours: StateDb, theirs: StateDb, root: Uint8Array, where: string) {
  const a = ours.reader(root)
  const b = theirs.reader(root)
  assert.ok(a && b, `${where}: both know the root`)
  const missing = new Uint8Array(20).fill(0x99)
  for (const address of [...ADDRESSES.map((x) => x.bytes), missing]) {
    const pa: AccountProof = await a.proof(address, SLOTS)
    const pb: AccountProof = await b.proof(address, SLOTS)
    const hex = (p: AccountProof) => ({
      ...p,
      address: bytesToHex(p.address),
      codeHash: bytesToHex(p.codeHash),
      storageHash: bytesToHex(p.storageHash),
      accountProof: p.accountProof.map(bytesToHex),
      storageProof: p.storageProof.map((s) => ({ key: bytesToHex(s.key), value: s.value, proof: s.proof.map(bytesToHex) })),
    })
    const account = await b.account(address)
    // For a missing account MerkleStateManager returns no storage entries; we return one per slot, empty.
    if (account === undefined) {
      assert.deepEqual(pa.storageProof.map((s) => [s.value, s.proof.length]), SLOTS.map(() => [0n, 0]))
      pa.storageProof = []
    }
    assert.deepEqual(hex(pa), hex(pb), `${where}: proof of ${bytesToHex(address)}`)
    assert.deepEqual(await a.account(address), await b.account(address), `${where}: account`)
    assert.equal(bytesToHex(await a.code(address)), bytesToHex(await b.code(address)), `${where}: code`)
    for (const slot of SLOTS) assert.equal(bytesToHex(await a.storage(address, slot)), bytesToHex(await b.storage(address, slot)))
  }
}

async function runBlocks(blocks: Op[][], oursStore: KvStore): Promise<void> {
  const ours = createFlatStateDb(oursStore, { nodeCacheSize: 16 })
  const theirsStore = createMemoryStore()
  const theirs = createReferenceStateDb(theirsStore)
  const roots: Uint8Array[] = [EMPTY_ROOT]
  for (const [n, ops] of blocks.entries()) {
    const a = ours.overlay()
    const b = theirs.overlay()
    for (const op of ops) {
      await applyOp(a.stateManager, op, false)
      await applyOp(b.stateManager, op, true)
    }
    await compareReads(a.stateManager, b.stateManager, `block ${n} before commit`)
    const batchA = new WriteBatch()
    const batchB = new WriteBatch()
    const ca = await a.prepareCommit(batchA)
    const cb = await b.prepareCommit(batchB)
    assert.equal(bytesToHex(ca.root), bytesToHex(cb.root), `block ${n}: state root`)
    oursStore.write(batchA)
    theirsStore.write(batchB)
    ca.apply()
    cb.apply()
    assert.equal(bytesToHex(ours.headRoot()), bytesToHex(ca.root))
    roots.push(ca.root)
    await compareReaders(ours, theirs, ca.root, `block ${n} head`)
    // A fresh overlay at the head reads the flat state the batch wrote.
    await compareReads(ours.overlay().stateManager, theirs.overlay().stateManager, `block ${n} after commit`)
  }
  // Older roots stay readable through the trie.
  const older = roots[Math.max(0, roots.length - 3)] as Uint8Array
  await compareReaders(ours, theirs, older, 'older root')
}

test('property: random blocks give the same roots, reads and EIP-1186 proofs as MerkleStateManager (memory store)', async () => {
  await fc.assert(fc.asyncProperty(blocksArb, (blocks) => runBlocks(blocks, createMemoryStore())), { seed, numRuns: 60, includeErrorInReport: true })
})

test('property: the same on LMDB', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-flat-'))
  let run = 0
  try {
    await fc.assert(
      fc.asyncProperty(blocksArb, async (blocks) => {
        const store = openLmdbStore(join(dir, String(run++)))
        try {
          await runBlocks(blocks, store)
        } finally {
          await store.close()
        }
      }),
      { seed: seed + 1, numRuns: 5, includeErrorInReport: true },
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a reverted clearStorage or deleteAccount brings the slots back', async () => {
  const db = createFlatStateDb(createMemoryStore())
  const sm = db.overlay().stateManager
  const [a] = ADDRESSES as [Address]
  const slot = SLOTS[1] as Uint8Array
  await sm.putAccount(a, new Account(0n, 5n))
  await sm.putStorage(a, slot, Uint8Array.of(7))
  const rootBefore = bytesToHex(await sm.getStateRoot())
  for (const wipe of [() => sm.clearStorage(a), () => sm.deleteAccount(a)]) {
    await sm.checkpoint()
    await wipe()
    assert.equal(bytesToHex(await sm.getStorage(a, slot)), '0x')
    assert.notEqual(bytesToHex(await sm.getStateRoot()), rootBefore)
    await sm.revert()
    assert.equal(bytesToHex(await sm.getStorage(a, slot)), '0x07')
    assert.equal(bytesToHex(await sm.getStateRoot()), rootBefore)
  }
})

test('original storage values are those from before the transaction (EIP-2200)', async () => {
  const db = createFlatStateDb(createMemoryStore())
  const sm = db.overlay().stateManager
  const [a] = ADDRESSES as [Address]
  const slot = SLOTS[2] as Uint8Array
  await sm.putAccount(a, new Account())
  await sm.putStorage(a, slot, Uint8Array.of(1))
  await sm.checkpoint()
  await sm.putStorage(a, slot, Uint8Array.of(2))
  await sm.checkpoint()
  await sm.putStorage(a, slot, Uint8Array.of(3))
  assert.equal(bytesToHex(await sm.originalStorageCache.get(a, slot)), '0x01')
  await sm.commit()
  await sm.commit()
  assert.equal(bytesToHex(await sm.originalStorageCache.get(a, slot)), '0x03')
})

test('reopening an LMDB store brings back the head root, flat reads and older roots', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-flat-reopen-'))
  try {
    let store = openLmdbStore(dir)
    let db = createFlatStateDb(store)
    const roots: Uint8Array[] = []
    const [a, b] = ADDRESSES as [Address, Address]
    for (let block = 1; block <= 3; block++) {
      const overlay = db.overlay()
      await overlay.stateManager.putAccount(a, new Account(BigInt(block), 1000n * BigInt(block)))
      await overlay.stateManager.putAccount(b, new Account())
      await overlay.stateManager.putCode(b, Uint8Array.of(0x60, block))
      await overlay.stateManager.putStorage(b, SLOTS[0] as Uint8Array, Uint8Array.of(block))
      const batch = new WriteBatch()
      const commit = await overlay.prepareCommit(batch)
      store.write(batch)
      commit.apply()
      roots.push(commit.root)
    }
    await store.close()
    store = openLmdbStore(dir)
    db = createFlatStateDb(store)
    assert.equal(bytesToHex(db.headRoot()), bytesToHex(roots[2] as Uint8Array))
    const head = db.reader(db.headRoot())
    assert.ok(head)
    assert.equal((await head.account(a.bytes))?.balance, 3000n)
    assert.equal(bytesToHex(await head.code(b.bytes)), '0x6003')
    assert.equal((await head.storage(b.bytes, SLOTS[0] as Uint8Array))[31], 3)
    const first = db.reader(roots[0] as Uint8Array)
    assert.ok(first)
    assert.equal((await first.account(a.bytes))?.balance, 1000n)
    assert.equal((await first.storage(b.bytes, SLOTS[0] as Uint8Array))[31], 1)
    assert.equal(db.reader(new Uint8Array(32).fill(5)), undefined)
    // The next block builds on the reopened head.
    const overlay = db.overlay()
    assert.equal((await overlay.stateManager.getAccount(a))?.nonce, 3n)
    await store.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('prepareCommit refuses an overlay whose base is no longer the head', async () => {
  const store = createMemoryStore()
  const db = createFlatStateDb(store)
  const first = db.overlay()
  const second = db.overlay()
  await first.stateManager.putAccount(ADDRESSES[0] as Address, new Account(0n, 1n))
  await second.stateManager.putAccount(ADDRESSES[1] as Address, new Account(0n, 1n))
  const batch = new WriteBatch()
  const commit = await first.prepareCommit(batch)
  store.write(batch)
  commit.apply()
  await assert.rejects(second.prepareCommit(new WriteBatch()), /not on the head/)
  // It can still compute its own root on its (older) base through the trie.
  assert.equal((await second.computeRoot()).length, 32)
})

const bulkAddress = (i: number, block: number) =>
  new Address(Uint8Array.from({ length: 20 }, (_, j) => (j === 0 ? i & 0xff : j === 1 ? i >> 8 : (i * 31 + j * 7 + block * 13) & 0xff)))

test('the bulk genesis path (sorted build, direct chunked writes) matches the incremental path and the reference', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-flat-bulk-'))
  try {
    const stores = { bulk: openLmdbStore(join(dir, 'bulk')), incremental: createMemoryStore(), reference: createMemoryStore() }
    const dbs = {
      bulk: createFlatStateDb(stores.bulk, { bulkThreshold: 10 }),
      incremental: createFlatStateDb(stores.incremental),
      reference: createReferenceStateDb(stores.reference),
    }
    // A leftover of an interrupted genesis must not survive into the new state.
    stores.bulk.write(new WriteBatch().put('accounts', new Uint8Array(20).fill(0xee), Uint8Array.of(0xc0)))
    const roots: Record<string, string[]> = {}
    for (const [name, db] of Object.entries(dbs)) {
      const store = stores[name as keyof typeof stores]
      roots[name] = []
      for (let block = 0; block < 2; block++) {
        const overlay = db.overlay()
        const sm = overlay.stateManager
        for (let i = 0; i < (block === 0 ? 300 : 20); i++) {
          const address = bulkAddress(i, block)
          await sm.putAccount(address, new Account(BigInt(i % 3), BigInt(i) * 10n ** 18n + 1n))
          if (i % 50 === 0) {
            await sm.putCode(address, Uint8Array.of(0x60, i))
            await sm.putStorage(address, SLOTS[i % SLOTS.length] as Uint8Array, Uint8Array.of(i + 1))
          }
        }
        if (block === 1) await sm.deleteAccount(bulkAddress(1, 0))
        const expected = bytesToHex(await overlay.computeRoot())
        const batch = new WriteBatch()
        const commit = await overlay.prepareCommit(batch)
        assert.equal(bytesToHex(commit.root), expected)
        store.write(batch)
        commit.apply()
        roots[name]!.push(bytesToHex(commit.root))
      }
    }
    assert.deepEqual(roots.bulk, roots.reference)
    assert.deepEqual(roots.incremental, roots.reference)
    assert.equal(await dbs.bulk.reader(dbs.bulk.headRoot())!.account(new Uint8Array(20).fill(0xee)), undefined)
    await compareReaders(dbs.bulk, dbs.reference, dbs.bulk.headRoot(), 'after bulk genesis')
    await stores.bulk.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('shallowCopy carries the changes without sharing them; dumpStorage lists hashed slots', async () => {
  const store = createMemoryStore()
  const db = createFlatStateDb(store)
  const overlay = db.overlay()
  const sm = overlay.stateManager
  const [a] = ADDRESSES as [Address]
  await sm.putAccount(a, new Account(1n, 2n))
  await sm.putStorage(a, SLOTS[0] as Uint8Array, Uint8Array.of(9))
  const batch = new WriteBatch()
  const commit = await overlay.prepareCommit(batch)
  store.write(batch)
  commit.apply()
  const next = db.overlay().stateManager
  await next.putStorage(a, SLOTS[1] as Uint8Array, Uint8Array.of(8))
  const copy = next.shallowCopy()
  await copy.putStorage(a, SLOTS[1] as Uint8Array, Uint8Array.of(7))
  assert.equal(bytesToHex(await next.getStorage(a, SLOTS[1] as Uint8Array)), '0x08')
  assert.equal(bytesToHex(await copy.getStorage(a, SLOTS[1] as Uint8Array)), '0x07')
  assert.equal(bytesToHex(await copy.getStorage(a, SLOTS[0] as Uint8Array)), '0x09')
  const dump = await next.dumpStorage!(a)
  assert.deepEqual(Object.keys(dump).length, 2)
  assert.equal(dump[bytesToHex(keccak256(SLOTS[1] as Uint8Array))], '0x08')
})

test('a data directory whose trie nodes are keyed by hash (before ADR 0012) is refused with a clear error', () => {
  const store = createMemoryStore()
  const root = keccak256(Uint8Array.of(1))
  store.write(new WriteBatch().put('meta', STATE_HEAD_KEY, root).put('trie', root, Uint8Array.of(0xc0)))
  assert.throws(() => createFlatStateDb(store), (error: Error & { code?: string }) => error.code === 'STORAGE' && /older Stele/.test(error.message))
  // A head root with no trie at all is refused too, naming the root.
  const orphan = createMemoryStore()
  orphan.write(new WriteBatch().put('meta', STATE_HEAD_KEY, root))
  assert.throws(() => createFlatStateDb(orphan), new RegExp(bytesToHex(root).slice(2, 10)))
})

test('only the latest prepareCommit of an overlay may be applied: persisting gave its trie nodes new locations', async () => {
  const store = createMemoryStore()
  const db = createFlatStateDb(store)
  const overlay = db.overlay()
  for (let i = 0; i < 6; i++) await overlay.stateManager.putAccount(ADDRESSES[i] as Address, new Account(0n, 1000n + BigInt(i)))
  const earlier = await overlay.prepareCommit(new WriteBatch())
  const batch = new WriteBatch()
  const latest = await overlay.prepareCommit(batch)
  assert.throws(() => earlier.apply(), /later prepareCommit/)
  store.write(batch)
  latest.apply()
  const reader = db.reader(latest.root)
  assert.equal((await reader?.account((ADDRESSES[5] as Address).bytes))?.balance, 1005n)
  assert.equal((await reader?.proof((ADDRESSES[5] as Address).bytes, []))?.balance, 1005n)
})

test('after a reopen, new blocks get new locations and every older root still reads (LMDB)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-flat-reopen-'))
  try {
    const roots: Uint8Array[] = []
    const commitBlock = async (db: StateDb, store: KvStore, block: number) => {
      const overlay = db.overlay()
      for (let i = 0; i < 6; i++) await overlay.stateManager.putAccount(ADDRESSES[i] as Address, new Account(BigInt(block), 100n * BigInt(block) + BigInt(i)))
      const batch = new WriteBatch()
      const commit = await overlay.prepareCommit(batch)
      await store.writeBehind(batch)
      commit.apply()
      roots.push(commit.root)
    }
    let store = openLmdbStore(dir)
    await commitBlock(createFlatStateDb(store), store, 1)
    await commitBlock(createFlatStateDb(store), store, 2)
    await store.close()
    store = openLmdbStore(dir)
    const db = createFlatStateDb(store)
    await commitBlock(db, store, 3)
    for (const [n, root] of roots.entries()) {
      const reader = db.reader(root)
      assert.ok(reader, `root of block ${n + 1}`)
      assert.equal((await reader.account((ADDRESSES[4] as Address).bytes))?.balance, 100n * BigInt(n + 1) + 4n)
    }
    await store.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/** Writes an overlay's block and moves the head to it; returns the new root. */
async function commitOverlay(store: KvStore, overlay: ReturnType<StateDb['overlay']>): Promise<Uint8Array> {
  const batch = new WriteBatch()
  const prepared = await overlay.prepareCommit(batch)
  store.write(batch)
  prepared.apply()
  return prepared.root
}

test('an overlay whose commit applied gives no presence hint to its trie: deleted accounts put back give the root of a fresh overlay', async () => {
  const store = createMemoryStore()
  const db = createFlatStateDb(store)
  const addresses = Array.from({ length: 300 }, (_, i) => new Address(keccak256(Uint8Array.of(7, i >> 8, i & 255)).subarray(12)))
  const genesis = db.overlay()
  for (const a of addresses) await genesis.stateManager.putAccount(a, new Account(0n, 5n))
  await commitOverlay(store, genesis)
  // Deleting many leaves folds siblings into their parents' places, where a stale hint would overwrite them.
  const reused = db.overlay()
  for (const a of addresses.slice(0, 120)) await reused.stateManager.deleteAccount(a)
  await commitOverlay(store, reused)
  for (const a of addresses.slice(0, 120)) await reused.stateManager.putAccount(a, new Account(1n, 9n))
  const fresh = db.overlay()
  for (const a of addresses.slice(0, 120)) await fresh.stateManager.putAccount(a, new Account(1n, 9n))
  assert.equal(bytesToHex(await reused.computeRoot()), bytesToHex(await fresh.computeRoot()))
})

test('accounts written back unchanged leave the trie as it was: no new trie nodes, the same root', async () => {
  const store = createMemoryStore()
  const db = createFlatStateDb(store)
  const addresses = Array.from({ length: 200 }, (_, i) => new Address(keccak256(Uint8Array.of(9, i)).subarray(12)))
  const genesis = db.overlay()
  for (const a of addresses) await genesis.stateManager.putAccount(a, new Account(3n, 7n))
  const genesisRoot = await commitOverlay(store, genesis)
  const overlay = db.overlay()
  for (const a of addresses.slice(0, 50)) {
    await overlay.stateManager.putAccount(a, new Account(4n, 8n))
    await overlay.stateManager.putAccount(a, new Account(3n, 7n))
  }
  const batch = new WriteBatch()
  const { root } = await overlay.prepareCommit(batch)
  assert.equal(bytesToHex(root), bytesToHex(genesisRoot))
  assert.equal(batch.ops.filter((op) => op.space === 'trieNodes').length, 0)
})
