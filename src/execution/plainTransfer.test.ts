import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, privateToAddress } from '@ethereumjs/util'
import type { SignedTx } from '../chain/types.js'
import { bytesToHex } from '../primitives/bytes.js'
import { createFlatStateDb } from '../state/flatStateDb.js'
import { createMemoryStore } from '../state/kvStore.js'
import { commitOverlay } from '../state/testing/commitOverlay.js'
import type { StateDb } from '../state/stateDb.js'
import { executeTransactions, type BlockEnv, type ExecutionOutcome } from './blockExecution.js'
import { createChainCommon } from './common.js'
import { applyPlainTransfer, hasSyncAccounts } from './plainTransfer.js'

const common = createChainCommon(1337n)
/** The fourth sender is not in genesis: only a free, zero-value transaction from it is valid. */
const keys = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i))
const senders = keys.map((k) => privateToAddress(k))
/** In genesis with nothing in it: EIP-161 deletes it once a transaction touches it. */
const EMPTY = new Uint8Array(20).fill(0xee)
const CONTRACT = new Uint8Array(20).fill(0xc0)
const FRESH = new Uint8Array(20).fill(0x5a)
const IDENTITY_PRECOMPILE = new Uint8Array(20)
IDENTITY_PRECOMPILE[19] = 4
const LOW_ADDRESS = new Uint8Array(20)
LOW_ADDRESS[18] = 1
const COINBASE = new Uint8Array(20).fill(0xcb)
const TARGETS = [...senders, EMPTY, CONTRACT, FRESH, IDENTITY_PRECOMPILE, LOW_ADDRESS, COINBASE]
const COINBASES = [COINBASE, senders[0]!, EMPTY, FRESH]

async function genesis(): Promise<StateDb> {
  const store = createMemoryStore()
  const db = createFlatStateDb(store)
  const overlay = db.overlay()
  const state = overlay.stateManager
  await state.putAccount(new Address(senders[0]!), new Account(0n, 10n ** 21n))
  await state.putAccount(new Address(senders[1]!), new Account(0n, 3_000_000n)) // can pay for a few cheap txs only
  await state.putAccount(new Address(senders[2]!), new Account(0n, 10n ** 18n))
  await state.putAccount(new Address(EMPTY), new Account(0n, 0n))
  await state.putAccount(new Address(CONTRACT), new Account(0n, 5n))
  await state.putCode(new Address(CONTRACT), Uint8Array.of(0x00)) // STOP
  await commitOverlay(store, overlay)
  return db
}

interface TxPlan {
  sender: number
  nonceOffset: number
  target: number
  value: bigint
  type: 0 | 1 | 2
  gasLimit: bigint
  data: number
  maxFee: bigint
  tip: bigint
  accessList: boolean
}

function sign(plan: TxPlan, nonce: bigint): SignedTx {
  const base = { nonce, to: TARGETS[plan.target]!, value: plan.value, gasLimit: plan.gasLimit, data: new Uint8Array(plan.data).fill(7) }
  const accessList = plan.accessList ? [{ address: bytesToHex(FRESH), storageKeys: [bytesToHex(new Uint8Array(32))] }] : []
  let tx: TypedTransaction
  if (plan.type === 2) tx = createFeeMarket1559Tx({ ...base, chainId: 1337n, maxFeePerGas: plan.maxFee, maxPriorityFeePerGas: plan.tip > plan.maxFee ? plan.maxFee : plan.tip, accessList }, { common })
  else if (plan.type === 1) tx = createAccessList2930Tx({ ...base, chainId: 1337n, gasPrice: plan.maxFee, accessList }, { common })
  else tx = createLegacyTx({ ...base, gasPrice: plan.maxFee }, { common })
  const signedTx = tx.sign(keys[plan.sender]!)
  return { tx: signedTx, hash: signedTx.hash(), from: senders[plan.sender]!, serialized: signedTx.serialize() }
}

