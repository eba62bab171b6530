import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodeHeader, type BlockHeader } from '../../chain/header.js'
import { encodeHeaderVariants } from './headerEncodings.js'

const seed = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED)
console.log(`header encoding property test: FUZZ_SEED=${seed}`)

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
const quantity = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
const header: fc.Arbitrary<BlockHeader> = fc.record({
  parentHash: bytes(32),
  ommersHash: bytes(32),
  coinbase: bytes(20),
  stateRoot: bytes(32),
  transactionsRoot: bytes(32),
  receiptsRoot: bytes(32),
  logsBloom: bytes(256),
  difficulty: quantity,
  number: quantity,
  gasLimit: quantity,
  gasUsed: quantity,
  timestamp: quantity,
  extraData: fc.record({
    vanity: bytes(32),
    validators: fc.array(bytes(20), { maxLength: 25 }),
    vote: fc.option(fc.record({ recipient: bytes(20), add: fc.boolean() }), { nil: undefined }),
    round: fc.nat({ max: 0xffffffff }),
    seals: fc.array(bytes(65), { maxLength: 12 }),
  }),
  mixHash: bytes(32),
  nonce: bytes(8),
  baseFeePerGas: quantity,
  withdrawalsRoot: bytes(32),
  blobGasUsed: quantity,
  excessBlobGas: quantity,
  parentBeaconBlockRoot: bytes(32),
})

test('property: the shared-prefix encodings equal encodeHeader in all three modes', () => {
  fc.assert(
    fc.property(header, (h) => {
      const v = encodeHeaderVariants(h)
      assert.deepEqual(v.full, encodeHeader(h, 'full'))
      assert.deepEqual(v.withoutSeals, encodeHeader(h, 'withoutSeals'))
      assert.deepEqual(v.withoutSealsAndRound, encodeHeader(h, 'withoutSealsAndRound'))
    }),
    { seed, numRuns: 150 },
  )
})
