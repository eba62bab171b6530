import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, privateToAddress } from '@ethereumjs/util'
import { encodeFunctionData } from 'viem'
import type { SignedTx } from '../chain/types.js'
import { keccak256 } from '../crypto/keccak.js'
import { bigintToBytes, bytesToHex, concatBytes, hexToBytes, padBytes } from '../primitives/bytes.js'
import { createFlatStateDb } from '../state/flatStateDb.js'
import { createMemoryStore } from '../state/kvStore.js'
import { commitOverlay } from '../state/testing/commitOverlay.js'
import type { StateDb } from '../state/stateDb.js'
import { compileErc20 } from '../../test/fixtures/compile.js'
import { executeTransactions, type BlockEnv, type ExecutionOutcome } from './blockExecution.js'
import { createChainCommon } from './common.js'

const common = createChainCommon(1337n)
const keys = [1, 2, 3].map((i) => new Uint8Array(32).fill(i))
const senders = keys.map((k) => privateToAddress(k))
const PROGRAM = new Uint8Array(20).fill(0xc0)
const TOKEN = new Uint8Array(20).fill(0xe2)
const COINBASE = new Uint8Array(20).fill(0xcb)
/** Slots of PROGRAM that start non-zero, so SSTORE's reset and refund rules are exercised. */
const PRESET_SLOTS: [bigint, bigint][] = [
  [1n, 5n],
  [2n, 1n],
]

