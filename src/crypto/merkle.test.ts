import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, concatBytes } from '../primitives/bytes.js'
import { keccak256 } from './keccak.js'
import {
  createMerkleTree,
  EMPTY_MERKLE_ROOT,
  merkleRoot,
  merkleRootFromProof,
  verifyMerkleProof,
  type MerkleProof,
} from './merkle.js'

const seed = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED)
console.log(`merkle property tests: FUZZ_SEED=${seed}`)

/** An independent, level-by-level restatement of the rule in docs/spec/data.md. */
function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return new Uint8Array(32)
  let level = leaves.map((l) => keccak256(concatBytes(Uint8Array.of(0), l)))
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      const r = level[i + 1]
      next.push(r ? keccak256(concatBytes(Uint8Array.of(1), level[i]!, r)) : level[i]!)
    }
    level = next
  }
  const count = new Uint8Array(8)
  new DataView(count.buffer).setBigUint64(0, BigInt(leaves.length))
  return keccak256(concatBytes(Uint8Array.of(2), count, level[0]!))
}

const leaf = (i: number) => keccak256(Uint8Array.of(i & 0xff, i >> 8))

test('the empty batch has the all-zero root', () => {
  assert.deepEqual(merkleRoot([], keccak256), EMPTY_MERKLE_ROOT)
  assert.equal(bytesToHex(EMPTY_MERKLE_ROOT), `0x${'00'.repeat(32)}`)
})

test('a one-leaf tree commits to the leaf and the count', () => {
  const l = leaf(1)
  const expected = keccak256(concatBytes(Uint8Array.of(2), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]), keccak256(concatBytes(Uint8Array.of(0), l))))
  assert.deepEqual(merkleRoot([l], keccak256), expected)
  const proof = createMerkleTree([l], keccak256).proof(0)
  assert.equal(proof.siblings.length, 0)
  assert.ok(verifyMerkleProof(l, proof, expected, keccak256))
})

test('native keccak and noble keccak give the same root', () => {
  const leaves = Array.from({ length: 13 }, (_, i) => leaf(i))
  assert.deepEqual(merkleRoot(leaves, keccak256), merkleRoot(leaves, keccak_256))
})

test('a different leaf count with the same sibling shape is rejected (the root commits to the count)', () => {
  // With 5 and 6 leaves, leaf 0 has three siblings either way; only the count commitment tells them apart.
  const leaves = Array.from({ length: 5 }, (_, i) => leaf(i))
  const tree = createMerkleTree(leaves, keccak256)
  const proof = tree.proof(0)
  assert.ok(verifyMerkleProof(leaves[0]!, proof, tree.root, keccak256))
  assert.equal(verifyMerkleProof(leaves[0]!, { ...proof, leafCount: 6 }, tree.root, keccak256), false)
})

test('malformed proofs give no root rather than throwing', () => {
  const leaves = Array.from({ length: 4 }, (_, i) => leaf(i))
  const proof = createMerkleTree(leaves, keccak256).proof(2)
  const bad: MerkleProof[] = [
    { ...proof, leafIndex: -1 },
    { ...proof, leafIndex: 4 },
    { ...proof, leafIndex: 1.5 },
    { ...proof, leafCount: 0 },
    { ...proof, leafCount: Number.NaN },
    { ...proof, leafCount: 2 ** 40 },
    { ...proof, siblings: proof.siblings.slice(1) },
    { ...proof, siblings: [...proof.siblings, leaf(9)] },
    { ...proof, siblings: [proof.siblings[0]!.subarray(1), proof.siblings[1]!] },
  ]
  for (const p of bad) assert.equal(merkleRootFromProof(leaves[2]!, p, keccak256), undefined)
})

test('property: roots match the reference, every proof verifies, and any change breaks it', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 70 }),
      fc.nat(),
      fc.nat(),
      (leaves, pick, flip) => {
        const tree = createMerkleTree(leaves, keccak256)
        assert.deepEqual(tree.root, referenceRoot(leaves))
        const index = pick % leaves.length
        const proof = tree.proof(index)
        assert.ok(verifyMerkleProof(leaves[index]!, proof, tree.root, keccak256))
        // Another index for the same leaf fails unless that position holds an equal leaf.
        const other = (index + 1) % leaves.length
        if (other !== index && bytesToHex(leaves[other]!) !== bytesToHex(leaves[index]!)) {
          assert.equal(verifyMerkleProof(leaves[index]!, { ...proof, leafIndex: other }, tree.root, keccak256), false)
        }
        // Flipping one bit of the leaf or of a sibling breaks the proof.
        const changedLeaf = leaves[index]!.slice()
        changedLeaf[flip % 32]! ^= 1 << (flip % 8)
        assert.equal(verifyMerkleProof(changedLeaf, proof, tree.root, keccak256), false)
        if (proof.siblings.length > 0) {
          const s = flip % proof.siblings.length
          const siblings = proof.siblings.map((x, i) => (i === s ? x.map((b, j) => (j === flip % 32 ? b ^ 0x80 : b)) : x))
          assert.equal(verifyMerkleProof(leaves[index]!, { ...proof, siblings }, tree.root, keccak256), false)
        }
      },
    ),
    { seed, numRuns: 200 },
  )
})
