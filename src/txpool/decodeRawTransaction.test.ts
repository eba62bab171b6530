import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createTx, createTxFromRLP } from '@ethereumjs/tx'
import { RLP } from '@ethereumjs/rlp'
import { createChainCommon } from '../execution/common.js'
import { bigintToBytes, bytesToHex } from '../primitives/bytes.js'
import { isSteleError } from '../primitives/errors.js'
import { SECP256K1_HALF_N, sign } from '../crypto/secp256k1.js'
import { createSharedTxCommon, decodeBlockTransaction, decodeRawTransaction, initCodeSizeLimit, recoverSender, senderRecoveryRequest } from './decodeRawTransaction.js'
import { DEV_KEYS } from './testTransactions.js'

const CHAIN_ID = 1337n
const common = createChainCommon(CHAIN_ID)
const options = { common: createSharedTxCommon(common), chainId: CHAIN_ID, maxTxSize: 131_072, maxInitCodeSize: initCodeSizeLimit(common) }
const KEY = DEV_KEYS[0].key

function signedRaw(type: 0 | 1 | 2, nonce: bigint, value: bigint, data: Uint8Array): Uint8Array {
  const accessList = type === 0 ? {} : { accessList: [{ address: '0x000000000000000000000000000000000000bEEF' as const, storageKeys: [`0x${'11'.repeat(32)}` as const] }] }
  const fees = type === 2 ? { maxFeePerGas: 7n, maxPriorityFeePerGas: 3n } : { gasPrice: 7n }
  const tx = createTx({ type, nonce, gasLimit: 100_000n, to: '0x000000000000000000000000000000000000dEaD', value, data, ...fees, ...accessList }, { common })
  const signature = sign(tx.getHashedMessageToSign(), KEY)
  return tx.addSignature(BigInt(signature[64] as number), signature.subarray(0, 32), signature.subarray(32, 64), true).serialize()
}

/** Field positions holding integers or byte strings (not the access list) in each envelope. */
const SCALAR_FIELDS: Record<number, number[]> = { 0: [0, 1, 2, 3, 4, 5, 6, 7, 8], 1: [0, 1, 2, 3, 4, 5, 6, 8, 9, 10], 2: [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11] }

