import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Common, Mainnet } from '@ethereumjs/common'
import { createAccessList2930Tx, createBlob4844Tx, createEOACode7702Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { ErrorCode, isSteleError } from '../primitives/errors.js'
import { formatTransaction } from './format.js'
import { formatRawTransaction } from './rawTransaction.js'

const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
console.log(`rawTransaction property seed: ${seed} (replay with FUZZ_SEED=${seed})`)

// Prague for 7702; a placeholder KZG lets @ethereumjs build blob transactions (no blobs are verified here).
const common = new Common({ chain: Mainnet, hardfork: 'prague', customCrypto: { kzg: {} as never } })
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(bytesToHex)
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex)
const signature = { r: fc.bigInt({ min: 1n, max: 2n ** 256n - 1n }), s: fc.bigInt({ min: 1n, max: HALF_N }) }
const common1559 = {
  chainId: fc.constant(1n),
  nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 2n }),
  gasLimit: fc.bigInt({ min: 0n, max: 2n ** 40n }),
  value: fc.bigInt({ min: 0n, max: 2n ** 128n }),
  data: fc.uint8Array({ maxLength: 80 }).map(bytesToHex),
  accessList: fc.array(fc.record({ address: bytes20, storageKeys: fc.array(bytes32, { maxLength: 3 }) }), { maxLength: 3 }),
  maxFeePerGas: fc.bigInt({ min: 0n, max: 2n ** 80n }),
  maxPriorityFeePerGas: fc.bigInt({ min: 0n, max: 2n ** 80n }),
  v: fc.bigInt({ min: 0n, max: 1n }),
  ...signature,
}

const legacy = fc
  .record({
    nonce: common1559.nonce,
    gasPrice: fc.bigInt({ min: 0n, max: 2n ** 80n }),
    gasLimit: common1559.gasLimit,
    to: fc.option(bytes20, { nil: '' as const }),
    value: common1559.value,
    data: common1559.data,
    // Unprotected (27, 28) or EIP-155 on the common's chain id 1 (37, 38).
    v: fc.constantFrom(27n, 28n, 37n, 38n),
    ...signature,
  })
  .map((fields) => createLegacyTx(fields, { common }) as TypedTransaction)

const accessList2930 = fc
  .record({ chainId: common1559.chainId, nonce: common1559.nonce, gasPrice: fc.bigInt({ min: 0n, max: 2n ** 80n }), gasLimit: common1559.gasLimit, to: fc.option(bytes20, { nil: '' as const }), value: common1559.value, data: common1559.data, accessList: common1559.accessList, v: common1559.v, ...signature })
  .map((fields) => createAccessList2930Tx(fields, { common }) as TypedTransaction)

const feeMarket = fc
  .record({ ...common1559, to: fc.option(bytes20, { nil: '' as const }) })
  .filter((f) => f.maxPriorityFeePerGas <= f.maxFeePerGas)
  .map((fields) => createFeeMarket1559Tx(fields, { common }) as TypedTransaction)

const blob = fc
  .record({ ...common1559, to: bytes20, maxFeePerBlobGas: fc.bigInt({ min: 0n, max: 2n ** 64n }), blobVersionedHashes: fc.array(bytes32.map((h) => `0x01${h.slice(4)}` as `0x${string}`), { minLength: 1, maxLength: 3 }) })
  .filter((f) => f.maxPriorityFeePerGas <= f.maxFeePerGas)
  .map((fields) => createBlob4844Tx(fields, { common }) as TypedTransaction)

const authorization = fc.record({
  chainId: fc.bigInt({ min: 0n, max: 2n ** 64n }).map((n) => `0x${n.toString(16)}`),
  address: bytes20,
  nonce: fc.bigInt({ min: 0n, max: 2n ** 63n }).map((n) => `0x${n.toString(16)}`),
  yParity: fc.constantFrom('0x0', '0x1'),
  r: signature.r.map((n) => `0x${n.toString(16)}`),
  s: signature.s.map((n) => `0x${n.toString(16)}`),
})
const setCode = fc
  .record({ ...common1559, to: bytes20, authorizationList: fc.array(authorization, { minLength: 1, maxLength: 3 }) })
  .filter((f) => f.maxPriorityFeePerGas <= f.maxFeePerGas)
  .map((fields) => createEOACode7702Tx(fields as never, { common }) as TypedTransaction)

const context = fc.record({
  hash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  from: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  blockHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  blockNumber: fc.bigInt({ min: 0n, max: 2n ** 40n }),
  index: fc.nat({ max: 5000 }),
  baseFee: fc.option(fc.bigInt({ min: 0n, max: 2n ** 80n }), { nil: undefined }),
})

test('formatRawTransaction gives the same JSON (values and key order) as formatTransaction, types 0-4', () => {
  fc.assert(
    fc.property(fc.oneof(legacy, accessList2930, feeMarket, blob, setCode), context, (tx, c) => {
      const serialized = tx.serialize()
      const location = { blockHash: c.blockHash, blockNumber: c.blockNumber, index: c.index }
      const expected = formatTransaction({ tx, hash: c.hash, from: c.from, serialized }, location, c.baseFee)
      const actual = formatRawTransaction(serialized, c.hash, c.from, location, c.baseFee)
      assert.equal(JSON.stringify(actual), JSON.stringify(expected))
    }),
    { seed, numRuns: 500 },
  )
})

test('an unknown transaction type or shape is refused (callers fall back to @ethereumjs)', () => {
  const location = { blockHash: new Uint8Array(32), blockNumber: 1n, index: 0 }
  for (const hex of ['0x05c0', '0x02c0', '0xc0', '0x']) {
    assert.throws(
      () => formatRawTransaction(hexToBytes(hex), new Uint8Array(32), new Uint8Array(20), location, 1n),
      (e) => isSteleError(e, ErrorCode.InvalidRlp),
      hex,
    )
  }
})
