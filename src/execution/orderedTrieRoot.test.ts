import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createMPT } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { keccak256 } from '../crypto/keccak.js'
import { bytesToHex } from '../primitives/bytes.js'
import { orderedTrieRoot, sortedIndexKeys } from './orderedTrieRoot.js'

/** The reference: insert RLP(i) → value one by one into @ethereumjs/mpt. */
async function referenceRoot(values: Uint8Array[]): Promise<string> {
  const trie = await createMPT({ useKeyHashing: false, useKeyHashingFunction: keccak256 })
  for (let i = 0; i < values.length; i++) await trie.put(RLP.encode(i), values[i] as Uint8Array)
  return bytesToHex(trie.root())
}

const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31

test('orderedTrieRoot equals @ethereumjs/mpt on random values (inline nodes, long values, up to 300 keys)', async () => {
  console.log(`orderedTrieRoot property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  // Short values (1-3 bytes, some below 0x80) give nodes under 32 bytes that parents embed instead of hashing.
  const value = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.uint8Array({ minLength: 1, maxLength: 140 }), fc.uint8Array({ minLength: 200, maxLength: 600 }))
  await fc.assert(
    fc.asyncProperty(fc.array(value, { minLength: 0, maxLength: 300 }), async (values) => {
      assert.equal(bytesToHex(orderedTrieRoot(values)), await referenceRoot(values))
    }),
    { seed, numRuns: 60 },
  )
})

test('orderedTrieRoot equals @ethereumjs/mpt across the 1-, 2- and 3-byte RLP index boundaries', async () => {
  const random = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 40 }), { seed, numRuns: 70_000 })
  for (const count of [1, 2, 127, 128, 129, 255, 256, 257, 1000]) {
    const values = random.slice(0, count)
    assert.equal(bytesToHex(orderedTrieRoot(values)), await referenceRoot(values), `${count} values`)
  }
})

test('orderedTrieRoot equals @ethereumjs/mpt on values at the RLP encoding boundaries', async () => {
  // A single byte below 0x80 is its own encoding, 0x80 and up are not; 55 and 56 bytes switch to a long header.
  const edges = [Uint8Array.of(0), Uint8Array.of(0x7f), Uint8Array.of(0x80), Uint8Array.of(0xff), new Uint8Array(54).fill(1), new Uint8Array(55).fill(2), new Uint8Array(56).fill(3), new Uint8Array(300).fill(4)]
  for (const count of [1, 2, 17, 130, 300]) {
    for (let shift = 0; shift < edges.length; shift++) {
      const values = Array.from({ length: count }, (_, i) => edges[(i + shift) % edges.length] as Uint8Array)
      assert.equal(bytesToHex(orderedTrieRoot(values)), await referenceRoot(values), `${count} values, shift ${shift}`)
    }
  }
})

test('index keys come out in byte order past the 3-byte RLP boundary (65,536)', () => {
  // The trie builder is generic over sorted keys; what is specific to indexes is their order.
  const count = 70_000
  const keys = sortedIndexKeys(count)
  assert.equal(keys.length, count)
  const expected = Array.from({ length: count }, (_, i) => ({ index: i, hex: Buffer.from(RLP.encode(i)).toString('hex') }))
  expected.sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0))
  keys.forEach((key, at) => {
    const want = expected[at]!
    assert.equal(key.index, want.index)
    assert.equal(Array.from(key.nibbles, (n) => n.toString(16)).join(''), want.hex)
  })
})

test('the empty trie has the well-known empty root', () => {
  assert.equal(bytesToHex(orderedTrieRoot([])), '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')
})