function seedOf(name: string): number {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`${name} seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  return seed
}

function word(value: bigint): Uint8Array {
  return padBytes(bigintToBytes(value), 32)
}

async function genesis(program: Uint8Array, tokenCode?: Uint8Array): Promise<StateDb> {
  const store = createMemoryStore()
  const db = createFlatStateDb(store)
  const overlay = db.overlay()
  const state = overlay.stateManager
  for (const sender of senders) await state.putAccount(new Address(sender), new Account(0n, 10n ** 21n))
  await state.putAccount(new Address(PROGRAM), new Account(1n, 7n))
  await state.putCode(new Address(PROGRAM), program)
  for (const [slot, value] of PRESET_SLOTS) await state.putStorage(new Address(PROGRAM), word(slot), bigintToBytes(value))
  if (tokenCode !== undefined) {
    await state.putAccount(new Address(TOKEN), new Account(1n, 0n))
    await state.putCode(new Address(TOKEN), tokenCode)
    // balanceOf is the fixture's slot 3: the first two senders hold tokens, the third none.
    for (const sender of senders.slice(0, 2)) {
      await state.putStorage(new Address(TOKEN), keccak256(concatBytes(padBytes(sender, 32), word(3n))), bigintToBytes(1000n))
    }
  }
  await commitOverlay(store, overlay)
  return db
}

interface TxPlan {
  sender: number
  to: Uint8Array
  data: Uint8Array
  value: bigint
  gasLimit: bigint
  type: 0 | 1 | 2
  accessList: boolean
}

function sign(plan: TxPlan, nonce: bigint): SignedTx {
  const base = { nonce, to: plan.to, value: plan.value, gasLimit: plan.gasLimit, data: plan.data }
  const accessList = plan.accessList ? [{ address: bytesToHex(plan.to), storageKeys: [bytesToHex(word(1n))] }] : []
  let tx: TypedTransaction
  if (plan.type === 2) tx = createFeeMarket1559Tx({ ...base, chainId: 1337n, maxFeePerGas: 100n, maxPriorityFeePerGas: 3n, accessList }, { common })
  else if (plan.type === 1) tx = createAccessList2930Tx({ ...base, chainId: 1337n, gasPrice: 50n, accessList }, { common })
  else tx = createLegacyTx({ ...base, gasPrice: 50n }, { common })
  const signedTx = tx.sign(keys[plan.sender]!)
  return { tx: signedTx, hash: signedTx.hash(), from: senders[plan.sender]!, serialized: signedTx.serialize() }
}

function summary(outcome: ExecutionOutcome) {
  return {
    included: outcome.included.map((t) => bytesToHex(t.hash)),
    rejected: outcome.rejected.map((r) => [bytesToHex(r.tx.hash), r.retry, r.reason]),
    receipts: outcome.receipts.map((r) => ({
      ...r,
      logsBloom: bytesToHex(r.logsBloom),
      logs: r.logs.map((l) => ({ address: bytesToHex(l.address), topics: l.topics.map(bytesToHex), data: bytesToHex(l.data) })),
    })),
    gasUsed: outcome.gasUsed,
    logsBloom: bytesToHex(outcome.logsBloom),
    stateRoot: bytesToHex(outcome.stateRoot),
    receiptsRoot: bytesToHex(outcome.receiptsRoot),
  }
}

/** Runs the plans in one block both ways and requires the same outcome. */
async function compare(plans: TxPlan[], program: Uint8Array, tokenCode?: Uint8Array): Promise<void> {
  const nonces = senders.map(() => 0n)
  const txs = plans.map((plan) => {
    const nonce = nonces[plan.sender]!
    nonces[plan.sender] = nonce + 1n
    return sign(plan, nonce)
  })
  const env: BlockEnv = { number: 9n, timestamp: 1234n, gasLimit: 30_000_000n, baseFeePerGas: 7n, coinbase: COINBASE, mixHash: new Uint8Array(32).fill(0x11) }
  const direct = await executeTransactions(common, (await genesis(program, tokenCode)).overlay(), env, txs, 'build', undefined, { contractCalls: true })
  const evm = await executeTransactions(common, (await genesis(program, tokenCode)).overlay(), env, txs, 'build', undefined, { contractCalls: false })
  assert.deepEqual(summary(direct), summary(evm))
}

// --- random programs ---

const EDGE_OPERANDS = [0n, 1n, 2n, 7n, 30n, 31n, 32n, 254n, 255n, 256n, 1n << 128n, (1n << 255n) - 1n, 1n << 255n, (1n << 256n) - 2n, (1n << 256n) - 1n]

/** Operands that reach the edges of 256-bit arithmetic. */
const operandArb = fc.oneof(
  fc.constantFrom(...EDGE_OPERANDS),
  fc.bigInt({ min: 0n, max: 64n }),
  fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
)
const offsetArb = fc.oneof({ weight: 8, arbitrary: fc.bigInt({ min: 0n, max: 160n }) }, { weight: 1, arbitrary: fc.constantFrom(1n << 40n, (1n << 256n) - 1n, 100_000n) })
const sizeArb = fc.oneof({ weight: 8, arbitrary: fc.bigInt({ min: 0n, max: 70n }) }, { weight: 1, arbitrary: fc.constantFrom(1n << 40n, 5000n) })
const slotArb = fc.bigInt({ min: 0n, max: 3n })
const resultAtArb = fc.integer({ min: 0, max: 7 })

const BURN = Uint8Array.of(0x5f, 0x62, 0x04, 0x00, 0x00, 0x52)

/** Stores the value on top of the stack in memory word `at` (of the first eight). */
function keep(at: number): Uint8Array {
  return Uint8Array.of(0x60, at * 32, 0x52)
}
const storedArb = fc.constantFrom(0n, 1n, 5n, 9n)

function pushOf(value: bigint, width?: number): Uint8Array {
  if (value === 0n && width === undefined) return Uint8Array.of(0x5f) // PUSH0
  const bytes = bigintToBytes(value)
  const size = Math.max(width ?? 1, bytes.length, 1)
  return concatBytes(Uint8Array.of(0x5f + size), padBytes(bytes, size))
}

const ARITHMETIC = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1a, 0x1b, 0x1c, 0x1d]
const NULLARY = [0x30, 0x32, 0x33, 0x34, 0x36, 0x38, 0x3a, 0x3d, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x58, 0x59, 0x5a, 0x5b]
/** Opcodes the interpreter leaves to runTx, and bytes that are no opcode in Cancun. */
const FOREIGN = [0x31, 0x3b, 0x40, 0x5c, 0xf1, 0xfa, 0x0c, 0x21, 0xef]

const snippetArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  // Results are kept in the first 256 bytes of memory, which the trailer logs, so a wrong one shows.
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...ARITHMETIC), operandArb, operandArb, resultAtArb).map(([op, a, b, at]) => concatBytes(pushOf(b), pushOf(a), Uint8Array.of(op), keep(at))) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0x08, 0x09), operandArb, operandArb, operandArb, resultAtArb).map(([op, a, b, n, at]) => concatBytes(pushOf(n), pushOf(b), pushOf(a), Uint8Array.of(op), keep(at))) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0x15, 0x19), operandArb, resultAtArb).map(([op, a, at]) => concatBytes(pushOf(a), Uint8Array.of(op), keep(at))) },
  { weight: 1, arbitrary: operandArb.map((a) => concatBytes(pushOf(a), Uint8Array.of(0x50))) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...NULLARY), resultAtArb).map(([op, at]) => concatBytes(Uint8Array.of(op), op === 0x5b ? new Uint8Array(0) : keep(at))) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0x80, max: 0x9f })).map(([op]) => Uint8Array.of(op)) },
  { weight: 3, arbitrary: fc.tuple(offsetArb, operandArb).map(([offset, value]) => concatBytes(pushOf(value), pushOf(offset), Uint8Array.of(0x52))) },
  { weight: 1, arbitrary: fc.tuple(offsetArb, operandArb).map(([offset, value]) => concatBytes(pushOf(value), pushOf(offset), Uint8Array.of(0x53))) },
  { weight: 2, arbitrary: fc.tuple(offsetArb, resultAtArb).map(([offset, at]) => concatBytes(pushOf(offset), Uint8Array.of(0x51), keep(at))) },
  { weight: 2, arbitrary: fc.tuple(offsetArb, sizeArb, resultAtArb).map(([offset, size, at]) => concatBytes(pushOf(size), pushOf(offset), Uint8Array.of(0x20), keep(at))) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0x37, 0x39, 0x3e, 0x5e), offsetArb, offsetArb, sizeArb).map(([op, to, from, size]) => concatBytes(pushOf(size), pushOf(from), pushOf(to), Uint8Array.of(op))) },
  { weight: 2, arbitrary: fc.tuple(offsetArb, resultAtArb).map(([offset, at]) => concatBytes(pushOf(offset), Uint8Array.of(0x35), keep(at))) },
  { weight: 4, arbitrary: fc.tuple(slotArb, resultAtArb).map(([slot, at]) => concatBytes(pushOf(slot), Uint8Array.of(0x54), keep(at))) },
  { weight: 5, arbitrary: fc.tuple(slotArb, storedArb).map(([slot, value]) => concatBytes(pushOf(value), pushOf(slot), Uint8Array.of(0x55))) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 4 }), offsetArb, sizeArb, fc.array(operandArb, { minLength: 4, maxLength: 4 })).map(([n, offset, size, topics]) =>
      concatBytes(...topics.slice(0, n).map((t) => pushOf(t)), pushOf(size), pushOf(offset), Uint8Array.of(0xa0 + n)),
    ),
  },
  // A conditional jump anywhere: taken half the time, and then mostly to an invalid destination.
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 600 }), fc.oneof(fc.constant(0n), operandArb)).map(([dest, cond]) => concatBytes(pushOf(cond), pushOf(BigInt(dest), 2), Uint8Array.of(0x57))) },
  // Memory out to 256 KiB: about 156,000 gas, enough that SSTORE refunds are not cut to a fifth of the gas used.
  { weight: 1, arbitrary: fc.constant(BURN) },
)

/** Rare endings: a jump anywhere, RETURN, REVERT, STOP, INVALID, an opcode left to runTx, a PUSH cut off by the end of the code. */
const endingArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 600 }).map((dest) => concatBytes(pushOf(BigInt(dest), 2), Uint8Array.of(0x56))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0xf3, 0xfd), offsetArb, sizeArb).map(([op, offset, size]) => concatBytes(pushOf(size), pushOf(offset), Uint8Array.of(op))) },
  { weight: 1, arbitrary: fc.constantFrom(0x00, 0xfe).map((op) => Uint8Array.of(op)) },
  { weight: 1, arbitrary: fc.constantFrom(...FOREIGN).map((op) => concatBytes(pushOf(0n), pushOf(0n), Uint8Array.of(op))) },
  { weight: 1, arbitrary: fc.integer({ min: 0x60, max: 0x7f }).map((op) => Uint8Array.of(op, 0xab)) },
)

/** Logs the first 256 bytes of memory, where the snippets keep their results. */
const TRAILER = Uint8Array.of(0x61, 0x01, 0x00, 0x5f, 0xa0)

const programArb = fc
  .tuple(fc.array(snippetArb, { minLength: 1, maxLength: 40 }), endingArb, fc.array(snippetArb, { maxLength: 5 }))
  .map(([snippets, ending, after]) => concatBytes(...snippets, ending, ...after, TRAILER))

const callPlanArb: fc.Arbitrary<TxPlan> = fc.record({
  sender: fc.integer({ min: 0, max: 2 }),
  to: fc.constant(PROGRAM),
  data: fc.uint8Array({ minLength: 0, maxLength: 40 }),
  value: fc.constantFrom(0n, 0n, 3n),
  gasLimit: fc.oneof({ weight: 2, arbitrary: fc.constantFrom(60_000n, 200_000n, 400_000n) }, { weight: 1, arbitrary: fc.bigInt({ min: 21_000n, max: 90_000n }) }),
  type: fc.constantFrom(0 as const, 1 as const, 2 as const),
  accessList: fc.constantFrom(false, false, false, true),
})

test('contract calls run by the frame interpreter match runTx on random programs (property)', async () => {
  const seed = seedOf('frame interpreter program property')
  await fc.assert(
    fc.asyncProperty(programArb, fc.array(callPlanArb, { minLength: 1, maxLength: 5 }), async (program, plans) => compare(plans, program)),
    { seed, numRuns: 250, includeErrorInReport: true },
  )
})

test('every arithmetic opcode on edge operands gives the results and gas of runTx', async () => {
  for (const op of [...ARITHMETIC, 0x08, 0x09]) {
    const parts: Uint8Array[] = []
    let at = 0
    for (const a of EDGE_OPERANDS) {
      for (const b of EDGE_OPERANDS) {
        const operands = op === 0x08 || op === 0x09 ? [b, b, a] : [b, a]
        parts.push(...operands.map((v) => pushOf(v)), Uint8Array.of(op), pushOf(BigInt(at), 2), Uint8Array.of(0x52))
        at += 32
      }
    }
    parts.push(pushOf(BigInt(at), 2), Uint8Array.of(0x5f, 0xa0))
    await compare([{ sender: 0, to: PROGRAM, data: new Uint8Array(0), value: 0n, gasLimit: 3_000_000n, type: 2, accessList: false }], concatBytes(...parts))
  }
})

test('copies past the end of calldata, code and memory pad with zeros over old memory, as in runTx', async () => {
  const fill = concatBytes(...[0, 32, 64, 96, 128, 160].map((at) => concatBytes(pushOf((1n << 256n) - 1n), pushOf(BigInt(at)), Uint8Array.of(0x52))))
  const data = Uint8Array.from({ length: 37 }, (_, i) => i + 1)
  for (const op of [0x37, 0x39, 0x5e]) {
    for (const [to, from, size] of [[0n, 30n, 40n], [5n, 0n, 64n], [64n, 100n, 33n], [1n, 1n << 200n, 20n], [0n, 0n, 0n]] as const) {
      const program = concatBytes(fill, pushOf(size), pushOf(from > 1000n && op === 0x5e ? 7n : from), pushOf(to), Uint8Array.of(op), pushOf(192n), Uint8Array.of(0x5f, 0xa0))
      await compare([{ sender: 0, to: PROGRAM, data, value: 0n, gasLimit: 200_000n, type: 2, accessList: false }], program)
    }
  }
})

test('SSTORE gas and refunds for every short sequence of writes to a slot, as in runTx', async () => {
  // Slot 0 starts at zero and slot 2 at one; the BURN prefix makes the refund cap (a fifth of gas used) loose.
  const values = [0n, 1n, 2n]
  for (const slot of [0n, 2n]) {
    for (const first of values) {
      for (const second of values) {
        for (const third of [undefined, ...values]) {
          const writes = third === undefined ? [first, second] : [first, second, third]
          const program = concatBytes(BURN, ...writes.map((v) => concatBytes(pushOf(v), pushOf(slot), Uint8Array.of(0x55))))
          await compare([{ sender: 0, to: PROGRAM, data: new Uint8Array(0), value: 0n, gasLimit: 400_000n, type: 2, accessList: false }], program)
        }
      }
    }
  }
})

test('SSTORE needs more than 2,300 gas left even when it would cost less (EIP-2200), as in runTx', async () => {
  // Slot 2 holds 1: writing 1 again costs 2,100 (cold) + 100, under the 2,300 sentry.
  const program = Uint8Array.of(0x60, 0x01, 0x60, 0x02, 0x55)
  const pushes = 6n
  for (let extra = 2_290n; extra <= 2_310n; extra++) {
    await compare([{ sender: 0, to: PROGRAM, data: new Uint8Array(0), value: 0n, gasLimit: 21_000n + pushes + extra, type: 2, accessList: false }], program)
  }
})

// --- an ERC-20 ---

test('ERC-20 transfers, approvals and failures run by the frame interpreter match runTx (property)', async () => {
  const seed = seedOf('frame interpreter ERC-20 property')
  const token = compileErc20()
  const tokenCode = hexToBytes(token.deployedBytecode)
  const addresses = [...senders, new Uint8Array(20), COINBASE, new Uint8Array(20).fill(0x77)]
  const callArb = fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: addresses.length - 1 }), fc.constantFrom(0n, 1n, 400n, 1000n, 5000n)).map(([to, amount]) =>
      encodeFunctionData({ abi: token.abi, functionName: 'transfer', args: [bytesToHex(addresses[to]!), amount] }),
    ),
    fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(0n, 10n, (1n << 256n) - 1n)).map(([spender, amount]) =>
      encodeFunctionData({ abi: token.abi, functionName: 'approve', args: [bytesToHex(senders[spender]!), amount] }),
    ),
    fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: addresses.length - 1 }), fc.constantFrom(1n, 10n, 600n)).map(([from, to, amount]) =>
      encodeFunctionData({ abi: token.abi, functionName: 'transferFrom', args: [bytesToHex(senders[from]!), bytesToHex(addresses[to]!), amount] }),
    ),
    fc.integer({ min: 0, max: 2 }).map((owner) => encodeFunctionData({ abi: token.abi, functionName: 'balanceOf', args: [bytesToHex(senders[owner]!)] })),
    fc.constant(encodeFunctionData({ abi: token.abi, functionName: 'name' })),
  )
  const planArb: fc.Arbitrary<TxPlan> = fc.record({
    sender: fc.integer({ min: 0, max: 2 }),
    to: fc.constant(TOKEN),
    data: callArb.map(hexToBytes),
    value: fc.constantFrom(0n, 0n, 0n, 1n),
    gasLimit: fc.oneof(fc.constant(80_000n), fc.bigInt({ min: 22_000n, max: 80_000n })),
    type: fc.constantFrom(0 as const, 2 as const, 2 as const),
    accessList: fc.constant(false),
  })
  await fc.assert(
    fc.asyncProperty(fc.array(planArb, { minLength: 1, maxLength: 10 }), async (plans) => compare(plans, Uint8Array.of(0x00), tokenCode)),
    { seed, numRuns: 120, includeErrorInReport: true },
  )
})