const planArb: fc.Arbitrary<TxPlan> = fc.record({
  sender: fc.integer({ min: 0, max: 3 }),
  nonceOffset: fc.constantFrom(0, 0, 0, 0, 1, -1),
  target: fc.integer({ min: 0, max: TARGETS.length - 1 }),
  value: fc.constantFrom(0n, 1n, 10n ** 15n, 10n ** 22n),
  type: fc.constantFrom(0 as const, 1 as const, 2 as const, 2 as const),
  gasLimit: fc.constantFrom(20_999n, 21_000n, 21_100n, 60_000n),
  data: fc.constantFrom(0, 0, 3),
  maxFee: fc.constantFrom(0n, 7n, 100n),
  tip: fc.constantFrom(0n, 1n, 200n),
  accessList: fc.boolean(),
})

function summary(outcome: ExecutionOutcome) {
  return {
    included: outcome.included.map((t) => bytesToHex(t.hash)),
    rejected: outcome.rejected.map((r) => [bytesToHex(r.tx.hash), r.retry, r.reason]),
    receipts: outcome.receipts.map((r) => ({ ...r, logsBloom: bytesToHex(r.logsBloom) })),
    gasUsed: outcome.gasUsed,
    stateRoot: bytesToHex(outcome.stateRoot),
    receiptsRoot: bytesToHex(outcome.receiptsRoot),
  }
}

test('plain transfers skip the EVM with the same roots, receipts and refusals as runTx (property)', async () => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`plain transfer property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  await fc.assert(
    fc.asyncProperty(fc.array(planArb, { minLength: 1, maxLength: 12 }), fc.constantFrom(0n, 7n), fc.integer({ min: 0, max: COINBASES.length - 1 }), async (plans, baseFee, coinbaseIndex) => {
      const nextNonce = [0n, 0n, 0n, 0n]
      const txs = plans.map((plan) => {
        const nonce = nextNonce[plan.sender]! + BigInt(plan.nonceOffset)
        nextNonce[plan.sender] = nextNonce[plan.sender]! + 1n
        return sign(plan, nonce < 0n ? 0n : nonce)
      })
      const env: BlockEnv = { number: 1n, timestamp: 1001n, gasLimit: 30_000_000n, baseFeePerGas: baseFee, coinbase: COINBASES[coinbaseIndex]!, mixHash: new Uint8Array(32) }
      const fast = await executeTransactions(common, (await genesis()).overlay(), env, txs, 'build', undefined, { plainTransfers: true })
      const evm = await executeTransactions(common, (await genesis()).overlay(), env, txs, 'build', undefined, { plainTransfers: false })
      assert.deepEqual(summary(fast), summary(evm))
    }),
    { seed, numRuns: 120, includeErrorInReport: true },
  )
})

test('applyPlainTransfer takes a transfer to an account without code, and leaves everything else to runTx', async () => {
  const plan: TxPlan = { sender: 0, nonceOffset: 0, target: 1, value: 5n, type: 2, gasLimit: 21_000n, data: 0, maxFee: 100n, tip: 1n, accessList: false }
  const attempt = async (changes: Partial<TxPlan>, nonce = 0n) => {
    const state = (await genesis()).overlay().stateManager
    assert.ok(hasSyncAccounts(state))
    return applyPlainTransfer(state, sign({ ...plan, ...changes }, nonce).tx, senders[(changes.sender ?? plan.sender) as number]!, 7n, new Address(COINBASE))
  }
  assert.deepEqual(await attempt({}), { gasUsed: 21_000n })
  assert.deepEqual(await attempt({ data: 3, gasLimit: 60_000n }), { gasUsed: 21_000n + 3n * 16n })
  assert.equal(await attempt({ target: TARGETS.indexOf(CONTRACT) }), undefined, 'a target with code runs in the EVM')
  assert.equal(await attempt({ target: TARGETS.indexOf(IDENTITY_PRECOMPILE) }), undefined, 'a precompile runs in the EVM')
  assert.equal(await attempt({}, 1n), undefined, 'a wrong nonce is refused by runTx')
  assert.equal(await attempt({ maxFee: 0n, tip: 0n }), undefined, 'a fee cap under the base fee is refused by runTx')
  assert.equal(await attempt({ sender: 1, value: 10n ** 15n }), undefined, 'insufficient funds are refused by runTx')
})
