import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createChainCommon } from '../execution/common.js'
import { bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { ErrorCode, isSteleError } from '../primitives/errors.js'
import type { SignedTx } from '../chain/types.js'
import { createSignerRecovery } from '../crypto/recoveryWorkers.js'
import { createTxPool, type TxPool, type TxPoolOptions } from './txPool.js'
import { createFakeState, DEV_KEYS, signTestTx } from './testTransactions.js'

const CHAIN_ID = 1337n
const common = createChainCommon(CHAIN_ID)
const SENDERS = DEV_KEYS.slice(0, 3)
const FEES = [1n, 2n, 3n, 10n]
const MAX_SIZE = 6
const MAX_PER_SENDER = 4
const ALLOWED_REFUSALS = new Set<string>([
  ErrorCode.NonceTooLow,
  ErrorCode.AlreadyKnown,
  ErrorCode.ReplacementUnderpriced,
  ErrorCode.TxPoolFull,
])

// Signing is the slow part of a run: each distinct (sender, nonce, fee) is signed once.
const signed = new Map<string, Uint8Array>()
function rawTx(sender: number, nonce: number, fee: number): Uint8Array {
  const key = `${sender}:${nonce}:${fee}`
  let raw = signed.get(key)
  if (raw === undefined) {
    const feeCap = FEES[fee] as bigint
    raw = signTestTx(common, (SENDERS[sender] as (typeof SENDERS)[number]).key, { nonce: BigInt(nonce), feeCap, tip: feeCap })
    signed.set(key, raw)
  }
  return raw
}

type Op =
  | { kind: 'add'; sender: number; nonce: number; fee: number }
  | { kind: 'addPair'; a: { sender: number; nonce: number; fee: number }; b: { sender: number; nonce: number; fee: number } }
  | { kind: 'commit'; maxTxs: number }
  | { kind: 'external'; sender: number; advance: number }
  | { kind: 'remove'; pick: number }

const txArb = fc.record({ sender: fc.nat(SENDERS.length - 1), nonce: fc.nat(6), fee: fc.nat(FEES.length - 1) })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: txArb.map((t) => ({ kind: 'add' as const, ...t })) },
  { weight: 2, arbitrary: fc.record({ a: txArb, b: txArb }).map((p) => ({ kind: 'addPair' as const, ...p })) },
  { weight: 2, arbitrary: fc.nat(6).map((maxTxs) => ({ kind: 'commit' as const, maxTxs })) },
  { weight: 1, arbitrary: fc.record({ sender: fc.nat(SENDERS.length - 1), advance: fc.integer({ min: 1, max: 3 }) }).map((e) => ({ kind: 'external' as const, ...e })) },
  { weight: 1, arbitrary: fc.nat(20).map((pick) => ({ kind: 'remove' as const, pick })) },
)

function checkInvariants(pool: TxPool, stateNonces: bigint[]): void {
  const { pending, queued } = pool.content()
  const counts = pool.counts()
  assert.ok(pool.size() <= MAX_SIZE, `size ${pool.size()} over ${MAX_SIZE}`)
  assert.equal(counts.pending + counts.queued, pool.size())
  assert.equal(pending.length, counts.pending)
  assert.equal(queued.length, counts.queued)
  const all = [...pending, ...queued]
  assert.equal(new Set(all.map((t) => bytesToHex(t.hash))).size, all.length, 'no duplicate hashes')
  for (const tx of all) assert.equal(pool.get(tx.hash), tx)

  SENDERS.forEach((sender, i) => {
    const address = sender.address.toLowerCase()
    const stateNonce = stateNonces[i] as bigint
    const mine = all.filter((t) => bytesToHex(t.from) === address)
    assert.ok(mine.length <= MAX_PER_SENDER, 'per-sender bound')
    const pooledNonces = new Set(mine.map((t) => t.tx.nonce))
    assert.equal(pooledNonces.size, mine.length, 'one tx per sender and nonce')
    for (const n of pooledNonces) assert.ok(n >= stateNonce, `stale nonce ${n} kept under state nonce ${stateNonce}`)
    let run = 0n
    while (pooledNonces.has(stateNonce + run)) run++
    const pendingMine = pending.filter((t) => bytesToHex(t.from) === address)
    assert.equal(BigInt(pendingMine.length), run, 'pending is exactly the consecutive run from the state nonce')
    assert.equal(pool.poolNonce(hexToBytes(sender.address)), run > 0n ? stateNonce + run : undefined)
  })

  const selected = pool.selectForBlock({ gasLimit: 10_000_000n, baseFee: 0n })
  assert.equal(selected.length, counts.pending, 'everything pending fits and is selected')
  assertSelectionOrder(selected, stateNonces)
}

