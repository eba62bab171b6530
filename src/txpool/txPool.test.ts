import { after, test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createTx } from '@ethereumjs/tx'
import { RLP } from '@ethereumjs/rlp'
import { createChainCommon } from '../execution/common.js'
import { bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { ErrorCode, isSteleError, type SteleError } from '../primitives/errors.js'
import { keccak256 } from '../crypto/keccak.js'
import { SECP256K1_N, sign as signHash } from '../crypto/secp256k1.js'
import type { SignedTx } from '../chain/types.js'
import { createSignerRecovery, type SignerRecovery } from '../crypto/recoveryWorkers.js'
import { createTxPool, type TxPoolLimits, type TxPoolOptions } from './txPool.js'
import { createFakeState, DEV_KEYS, encodeType2, signTestTx, type TestTxFields } from './testTransactions.js'

const CHAIN_ID = 1337n
const common = createChainCommon(CHAIN_ID)
const [A, B, C] = DEV_KEYS
const GWEI = 1_000_000_000n

type SetupOverrides = { baseFee?: bigint; blockGasLimit?: bigint; limits?: Partial<TxPoolLimits> }

function setupPool(recovery: SignerRecovery | undefined, overrides: SetupOverrides = {}) {
  const state = createFakeState()
  let baseFee = overrides.baseFee ?? 0n
  const options: TxPoolOptions = {
    common,
    chainId: CHAIN_ID,
    account: (address) => state.account(address),
    baseFee: () => baseFee,
    blockGasLimit: () => overrides.blockGasLimit ?? 30_000_000n,
    ...(overrides.limits === undefined ? {} : { limits: overrides.limits }),
    ...(recovery === undefined ? {} : { recovery }),
  }
  const pool = createTxPool(options)
  return {
    pool,
    state,
    setBaseFee: (fee: bigint) => {
      baseFee = fee
    },
  }
}

const sign = (who: (typeof DEV_KEYS)[number], fields: TestTxFields): Uint8Array => signTestTx(common, who.key, fields)

async function rejects(promise: Promise<unknown>, code: ErrorCode, message: string | RegExp): Promise<SteleError> {
  try {
    await promise
  } catch (error) {
    assert.ok(isSteleError(error), `expected a SteleError, got ${String(error)}`)
    assert.equal(error.code, code, `code for: ${error.message}`)
    if (typeof message === 'string') assert.equal(error.message, message)
    else assert.match(error.message, message)
    return error
  }
  assert.fail(`expected rejection with ${code}`)
}

const nonces = (txs: readonly SignedTx[]) => txs.map((t) => `${bytesToHex(t.from).slice(0, 6)}:${t.tx.nonce}`)

/** Every case runs with recovery on this thread and on a worker thread (createSignerRecovery). */
const workerRecovery = createSignerRecovery({ threads: 1 })
after(() => workerRecovery.close())
const MODES: readonly [string, SignerRecovery | undefined][] = [
  ['in-thread recovery', undefined],
  ['worker recovery', workerRecovery],
]

/** Polls a condition across microtasks and event-loop turns (a worker reply is a macrotask), bounded in time. */
async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) assert.fail('condition not reached in time')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

