import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { bigintToBytes, bytesToHex } from '../primitives/bytes.js'
import { ErrorCode, isSteleError } from '../primitives/errors.js'
import { rlpEncode } from '../primitives/rlp.js'
import { decodeAccount, encodeAccount, type StoredAccount } from './baseState.js'

/** What encodeAccount must produce: the general RLP encoder over the four fields. */
function reference(account: StoredAccount): Uint8Array {
  return rlpEncode([bigintToBytes(account.nonce), bigintToBytes(account.balance), account.storageRoot, account.codeHash])
}

const hash = (fill: number) => new Uint8Array(32).fill(fill)

test('encodeAccount matches the general RLP encoder at the integer edges', () => {
  // Single-byte items, header boundaries, the 48-bit limb edges, a double's exact range, uint256, and
  // values whose byte strings are longer than 55 (the general encoder's long-string headers).
  const edges = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x100n, 2n ** 48n - 1n, 2n ** 48n, 2n ** 53n + 1n, 2n ** 96n - 1n, 10n ** 24n, 2n ** 256n - 1n, 2n ** 440n, 2n ** 600n + 7n]
  for (const nonce of edges) {
    for (const balance of edges) {
      const account = { nonce, balance, storageRoot: hash(0x11), codeHash: hash(0xee) }
      assert.equal(bytesToHex(encodeAccount(account)), bytesToHex(reference(account)), `nonce ${nonce}, balance ${balance}`)
    }
  }
})

test('encodeAccount matches the general RLP encoder on random accounts, and decodes back', () => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`encodeAccount property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  const uint = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }), fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }))
  const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
  fc.assert(
    fc.property(uint, uint, bytes32, bytes32, (nonce, balance, storageRoot, codeHash) => {
      const account = { nonce, balance, storageRoot, codeHash }
      const encoded = encodeAccount(account)
      assert.equal(bytesToHex(encoded), bytesToHex(reference(account)))
      assert.deepEqual(decodeAccount(encoded), account)
    }),
    { seed, numRuns: 2000, includeErrorInReport: true },
  )
})

test('encodeAccount refuses a negative integer as the RLP encoder does', () => {
  assert.throws(
    () => encodeAccount({ nonce: -1n, balance: 0n, storageRoot: hash(0), codeHash: hash(0) }),
    (error: unknown) => isSteleError(error) && error.code === ErrorCode.InvalidInput,
  )
})