test('whatever decodes is canonical: keccak(raw) is the tx hash', () => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`decode property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('padField' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('flipByte' as const), pick: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('none' as const) }),
  )
  fc.assert(
    fc.property(
      fc.constantFrom(0 as const, 1 as const, 2 as const),
      fc.bigInt({ min: 0n, max: 2n ** 40n }),
      fc.bigInt({ min: 0n, max: 2n ** 80n }),
      fc.uint8Array({ maxLength: 40 }),
      mutation,
      (type, nonce, value, data, change) => {
        let raw = signedRaw(type, nonce, value, data)
        if (change.kind === 'padField') {
          const fields = RLP.decode(type === 0 ? raw : raw.subarray(1)) as (Uint8Array | Uint8Array[])[]
          const positions = SCALAR_FIELDS[type] as number[]
          const at = positions[change.pick % positions.length] as number
          fields[at] = Uint8Array.of(0, ...(fields[at] as Uint8Array))
          const body = RLP.encode(fields)
          raw = type === 0 ? body : Uint8Array.of(type, ...body)
        } else if (change.kind === 'flipByte') {
          raw = raw.slice()
          const at = change.pick % raw.length
          raw[at] = (raw[at] as number) ^ change.xor
        }
        let decoded
        try {
          decoded = decodeRawTransaction(raw, options)
        } catch (error) {
          assert.ok(isSteleError(error), `decode threw a non-SteleError: ${String(error)}`)
          return
        }
        assert.equal(bytesToHex(decoded.serialize()), bytesToHex(raw), 'a decodable tx re-encodes to the same bytes')
        if (change.kind === 'none') assert.equal(bytesToHex(recoverSender(decoded)), DEV_KEYS[0].address.toLowerCase())
      },
    ),
    { seed, numRuns: 400, includeErrorInReport: true },
  )
})

test('the recovered sender is remembered on the tx itself, which ends frozen with its caches', () => {
  for (const type of [0, 1, 2] as const) {
    const raw = signedRaw(type, 3n, 5n, new Uint8Array([1, 0, 2]))
    const tx = decodeRawTransaction(raw, options)
    assert.equal(Object.isFrozen(tx), false, 'decoded unfrozen so the sender can be attached')
    const from = recoverSender(tx, raw)
    assert.equal(bytesToHex(from), DEV_KEYS[0].address.toLowerCase())
    assert.ok(Object.hasOwn(tx, 'getSenderAddress'))
    assert.equal(tx.getSenderAddress().toString(), bytesToHex(from))
    assert.equal(Object.isFrozen(tx), true)
    // Frozen, @ethereumjs caches the hash: the same array on each call.
    assert.equal(tx.hash(), tx.hash())
  }
})

test('decodeBlockTransaction gives what createTxFromRLP gives, or throws what it throws', () => {
  const shared = options.common
  const outcome = (decode: () => unknown) => {
    try {
      const tx = decode() as { serialize(): Uint8Array; type: number }
      return { keys: Object.keys(tx), serialized: bytesToHex(tx.serialize()), type: tx.type, proto: Object.getPrototypeOf(tx) as unknown }
    } catch (error) {
      return { error: (error as Error).message }
    }
  }
  const raws: Uint8Array[] = []
  for (const type of [0, 1, 2] as const) raws.push(signedRaw(type, 3n, 10n ** 18n, Uint8Array.of(1, 2, 3)))
  const eip1559 = raws[2] as Uint8Array
  raws.push(eip1559.subarray(0, eip1559.length - 1), Uint8Array.of(2, 0xc0), Uint8Array.of(2), Uint8Array.of(2, 0x80))
  for (const raw of raws) {
    const want = outcome(() => createTxFromRLP(raw, { common: shared, freeze: false }))
    assert.deepEqual(outcome(() => decodeBlockTransaction(raw, shared)), want, bytesToHex(raw))
  }
})

test('EIP-2 bound on s at decode: n/2 passes, n/2 + 1 is an invalid sender, short s passes, and the recovery request carries r and s', () => {
  const halfN = SECP256K1_HALF_N
  const withS = (type: 0 | 2, s: bigint) => {
    const raw = signedRaw(type, 1n, 5n, new Uint8Array(0))
    const fields = RLP.decode(type === 0 ? raw : raw.subarray(1)) as Uint8Array[]
    fields[fields.length - 1] = bigintToBytes(s)
    const body = RLP.encode(fields)
    return type === 0 ? body : Uint8Array.of(type, ...body)
  }
  for (const type of [0, 2] as const) {
    assert.doesNotThrow(() => decodeRawTransaction(withS(type, halfN), options), `type ${type}: s = n/2`)
    assert.doesNotThrow(() => decodeRawTransaction(withS(type, 0x1234n), options), `type ${type}: short s`)
    assert.throws(() => decodeRawTransaction(withS(type, halfN + 1n), options), (e: unknown) => isSteleError(e) && /invalid sender/.test(e.message), `type ${type}: s = n/2 + 1`)
    const tx = decodeRawTransaction(withS(type, 0x1234n), options)
    const request = senderRecoveryRequest(tx, withS(type, 0x1234n))
    assert.equal(bytesToHex(request.signature.subarray(0, 32)), `0x${(tx.r as bigint).toString(16).padStart(64, '0')}`)
    assert.equal(bytesToHex(request.signature.subarray(32, 64)), `0x${'0'.repeat(60)}1234`)
    // Without the raw bytes, r and s come from the tx's fields: the same request.
    assert.deepEqual(senderRecoveryRequest(tx), request)
  }
  for (const type of [0, 1, 2] as const) {
    const raw = signedRaw(type, 7n, 9n, Uint8Array.of(1, 2, 3))
    const tx = decodeRawTransaction(raw, options)
    assert.deepEqual(senderRecoveryRequest(tx, raw), senderRecoveryRequest(tx), `type ${type}`)
  }
})
