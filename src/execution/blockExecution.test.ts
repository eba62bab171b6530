import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Account, Address, privateToAddress } from '@ethereumjs/util'
import { logsBloom } from '../chain/bloom.js'
import type { SignedTx } from '../chain/types.js'
import { bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { createFlatStateDb } from '../state/flatStateDb.js'
import { createMemoryStore, type KvStore } from '../state/kvStore.js'
import { commitOverlay } from '../state/testing/commitOverlay.js'
import type { StateDb } from '../state/stateDb.js'
import { executeTransactions, startBlockExecution, type BlockEnv } from './blockExecution.js'
import { createChainCommon } from './common.js'
import { installJumpAnalysisCache } from './jumpAnalysisCache.js'
import { createExecutionVmPool } from './vmPool.js'

const common = createChainCommon(1337n)
const keys = [1, 2].map((i) => new Uint8Array(32).fill(i))
const senders = keys.map((k) => privateToAddress(k))
const EMITTER = new Uint8Array(20).fill(0xc0)
// JUMP over invalid bytes to a JUMPDEST, then LOG2(memory[0:0], topic0 = calldata[0:32], topic1 = CALLER).
const EMITTER_CODE = hexToBytes('0x600a56fefefefefefefe5b336000356000600' + '0a200')

function env(number: bigint): BlockEnv {
  return { number, timestamp: 1000n + number, gasLimit: 30_000_000n, baseFeePerGas: 7n, coinbase: new Uint8Array(20).fill(0xcb), mixHash: new Uint8Array(32) }
}

function signed(who: number, nonce: bigint, fields: { to: Uint8Array; data?: Uint8Array; value?: bigint; gasLimit: bigint }): SignedTx {
  const tx = createFeeMarket1559Tx({ chainId: 1337n, maxFeePerGas: 100n, maxPriorityFeePerGas: 1n, nonce, ...fields }, { common }).sign(keys[who]!)
  return { tx, hash: tx.hash(), from: senders[who]!, serialized: tx.serialize() }
}

async function genesis(): Promise<{ db: StateDb; store: KvStore }> {
  const store = createMemoryStore()
  const db = createFlatStateDb(store)
  const overlay = db.overlay()
  for (const sender of senders) await overlay.stateManager.putAccount(new Address(sender), new Account(0n, 10n ** 20n))
  await overlay.stateManager.putAccount(new Address(EMITTER), new Account(0n, 0n))
  await overlay.stateManager.putCode(new Address(EMITTER), EMITTER_CODE)
  await commitOverlay(store, overlay)
  return { db, store }
}

test('build then validate: receipts, blooms, roots and gas agree; invalid candidates are rejected', async () => {
  const { db } = await genesis()
  const topic = new Uint8Array(32).fill(0x77)
  const candidates = [
    signed(0, 0n, { to: senders[1]!, value: 5n, gasLimit: 21_000n }),
    signed(1, 0n, { to: EMITTER, data: topic, gasLimit: 60_000n }),
    signed(1, 5n, { to: EMITTER, data: topic, gasLimit: 60_000n }), // nonce gap: rejected
    signed(0, 1n, { to: EMITTER, data: new Uint8Array(32).fill(1), gasLimit: 60_000n }),
  ]
  const built = await executeTransactions(common, db.overlay(), env(1n), candidates, 'build')
  assert.deepEqual(built.included.map((t) => bytesToHex(t.hash)), [0, 1, 3].map((i) => bytesToHex(candidates[i]!.hash)))
  assert.equal(built.rejected.length, 1)
  assert.equal(built.rejected[0]!.retry, false)
  assert.deepEqual(built.receipts.map((r) => r.status), [1, 1, 1])
  assert.deepEqual(built.receipts.map((r) => r.logs.length), [0, 1, 1])
  const log = built.receipts[1]!.logs[0]!
  assert.equal(bytesToHex(log.address), bytesToHex(EMITTER))
  assert.deepEqual(log.topics.map(bytesToHex), [bytesToHex(topic), bytesToHex(padAddress(senders[1]!))])
  const blockBloom = new Uint8Array(256)
  for (const receipt of built.receipts) {
    assert.equal(bytesToHex(receipt.logsBloom), bytesToHex(logsBloom(receipt.logs)))
    logsBloom(receipt.logs, blockBloom)
  }
  assert.notEqual(bytesToHex(built.logsBloom), bytesToHex(new Uint8Array(256)))
  assert.equal(bytesToHex(built.logsBloom), bytesToHex(blockBloom))
  assert.equal(built.receipts[2]!.cumulativeGasUsed, built.gasUsed)

  const validated = await executeTransactions(common, db.overlay(), env(1n), built.included, 'validate')
  for (const field of ['stateRoot', 'transactionsRoot', 'receiptsRoot', 'logsBloom'] as const) {
    assert.equal(bytesToHex(validated[field]), bytesToHex(built[field]), field)
  }
  assert.equal(validated.gasUsed, built.gasUsed)
  await assert.rejects(executeTransactions(common, db.overlay(), env(1n), candidates, 'validate'), /transaction 2 is invalid/)
})

test('a block executed in steps equals the same transactions executed at once', async () => {
  const { db } = await genesis()
  const topic = new Uint8Array(32).fill(0x55)
  const candidates = [
    signed(0, 0n, { to: senders[1]!, value: 5n, gasLimit: 21_000n }),
    signed(1, 0n, { to: EMITTER, data: topic, gasLimit: 60_000n }),
    signed(1, 7n, { to: EMITTER, data: topic, gasLimit: 60_000n }), // nonce gap: rejected
    signed(0, 1n, { to: EMITTER, data: topic, gasLimit: 60_000n }),
    signed(1, 1n, { to: senders[0]!, value: 9n, gasLimit: 21_000n }),
  ]
  const atOnce = await executeTransactions(common, db.overlay(), env(1n), candidates, 'build')
  const steps = await startBlockExecution(common, db.overlay(), env(1n), 'build')
  await steps.run(candidates.slice(0, 2))
  assert.equal(steps.includedBytes, candidates[0]!.serialized.length + candidates[1]!.serialized.length)
  await steps.run([])
  await steps.run(candidates.slice(2))
  const stepped = await steps.finish()
  for (const field of ['stateRoot', 'transactionsRoot', 'receiptsRoot', 'logsBloom'] as const) {
    assert.equal(bytesToHex(stepped[field]), bytesToHex(atOnce[field]), field)
  }
  assert.deepEqual(stepped.included.map((t) => bytesToHex(t.hash)), atOnce.included.map((t) => bytesToHex(t.hash)))
  assert.equal(stepped.included.length, 4)
  assert.deepEqual(stepped.receipts.map((r) => r.transactionIndex), [0, 1, 2, 3])
  assert.deepEqual(stepped.rejected.map((r) => bytesToHex(r.tx.hash)), [bytesToHex(candidates[2]!.hash)])
  await assert.rejects(steps.finish(), /has finished/)
  await assert.rejects(steps.run(candidates), /has finished/)
})

test('a transaction that no longer fits holds back its sender\'s later ones, which stay for the next block', async () => {
  const { db } = await genesis()
  const small: BlockEnv = { ...env(1n), gasLimit: 100_000n }
  const steps = await startBlockExecution(common, db.overlay(), small, 'build')
  // An earlier step used 21,000 of the 100,000 gas: 80,000 no longer fits, though 21,000 would.
  await steps.run([signed(0, 0n, { to: senders[1]!, value: 1n, gasLimit: 21_000n })])
  const later = [signed(1, 0n, { to: senders[0]!, value: 1n, gasLimit: 80_000n }), signed(1, 1n, { to: senders[0]!, value: 1n, gasLimit: 21_000n })]
  await steps.run(later)
  const outcome = await steps.finish()
  assert.equal(outcome.included.length, 1)
  assert.deepEqual(
    outcome.rejected.map((r) => [bytesToHex(r.tx.hash), r.retry]),
    later.map((tx) => [bytesToHex(tx.hash), true]),
  )
})

test('an abandoned execution can neither finish nor run more', async () => {
  const { db } = await genesis()
  const steps = await startBlockExecution(common, db.overlay(), env(1n), 'build')
  await steps.run([signed(0, 0n, { to: senders[1]!, value: 5n, gasLimit: 21_000n })])
  steps.abandon()
  await assert.rejects(steps.finish(), /has finished/)
  await assert.rejects(steps.run([signed(0, 1n, { to: senders[1]!, value: 5n, gasLimit: 21_000n })]), /has finished/)
})

function padAddress(address: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  out.set(address, 12)
  return out
}

test('the jump-analysis cache is installed (a dependency upgrade that moves the Interpreter must fail here)', async () => {
  assert.equal(await installJumpAnalysisCache(), true)
})

test('a pooled VM reused across blocks gives the same blocks as a fresh VM per block', async () => {
  const outcomes: string[][] = []
  for (const vms of [undefined, createExecutionVmPool(common)]) {
    const { db, store } = await genesis()
    const nonces = [0n, 0n]
    const roots: string[] = []
    for (const number of [1n, 2n, 3n]) {
      const candidates = [
        signed(0, nonces[0]!, { to: EMITTER, data: new Uint8Array(32).fill(Number(number)), gasLimit: 60_000n }),
        signed(1, nonces[1]! + 7n, { to: senders[0]!, value: 1n, gasLimit: 21_000n }), // rejected: nonce gap
        signed(1, nonces[1]!, { to: senders[0]!, value: number, gasLimit: 21_000n }),
      ]
      nonces[0]!++
      nonces[1]!++
      const overlay = db.overlay()
      const outcome = await executeTransactions(common, overlay, env(number), candidates, 'build', vms)
      assert.equal(outcome.included.length, 2)
      await commitOverlay(store, overlay)
      roots.push(...[outcome.stateRoot, outcome.receiptsRoot, outcome.logsBloom].map(bytesToHex), String(outcome.gasUsed))
    }
    outcomes.push(roots)
  }
  assert.deepEqual(outcomes[1], outcomes[0])
})