for (const [mode, recovery] of MODES) describe(mode, () => {
  const setup = (overrides: SetupOverrides = {}) => setupPool(recovery, overrides)

  describe('admission', () => {
    test('admits types 0, 1 and 2 with the sender recovered, the hash cached and the raw bytes kept', async () => {
      const { pool } = setup()
      for (const [nonce, type] of [[0n, 0], [1n, 1], [2n, 2]] as const) {
        const raw = sign(A, { type, nonce })
        const added = await pool.add(raw)
        assert.equal(bytesToHex(added.from), A.address.toLowerCase())
        assert.equal(added.tx.getSenderAddress().toString(), A.address.toLowerCase(), 'the cached public key is the sender\'s')
        assert.ok(added.tx.verifySignature())
        assert.deepEqual(added.serialized, raw)
        assert.deepEqual(added.tx.serialize(), raw)
        assert.deepEqual(added.hash, keccak256(raw))
        assert.deepEqual(added.tx.hash(), keccak256(raw))
        assert.equal(added.tx.type, type)
        assert.ok(pool.has(added.hash))
        assert.equal(pool.get(added.hash), added)
      }
      assert.equal(pool.size(), 3)
      assert.deepEqual(pool.counts(), { pending: 3, queued: 0 })
    })

    test('accepts a pre-EIP-155 legacy tx (v = 27/28), as geth pools do', async () => {
      const { pool } = setup()
      const unsignedFields = [Uint8Array.of(), Uint8Array.of(1), hexToBytes('0x5208'), hexToBytes('0x000000000000000000000000000000000000dead'), Uint8Array.of(1), Uint8Array.of()]
      const signature = signHash(keccak256(RLP.encode(unsignedFields)), A.key)
      const raw = RLP.encode([...unsignedFields, Uint8Array.of(27 + (signature[64] as number)), signature.subarray(0, 32), signature.subarray(32, 64)])
      const added = await pool.add(raw)
      assert.equal(bytesToHex(added.from), A.address.toLowerCase())
      assert.deepEqual(added.tx.hash(), keccak256(raw))
    })

    test('undecodable bytes are INVALID_TRANSACTION', async () => {
      const { pool } = setup()
      await rejects(pool.add(new Uint8Array(0)), ErrorCode.InvalidTransaction, /^invalid transaction: empty input/)
      await rejects(pool.add(hexToBytes('0x80')), ErrorCode.InvalidTransaction, /^invalid transaction/)
      await rejects(pool.add(hexToBytes('0x02c3010203ff')), ErrorCode.InvalidTransaction, /^invalid transaction: malformed RLP/)
      await rejects(pool.add(hexToBytes('0xc3010203')), ErrorCode.InvalidTransaction, /^invalid transaction/)
      const valid = sign(A, { nonce: 0n })
      await rejects(pool.add(valid.subarray(0, valid.length - 1)), ErrorCode.InvalidTransaction, /^invalid transaction/)
      const legacy = sign(A, { type: 0, nonce: 0n })
      await rejects(pool.add(Uint8Array.of(0, ...legacy)), ErrorCode.InvalidTransaction, 'invalid transaction: not an RLP list or typed envelope')
    })

    test('a chain id with a leading zero byte is refused as non-canonical', async () => {
      const { pool } = setup()
      const raw = sign(A, { nonce: 0n })
      const fields = RLP.decode(raw.subarray(1)) as Uint8Array[]
      const padded = Uint8Array.of(2, ...RLP.encode([Uint8Array.of(0, ...(fields[0] as Uint8Array)), ...fields.slice(1)]))
      await rejects(pool.add(padded), ErrorCode.InvalidTransaction, 'invalid transaction: non-canonical chain id')
    })

    test('the pool keeps its own copy of the bytes', async () => {
      const { pool } = setup()
      const raw = sign(A, { nonce: 0n })
      const added = await pool.add(raw)
      raw.fill(0)
      assert.notDeepEqual(added.serialized, raw)
      assert.deepEqual(keccak256(added.serialized), added.hash)
    })

    test('blob (3) and set-code (4) transactions are refused by type', async () => {
      const { pool } = setup()
      const body = RLP.encode([hexToBytes('0x0539')])
      await rejects(pool.add(Uint8Array.of(3, ...body)), ErrorCode.InvalidTransaction, /^transaction type not supported: blob transactions \(type 3\)/)
      await rejects(pool.add(Uint8Array.of(4, ...body)), ErrorCode.InvalidTransaction, /^transaction type not supported: set-code transactions \(type 4\)/)
      await rejects(pool.add(Uint8Array.of(5, ...body)), ErrorCode.InvalidTransaction, /^transaction type not supported: type 5/)
    })

    test('a wrong chain id is WRONG_CHAIN_ID for typed and EIP-155 legacy txs', async () => {
      const { pool } = setup()
      const mainnet = createChainCommon(1n)
      for (const type of [0, 1, 2] as const) {
        await rejects(
          pool.add(signTestTx(mainnet, A.key, { type, nonce: 0n })),
          ErrorCode.WrongChainId,
          'invalid chain id for signer: have 1 want 1337',
        )
      }
    })

    test('a bad or missing signature is INVALID_SIGNATURE "invalid sender"', async () => {
      const { pool } = setup()
      const fields = { chainId: CHAIN_ID, nonce: 0n, tip: 1n, feeCap: 1n, gasLimit: 21_000n }
      await rejects(pool.add(encodeType2({ ...fields, v: 0n, r: 1n, s: SECP256K1_N - 1n })), ErrorCode.InvalidSignature, 'invalid sender')
      await rejects(pool.add(encodeType2({ ...fields, v: 1n, r: 0n, s: 1n })), ErrorCode.InvalidSignature, 'invalid sender')
      await rejects(pool.add(encodeType2({ ...fields, v: 2n, r: 1n, s: 1n })), ErrorCode.InvalidSignature, 'invalid sender')
      const data = { type: 2, nonce: 0n, gasLimit: 21_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, to: '0x000000000000000000000000000000000000dEaD' } as const
      const unsigned = createTx(data, { common })
      await rejects(pool.add(unsigned.serialize()), ErrorCode.InvalidSignature, 'invalid sender')
      const legacyBadV = RLP.encode([...createTx({ ...data, type: 0, gasPrice: 1n }, { common }).raw().slice(0, 6), Uint8Array.of(30), Uint8Array.of(1), Uint8Array.of(1)])
      await rejects(pool.add(legacyBadV), ErrorCode.InvalidSignature, 'invalid sender')
    })

    test('a tx over 128 KiB is OVERSIZED_DATA', async () => {
      const { pool } = setup({ blockGasLimit: 100_000_000n })
      const raw = sign(A, { nonce: 0n, gasLimit: 10_000_000n, data: new Uint8Array(131_072) })
      await rejects(pool.add(raw), ErrorCode.OversizedData, `oversized data: transaction size ${raw.length}, limit 131072`)
    })

    test('an oversized init code gets geth\'s initcode error', async () => {
      const { pool } = setup({ blockGasLimit: 100_000_000n })
      const raw = sign(A, { nonce: 0n, to: null, gasLimit: 20_000_000n, data: new Uint8Array(49_153) })
      await rejects(pool.add(raw), ErrorCode.InvalidTransaction, 'max initcode size exceeded: code size 49153, limit 49152')
    })

    test('a gas limit below the intrinsic gas is INTRINSIC_GAS_TOO_LOW', async () => {
      const { pool } = setup()
      await rejects(pool.add(sign(A, { nonce: 0n, gasLimit: 20_999n })), ErrorCode.IntrinsicGasTooLow, 'intrinsic gas too low: gas 20999, minimum needed 21000')
      // Calldata costs 16 per non-zero byte and 4 per zero byte; creation adds 32000 plus 2 per init code word.
      await rejects(
        pool.add(sign(A, { nonce: 0n, gasLimit: 21_000n, data: Uint8Array.of(1, 0) })),
        ErrorCode.IntrinsicGasTooLow,
        'intrinsic gas too low: gas 21000, minimum needed 21020',
      )
      await rejects(
        pool.add(sign(A, { nonce: 0n, to: null, gasLimit: 53_000n, data: Uint8Array.of(1) })),
        ErrorCode.IntrinsicGasTooLow,
        'intrinsic gas too low: gas 53000, minimum needed 53018',
      )
    })

    test('a gas limit above the block gas limit is GAS_LIMIT_EXCEEDED', async () => {
      const { pool } = setup({ blockGasLimit: 1_000_000n })
      await rejects(pool.add(sign(A, { nonce: 0n, gasLimit: 1_000_001n })), ErrorCode.GasLimitExceeded, 'exceeds block gas limit')
      await pool.add(sign(A, { nonce: 0n, gasLimit: 1_000_000n }))
    })

    test('a nonce below the state nonce is NONCE_TOO_LOW', async () => {
      const { pool, state } = setup()
      state.set(A.address, { nonce: 5n })
      await rejects(pool.add(sign(A, { nonce: 3n })), ErrorCode.NonceTooLow, `nonce too low: address ${A.address}, tx: 3 state: 5`)
    })

    test('a balance below gas * price + value is INSUFFICIENT_FUNDS', async () => {
      const { pool, state } = setup()
      state.set(B.address, { balance: 1000n })
      await rejects(
        pool.add(sign(B, { nonce: 0n, feeCap: 2n * GWEI, value: 7n })),
        ErrorCode.InsufficientFunds,
        `insufficient funds for gas * price + value: address ${B.address} have 1000 want ${21_000n * 2n * GWEI + 7n}`,
      )
      // A gas-free transfer needs only the value.
      await pool.add(sign(B, { nonce: 0n, feeCap: 0n, tip: 0n, value: 1000n }))
    })

    test('a fee cap below the base fee is FEE_TOO_LOW; with base fee 0, gas price 0 is accepted', async () => {
      const { pool, setBaseFee } = setup({ baseFee: 7n * GWEI })
      await rejects(
        pool.add(sign(A, { nonce: 0n, feeCap: GWEI, tip: GWEI })),
        ErrorCode.FeeTooLow,
        `max fee per gas less than block base fee: address ${A.address}, maxFeePerGas: ${GWEI}, baseFee: ${7n * GWEI}`,
      )
      await rejects(pool.add(sign(A, { type: 0, nonce: 0n, feeCap: 0n })), ErrorCode.FeeTooLow, /maxFeePerGas: 0, baseFee: 7000000000$/)
      setBaseFee(0n)
      await pool.add(sign(A, { type: 0, nonce: 0n, feeCap: 0n }))
      await pool.add(sign(A, { type: 2, nonce: 1n, feeCap: 0n, tip: 0n }))
      assert.deepEqual(pool.counts(), { pending: 2, queued: 0 })
    })

    test('a tip above the fee cap is refused with geth\'s wording', async () => {
      const { pool } = setup()
      const raw = encodeType2({ chainId: CHAIN_ID, nonce: 0n, tip: 2n, feeCap: 1n, gasLimit: 21_000n, v: 0n, r: 1n, s: 1n })
      await rejects(pool.add(raw), ErrorCode.InvalidTransaction, 'max priority fee per gas higher than max fee per gas')
    })

    test('the same tx twice is ALREADY_KNOWN, also when both arrive at once', async () => {
      const { pool } = setup()
      const raw = sign(A, { nonce: 0n })
      const results = await Promise.allSettled([pool.add(raw), pool.add(raw)])
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
      assert.ok(isSteleError(rejected.reason, ErrorCode.AlreadyKnown))
      assert.equal(rejected.reason.message, 'already known')
      await rejects(pool.add(raw), ErrorCode.AlreadyKnown, 'already known')
      assert.equal(pool.size(), 1)
    })
  })

  describe('replacement', () => {
    test('a same-nonce tx replaces only with both fee cap and tip raised by 10%', async () => {
      const { pool } = setup()
      const original = await pool.add(sign(A, { nonce: 0n, feeCap: 100n, tip: 10n }))
      await rejects(pool.add(sign(A, { nonce: 0n, feeCap: 109n, tip: 11n })), ErrorCode.ReplacementUnderpriced, 'replacement transaction underpriced')
      await rejects(pool.add(sign(A, { nonce: 0n, feeCap: 200n, tip: 10n })), ErrorCode.ReplacementUnderpriced, 'replacement transaction underpriced')
      const seen: SignedTx[] = []
      pool.onPending((tx) => seen.push(tx))
      const replacement = await pool.add(sign(A, { nonce: 0n, feeCap: 110n, tip: 11n }))
      assert.ok(!pool.has(original.hash))
      assert.ok(pool.has(replacement.hash))
      assert.equal(pool.size(), 1)
      assert.deepEqual(pool.counts(), { pending: 1, queued: 0 })
      assert.deepEqual(seen, [replacement], 'replacing a pending tx announces the new one')
      assert.deepEqual(pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n }), [replacement])
    })

    test('zero-priced txs cannot be replaced by zero-priced ones (geth rule)', async () => {
      const { pool } = setup()
      await pool.add(sign(A, { nonce: 0n, feeCap: 0n, tip: 0n, value: 1n }))
      await rejects(pool.add(sign(A, { nonce: 0n, feeCap: 0n, tip: 0n, value: 2n })), ErrorCode.ReplacementUnderpriced, 'replacement transaction underpriced')
      await pool.add(sign(A, { nonce: 0n, feeCap: 1n, tip: 1n, value: 2n }))
    })

    test('a queued tx can be replaced and stays queued', async () => {
      const { pool } = setup()
      await pool.add(sign(A, { nonce: 3n, feeCap: 100n, tip: 100n }))
      await pool.add(sign(A, { nonce: 3n, feeCap: 200n, tip: 200n }))
      assert.deepEqual(pool.counts(), { pending: 0, queued: 1 })
    })
  })

  describe('nonce ordering', () => {
    test('a nonce gap is queued, then promoted when the gap fills, announcing each tx once in order', async () => {
      const { pool } = setup()
      const announced: bigint[] = []
      const unsubscribe = pool.onPending((tx) => announced.push(tx.tx.nonce))
      await pool.add(sign(A, { nonce: 0n }))
      await pool.add(sign(A, { nonce: 2n }))
      await pool.add(sign(A, { nonce: 3n }))
      assert.deepEqual(pool.counts(), { pending: 1, queued: 2 })
      assert.equal(await pool.pendingNonce(hexToBytes(A.address)), 1n)
      assert.equal(pool.poolNonce(hexToBytes(A.address)), 1n)
      assert.deepEqual(announced, [0n])
      await pool.add(sign(A, { nonce: 1n }))
      assert.deepEqual(pool.counts(), { pending: 4, queued: 0 })
      assert.deepEqual(announced, [0n, 1n, 2n, 3n])
      assert.equal(await pool.pendingNonce(hexToBytes(A.address)), 4n)
      unsubscribe()
      await pool.add(sign(A, { nonce: 4n }))
      assert.deepEqual(announced, [0n, 1n, 2n, 3n])
    })

    test('pendingNonce falls back to the state nonce for unknown senders', async () => {
      const { pool, state } = setup()
      state.set(C.address, { nonce: 9n })
      assert.equal(await pool.pendingNonce(hexToBytes(C.address)), 9n)
      assert.equal(pool.poolNonce(hexToBytes(C.address)), undefined)
    })

    test('a listener that throws does not break admission', async () => {
      const errors: unknown[] = []
      const state = createFakeState()
      const pool = createTxPool({
        common,
        chainId: CHAIN_ID,
        account: (a) => state.account(a),
        baseFee: () => 0n,
        blockGasLimit: () => 30_000_000n,
        ...(recovery === undefined ? {} : { recovery }),
        onListenerError: (e) => errors.push(e),
      })
      pool.onPending(() => {
        throw new Error('listener bug')
      })
      await pool.add(sign(A, { nonce: 0n }))
      assert.equal(pool.size(), 1)
      assert.equal(errors.length, 1)
    })
  })

  describe('limits', () => {
    test('a full pool refuses queued txs, lets executable ones evict queued ones, and never evicts executable ones', async () => {
      const { pool } = setup({ limits: { maxSize: 3 } })
      await pool.add(sign(A, { nonce: 0n }))
      await pool.add(sign(B, { nonce: 5n }))
      await pool.add(sign(B, { nonce: 6n }))
      assert.deepEqual(pool.counts(), { pending: 1, queued: 2 })
      await rejects(pool.add(sign(C, { nonce: 1n })), ErrorCode.TxPoolFull, 'txpool is full')
      // An executable tx pushes out B's highest queued nonce.
      await pool.add(sign(A, { nonce: 1n }))
      assert.deepEqual(pool.counts(), { pending: 2, queued: 1 })
      assert.equal(pool.content().queued[0]?.tx.nonce, 5n)
      await pool.add(sign(C, { nonce: 0n }))
      assert.deepEqual(pool.counts(), { pending: 3, queued: 0 })
      await rejects(pool.add(sign(A, { nonce: 2n })), ErrorCode.TxPoolFull, 'txpool is full')
      assert.deepEqual(pool.counts(), { pending: 3, queued: 0 })
      // Replacement needs no extra slot.
      await pool.add(sign(A, { nonce: 1n, feeCap: 2n * GWEI, tip: 2n * GWEI }))
    })

    test('eviction spares the queued txs an executable arrival would promote', async () => {
      const { pool } = setup({ limits: { maxSize: 4 } })
      await pool.add(sign(A, { nonce: 1n }))
      await pool.add(sign(A, { nonce: 2n }))
      await pool.add(sign(B, { nonce: 7n }))
      await pool.add(sign(C, { nonce: 0n }))
      // A0 promotes A1 and A2, so B7 goes.
      await pool.add(sign(A, { nonce: 0n }))
      assert.deepEqual(pool.counts(), { pending: 4, queued: 0 })
      assert.deepEqual(pool.content().pending.map((t) => t.tx.nonce).sort(), [0n, 0n, 1n, 2n])
    })

    test('with nothing else queued, an executable arrival gives up the top of the run it promotes', async () => {
      const { pool } = setup({ limits: { maxSize: 3 } })
      await pool.add(sign(A, { nonce: 1n }))
      await pool.add(sign(A, { nonce: 2n }))
      await pool.add(sign(B, { nonce: 0n }))
      await pool.add(sign(A, { nonce: 0n }))
      assert.deepEqual(pool.counts(), { pending: 3, queued: 0 })
      assert.equal(await pool.pendingNonce(hexToBytes(A.address)), 2n)
    })

    test('a sender over its own limit is refused with TXPOOL_FULL', async () => {
      const { pool } = setup({ limits: { maxPerSender: 2 } })
      await pool.add(sign(A, { nonce: 0n }))
      await pool.add(sign(A, { nonce: 1n }))
      const error = await rejects(pool.add(sign(A, { nonce: 2n })), ErrorCode.TxPoolFull, 'txpool is full')
      assert.match(String(error.details['reason']), /limit 2/)
      await pool.add(sign(B, { nonce: 0n }))
    })
  })

  describe('selectForBlock', () => {
    test('keeps nonce order per sender and interleaves senders by effective tip, ties by arrival', async () => {
      const { pool } = setup()
      await pool.add(sign(A, { nonce: 0n, feeCap: 100n, tip: 5n }))
      await pool.add(sign(A, { nonce: 1n, feeCap: 100n, tip: 5n }))
      await pool.add(sign(B, { nonce: 1n, feeCap: 100n, tip: 1n }))
      await pool.add(sign(B, { nonce: 0n, feeCap: 100n, tip: 10n }))
      await pool.add(sign(A, { nonce: 2n, feeCap: 100n, tip: 5n }))
      await pool.add(sign(C, { nonce: 0n, feeCap: 100n, tip: 5n }))
      const a = A.address.slice(0, 6).toLowerCase()
      const b = B.address.slice(0, 6).toLowerCase()
      const c = C.address.slice(0, 6).toLowerCase()
      const picked = pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n })
      // B0 pays 10; then A and C tie at 5 and the earlier arrival goes first: A0 (0), A1 (1), A2 (4), C0 (5).
      assert.deepEqual(nonces(picked), [`${b}:0`, `${a}:0`, `${a}:1`, `${a}:2`, `${c}:0`, `${b}:1`])
      // At base fee 97 every tip is capped to feeCap - baseFee = 3 (B1's 1 stays 1): arrival order decides.
      const capped = pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 97n })
      assert.deepEqual(nonces(capped), [`${a}:0`, `${a}:1`, `${b}:0`, `${a}:2`, `${c}:0`, `${b}:1`])
      // Selection does not remove anything.
      assert.equal(pool.size(), 6)
    })

    test('stops at the gas limit, skips a sender whose next tx does not fit, and skips fee caps below the base fee', async () => {
      const { pool } = setup()
      await pool.add(sign(A, { nonce: 0n, tip: 3n, feeCap: 100n }))
      await pool.add(sign(A, { nonce: 1n, tip: 3n, feeCap: 100n, gasLimit: 100_000n }))
      await pool.add(sign(A, { nonce: 2n, tip: 3n, feeCap: 100n }))
      await pool.add(sign(B, { nonce: 0n, tip: 2n, feeCap: 100n }))
      await pool.add(sign(B, { nonce: 1n, tip: 2n, feeCap: 100n }))
      await pool.add(sign(C, { nonce: 0n, tip: 1n, feeCap: 50n }))
      const a = A.address.slice(0, 6).toLowerCase()
      const b = B.address.slice(0, 6).toLowerCase()
      const c = C.address.slice(0, 6).toLowerCase()
      assert.deepEqual(nonces(pool.selectForBlock({ gasLimit: 42_000n, baseFee: 0n })), [`${a}:0`, `${b}:0`])
      assert.deepEqual(nonces(pool.selectForBlock({ gasLimit: 90_000n, baseFee: 0n })), [`${a}:0`, `${b}:0`, `${b}:1`, `${c}:0`])
      assert.deepEqual(nonces(pool.selectForBlock({ gasLimit: 90_000n, baseFee: 60n })), [`${a}:0`, `${b}:0`, `${b}:1`])
      assert.equal(pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n, maxTxs: 2 }).length, 2)
      assert.equal(pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n }).length, 6)
    })

    test('queued txs are never selected', async () => {
      const { pool } = setup()
      await pool.add(sign(A, { nonce: 1n }))
      assert.deepEqual(pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n }), [])
    })
  })

  describe('onBlockCommitted', () => {
    test('drops included txs, stale same-nonce txs, and promotes queued ones', async () => {
      const { pool, state } = setup()
      const a0 = await pool.add(sign(A, { nonce: 0n }))
      const a1 = await pool.add(sign(A, { nonce: 1n }))
      await pool.add(sign(A, { nonce: 3n }))
      const b0 = await pool.add(sign(B, { nonce: 0n }))
      const announced: bigint[] = []
      pool.onPending((tx) => announced.push(tx.tx.nonce))
      // Block 1 holds A0 and a different B0 (same nonce, another node's copy): ours is stale now.
      const otherB0 = createTx({ type: 2, nonce: 0n, gasLimit: 21_000n, maxFeePerGas: 5n, maxPriorityFeePerGas: 5n }, { common }).sign(B.key)
      state.set(A.address, { nonce: 1n })
      state.set(B.address, { nonce: 1n })
      pool.onBlockCommitted([a0, { tx: otherB0, hash: otherB0.hash(), from: otherB0.getSenderAddress().bytes, serialized: otherB0.serialize() }])
      assert.ok(!pool.has(a0.hash))
      assert.ok(!pool.has(b0.hash))
      assert.ok(pool.has(a1.hash))
      assert.deepEqual(pool.counts(), { pending: 1, queued: 1 })
      // Block 2 included A1 and A2 (A2 never reached us), reported by hash plus explicit nonces.
      state.set(A.address, { nonce: 3n })
      pool.onBlockCommitted([a1.hash], [[hexToBytes(A.address), 3n]])
      assert.deepEqual(pool.counts(), { pending: 1, queued: 0 })
      assert.deepEqual(announced, [3n], 'the queued nonce 3 became executable')
      assert.equal(await pool.pendingNonce(hexToBytes(A.address)), 4n)
      state.set(A.address, { nonce: 4n })
      pool.onBlockCommitted([], [[hexToBytes(A.address), 4n]])
      assert.equal(pool.size(), 0)
      assert.deepEqual(pool.counts(), { pending: 0, queued: 0 })
    })

    test('remove() demotes a sender\'s later txs to queued until the nonce is filled again', async () => {
      const { pool } = setup()
      await pool.add(sign(A, { nonce: 0n }))
      const a1 = await pool.add(sign(A, { nonce: 1n }))
      await pool.add(sign(A, { nonce: 2n }))
      assert.equal(pool.remove([a1.hash, hexToBytes(`0x${'00'.repeat(32)}`)]), 1)
      assert.deepEqual(pool.counts(), { pending: 1, queued: 1 })
      assert.equal(pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n }).length, 1)
      await pool.add(sign(A, { nonce: 1n, value: 2n }))
      assert.deepEqual(pool.counts(), { pending: 3, queued: 0 })
    })

    test('a state read that straddles a commit is repeated, so a just-included nonce is refused', async () => {
      const state = createFakeState()
      let release: (() => void) | undefined
      let reads = 0
      const pool = createTxPool({
        common,
        chainId: CHAIN_ID,
        account: async (address) => {
          reads++
          const snapshot = state.read(address)
          if (reads === 1) await new Promise<void>((resolve) => (release = resolve))
          return snapshot
        },
        baseFee: () => 0n,
        blockGasLimit: () => 30_000_000n,
        ...(recovery === undefined ? {} : { recovery }),
      })
      const pendingAdd = pool.add(sign(A, { nonce: 0n }))
      await waitFor(() => release !== undefined)
      assert.ok(release, 'the first state read started')
      // Meanwhile a block from another validator used A's nonce 0.
      state.set(A.address, { nonce: 1n })
      pool.onBlockCommitted([], [[hexToBytes(A.address), 1n]])
      release()
      await rejects(pendingAdd, ErrorCode.NonceTooLow, `nonce too low: address ${A.address}, tx: 0 state: 1`)
      assert.equal(reads, 2)
    })

    test('a failing state read rejects with a STORAGE SteleError and is not cached', async () => {
      let fail = true
      const state = createFakeState()
      const pool = createTxPool({
        common,
        chainId: CHAIN_ID,
        account: async (address) => {
          if (fail) throw new Error('disk on fire')
          return state.read(address)
        },
        baseFee: () => 0n,
        blockGasLimit: () => 30_000_000n,
        ...(recovery === undefined ? {} : { recovery }),
      })
      await rejects(pool.add(sign(A, { nonce: 0n })), ErrorCode.Storage, 'txpool: reading the sender account failed')
      fail = false
      await pool.add(sign(A, { nonce: 0n }))
      assert.equal(pool.size(), 1)
    })

    test('settled() waits for the adds made before it, admitted or refused, and no others', async () => {
    const { pool } = setup()
    assert.equal(await Promise.race([pool.settled().then(() => 'settled'), new Promise((resolve) => setImmediate(() => resolve('waiting')))]), 'settled')
    const adds = [pool.add(sign(A, { nonce: 0n })), pool.add(sign(B, { nonce: 0n })), pool.add(sign(B, { nonce: 0n }))]
    const outcomes = Promise.allSettled(adds)
    await pool.settled()
    assert.equal(pool.size(), 2, 'both distinct txs were admitted by then')
    assert.deepEqual((await outcomes).map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected'])
  })

  test('account reads are cached until the next commit', async () => {
      const { pool, state } = setup()
      await pool.add(sign(A, { nonce: 0n }))
      await pool.add(sign(A, { nonce: 1n }))
      await pool.pendingNonce(hexToBytes(A.address))
      assert.equal(state.reads, 1)
      pool.onBlockCommitted([])
      await pool.add(sign(A, { nonce: 2n }))
      assert.equal(state.reads, 2)
    })
  })
})