function assertSelectionOrder(selected: readonly SignedTx[], stateNonces: bigint[]): void {
  assert.equal(new Set(selected.map((t) => bytesToHex(t.hash))).size, selected.length, 'selection has no duplicates')
  const next = new Map(SENDERS.map((s, i) => [s.address.toLowerCase(), stateNonces[i] as bigint]))
  for (const tx of selected) {
    const from = bytesToHex(tx.from)
    assert.equal(tx.tx.nonce, next.get(from), `selected nonces of ${from} must be consecutive from the state nonce`)
    next.set(from, tx.tx.nonce + 1n)
  }
}

test('random add / commit / remove sequences keep the pool invariants', async () => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`txpool property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      const state = createFakeState()
      const stateNonces = SENDERS.map(() => 0n)
      const pool = createTxPool({
        common,
        chainId: CHAIN_ID,
        account: (address) => state.account(address),
        baseFee: () => 0n,
        blockGasLimit: () => 30_000_000n,
        limits: { maxSize: MAX_SIZE, maxPerSender: MAX_PER_SENDER },
      })
      const setNonce = (i: number, nonce: bigint) => {
        stateNonces[i] = nonce
        state.set((SENDERS[i] as (typeof SENDERS)[number]).address, { nonce })
      }

      const tryAdd = async (t: { sender: number; nonce: number; fee: number }): Promise<SignedTx | undefined> => {
        try {
          return await pool.add(rawTx(t.sender, t.nonce, t.fee))
        } catch (error) {
          assert.ok(isSteleError(error) && ALLOWED_REFUSALS.has(error.code), `unexpected refusal: ${String(error)}`)
          return undefined
        }
      }
      const assertAdmitted = (added: readonly (SignedTx | undefined)[]) => {
        const pooled = [...pool.content().pending, ...pool.content().queued]
        for (const tx of added) {
          if (tx === undefined || pool.has(tx.hash)) continue
          const from = bytesToHex(tx.from)
          // A concurrent same-nonce replacement may have taken its place, or, in a full pool, an executable
          // arrival may have evicted it, but only if it is not executable now.
          const replaced = pooled.some((p) => bytesToHex(p.from) === from && p.tx.nonce === tx.tx.nonce)
          const runEnd = pool.poolNonce(tx.from) ?? stateNonces[SENDERS.findIndex((s) => s.address.toLowerCase() === from)]
          assert.ok(replaced || (pool.size() === MAX_SIZE && tx.tx.nonce >= (runEnd as bigint)), `admitted tx ${bytesToHex(tx.hash)} is missing`)
        }
      }

      for (const op of ops) {
        const pendingBefore = pool.content().pending
        if (op.kind === 'add') assertAdmitted([await tryAdd(op)])
        else if (op.kind === 'addPair') assertAdmitted(await Promise.all([tryAdd(op.a), tryAdd(op.b)]))
        else if (op.kind === 'commit') {
          const block = pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n, maxTxs: op.maxTxs })
          assertSelectionOrder(block, stateNonces)
          for (const tx of block) {
            const i = SENDERS.findIndex((s) => s.address.toLowerCase() === bytesToHex(tx.from))
            setNonce(i, tx.tx.nonce + 1n)
          }
          pool.onBlockCommitted(block)
          for (const tx of block) assert.ok(!pool.has(tx.hash), 'included txs leave the pool')
        } else if (op.kind === 'external') {
          const nonce = (stateNonces[op.sender] as bigint) + BigInt(op.advance)
          setNonce(op.sender, nonce)
          pool.onBlockCommitted([], [[hexToBytes((SENDERS[op.sender] as (typeof SENDERS)[number]).address), nonce]])
        } else {
          const all = [...pool.content().pending, ...pool.content().queued]
          const victim = all[op.pick % Math.max(1, all.length)]
          if (victim !== undefined) assert.equal(pool.remove([victim.hash]), 1)
        }
        if (op.kind === 'add' || op.kind === 'addPair') {
          // Admission never pushes out an executable tx; only a same-nonce replacement takes its place.
          for (const tx of pendingBefore) {
            if (pool.has(tx.hash)) continue
            const replaced = pool.content().pending.some((p) => bytesToHex(p.from) === bytesToHex(tx.from) && p.tx.nonce === tx.tx.nonce)
            assert.ok(replaced, `executable tx ${bytesToHex(tx.hash)} was dropped by an add`)
          }
        }
        checkInvariants(pool, stateNonces)
      }
    }),
    { seed, numRuns: 250, includeErrorInReport: true },
  )
})

const workerRecovery = createSignerRecovery({ threads: 1 })
after(() => workerRecovery.close())

type DiffOp =
  | { kind: 'burst'; txs: { sender: number; nonce: number; fee: number }[] }
  | { kind: 'commit'; maxTxs: number }
  | { kind: 'external'; sender: number; advance: number }
  | { kind: 'remove'; pick: number }

const diffOpArb: fc.Arbitrary<DiffOp> = fc.oneof(
  { weight: 6, arbitrary: fc.array(txArb, { minLength: 1, maxLength: 8 }).map((txs) => ({ kind: 'burst' as const, txs })) },
  { weight: 2, arbitrary: fc.nat(6).map((maxTxs) => ({ kind: 'commit' as const, maxTxs })) },
  { weight: 1, arbitrary: fc.record({ sender: fc.nat(SENDERS.length - 1), advance: fc.integer({ min: 1, max: 3 }) }).map((e) => ({ kind: 'external' as const, ...e })) },
  { weight: 1, arbitrary: fc.nat(20).map((pick) => ({ kind: 'remove' as const, pick })) },
)

const outcomeOf = (result: PromiseSettledResult<SignedTx>): string =>
  result.status === 'fulfilled' ? bytesToHex(result.value.hash) : isSteleError(result.reason) ? `${result.reason.code}: ${result.reason.message}` : String(result.reason)
const contentKey = (pool: TxPool): string => {
  const { pending, queued } = pool.content()
  return `${pending.map((t) => bytesToHex(t.hash)).join()}|${queued.map((t) => bytesToHex(t.hash)).join()}`
}

test('concurrent bursts are admitted as the same calls one by one, with recovery on this thread or a worker', async () => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`txpool worker-recovery property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  await fc.assert(
    fc.asyncProperty(fc.array(diffOpArb, { minLength: 1, maxLength: 25 }), async (ops) => {
      const state = createFakeState()
      const base: TxPoolOptions = {
        common,
        chainId: CHAIN_ID,
        account: (address) => state.account(address),
        baseFee: () => 0n,
        blockGasLimit: () => 30_000_000n,
        limits: { maxSize: MAX_SIZE, maxPerSender: MAX_PER_SENDER },
      }
      const here = createTxPool(base)
      const worker = createTxPool({ ...base, recovery: workerRecovery })
      // The reference: the same calls one after another, as a batch was dispatched before calls ran together.
      const sequential = createTxPool(base)
      const pools = [here, worker, sequential]
      for (const op of ops) {
        if (op.kind === 'burst') {
          // A JSON-RPC batch: every add starts before any finishes.
          const raws = op.txs.map((t) => rawTx(t.sender, t.nonce, t.fee))
          const [a, b] = await Promise.all([Promise.allSettled(raws.map((r) => here.add(r))), Promise.allSettled(raws.map((r) => worker.add(r)))])
          const c: PromiseSettledResult<SignedTx>[] = []
          for (const raw of raws) c.push(...(await Promise.allSettled([sequential.add(raw)])))
          assert.deepEqual(b.map(outcomeOf), a.map(outcomeOf))
          assert.deepEqual(c.map(outcomeOf), a.map(outcomeOf))
        } else if (op.kind === 'commit') {
          const block = here.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n, maxTxs: op.maxTxs })
          for (const pool of [worker, sequential]) {
            assert.deepEqual(pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n, maxTxs: op.maxTxs }).map((t) => bytesToHex(t.hash)), block.map((t) => bytesToHex(t.hash)))
          }
          for (const tx of block) state.set(tx.from, { nonce: tx.tx.nonce + 1n })
          for (const pool of pools) pool.onBlockCommitted(block)
        } else if (op.kind === 'external') {
          const address = hexToBytes((SENDERS[op.sender] as (typeof SENDERS)[number]).address)
          const nonce = state.read(address).nonce + BigInt(op.advance)
          state.set(address, { nonce })
          for (const pool of pools) pool.onBlockCommitted([], [[address, nonce]])
        } else {
          const all = [...here.content().pending, ...here.content().queued]
          const victim = all[op.pick % Math.max(1, all.length)]
          if (victim !== undefined) for (const pool of pools) assert.equal(pool.remove([victim.hash]), 1)
        }
        assert.equal(contentKey(worker), contentKey(here))
        assert.equal(contentKey(sequential), contentKey(here))
      }
    }),
    { seed, numRuns: 100, includeErrorInReport: true },
  )
  assert.ok(workerRecovery.stats().recovered > 0, 'the worker did the recoveries')
})
