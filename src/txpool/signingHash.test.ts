import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createTx } from '@ethereumjs/tx'
import { createChainCommon } from '../execution/common.js'
import { sign } from '../crypto/secp256k1.js'
import { bytesToHex } from '../primitives/bytes.js'
import { createSharedTxCommon, decodeRawTransaction, initCodeSizeLimit, recoverSender } from './decodeRawTransaction.js'
import { signingHashFromRaw } from './signingHash.js'
import { DEV_KEYS } from './testTransactions.js'

const CHAIN_ID = 1337n
const common = createChainCommon(CHAIN_ID)
const options = { common: createSharedTxCommon(common), chainId: CHAIN_ID, maxTxSize: 131_072, maxInitCodeSize: initCodeSizeLimit(common) }

test('signingHashFromRaw equals getHashedMessageToSign for legacy (with and without EIP-155), 2930 and 1559 txs', () => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`signing hash property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1, 2),
      fc.boolean(),
      // EIP-2681: a nonce is below 2^64 - 1.
      fc.bigInt({ min: 0n, max: 2n ** 64n - 2n }),
      fc.bigInt({ min: 0n, max: 2n ** 200n }),
      // Up to 300 bytes of data: list payloads above 55 bytes take a long-form header.
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.nat(3), { maxLength: 3 }),
      (type, eip155, nonce, value, data, slots) => {
        const accessList = type === 0 ? {} : { accessList: slots.map((n) => ({ address: `0x${'be'.repeat(20)}` as const, storageKeys: Array.from({ length: n }, () => `0x${'11'.repeat(32)}` as const) })) }
        const fees = type === 2 ? { maxFeePerGas: 7n, maxPriorityFeePerGas: 3n } : { gasPrice: 7n }
        const unsigned = createTx({ type, nonce, gasLimit: 1_000_000n, to: `0x${'de'.repeat(20)}`, value, data, ...fees, ...accessList }, { common: common })
        let raw: Uint8Array
        if (type === 0 && !eip155) {
          // A pre-EIP-155 signature: v is 27 or 28 and the hash covers six fields.
          const legacy = createTx({ type: 0, nonce, gasLimit: 1_000_000n, to: `0x${'de'.repeat(20)}`, value, data, gasPrice: 7n, v: 27n, r: 1n, s: 1n }, { common: common })
          const hash = legacy.getHashedMessageToSign()
          const signature = sign(hash, DEV_KEYS[0].key)
          raw = createTx({ type: 0, nonce, gasLimit: 1_000_000n, to: `0x${'de'.repeat(20)}`, value, data, gasPrice: 7n, v: 27n + BigInt(signature[64]!), r: signature.subarray(0, 32), s: signature.subarray(32, 64) }, { common: common }).serialize()
          assert.equal(bytesToHex(signingHashFromRaw(raw, undefined)), bytesToHex(hash))
        } else {
          const signature = sign(unsigned.getHashedMessageToSign(), DEV_KEYS[0].key)
          raw = unsigned.addSignature(BigInt(signature[64]!), signature.subarray(0, 32), signature.subarray(32, 64), true).serialize()
          assert.equal(bytesToHex(signingHashFromRaw(raw, type === 0 ? CHAIN_ID : undefined)), bytesToHex(unsigned.getHashedMessageToSign()))
        }
        const decoded = decodeRawTransaction(raw, options)
        assert.equal(bytesToHex(recoverSender(decoded, raw)), DEV_KEYS[0].address.toLowerCase())
      },
    ),
    { seed, numRuns: 150 },
  )
})
