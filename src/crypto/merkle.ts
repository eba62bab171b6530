/**
 * The anchor batch Merkle tree (docs/spec/data.md). Browser-safe: the hash function is injected, so the
 * node passes native keccak and the offline verifier passes noble's.
 *
 *   leaf  = H(0x00 ‖ data)
 *   inner = H(0x01 ‖ left ‖ right)
 *   a level with an odd count promotes its last node unchanged (no duplication, so no two leaf lists
 *   share a tree)
 *   root  = H(0x02 ‖ uint64be(leafCount) ‖ top), and 32 zero bytes for no leaves
 *
 * Committing the leaf count in the root binds a proof's leafCount, and with it the leaf's index.
 */
export type HashFn = (data: Uint8Array) => Uint8Array

export const MERKLE_LEAF_PREFIX = 0x00
export const MERKLE_INNER_PREFIX = 0x01
export const MERKLE_ROOT_PREFIX = 0x02
/** The root of an empty batch. */
export const EMPTY_MERKLE_ROOT: Uint8Array = new Uint8Array(32)
/** Proofs cap the tree size so a hostile leafCount cannot make the verifier loop long. */
export const MAX_MERKLE_LEAVES = 2 ** 32

export interface MerkleProof {
  leafIndex: number
  leafCount: number
  /** Sibling hashes from the leaf level up; promoted levels have none. */
  siblings: Uint8Array[]
}

export interface MerkleTree {
  readonly root: Uint8Array
  readonly leafCount: number
  proof(leafIndex: number): MerkleProof
}

export function merkleLeafHash(data: Uint8Array, hash: HashFn): Uint8Array {
  const buf = new Uint8Array(1 + data.length)
  buf[0] = MERKLE_LEAF_PREFIX
  buf.set(data, 1)
  return hash(buf)
}

export function merkleInnerHash(left: Uint8Array, right: Uint8Array, hash: HashFn): Uint8Array {
  const buf = new Uint8Array(1 + left.length + right.length)
  buf[0] = MERKLE_INNER_PREFIX
  buf.set(left, 1)
  buf.set(right, 1 + left.length)
  return hash(buf)
}

function committedRoot(top: Uint8Array, leafCount: number, hash: HashFn): Uint8Array {
  const buf = new Uint8Array(1 + 8 + top.length)
  buf[0] = MERKLE_ROOT_PREFIX
  new DataView(buf.buffer).setBigUint64(1, BigInt(leafCount))
  buf.set(top, 9)
  return hash(buf)
}

/** Builds every level once so proofs for many leaves of one batch are cheap. */
export function createMerkleTree(leaves: readonly Uint8Array[], hash: HashFn): MerkleTree {
  const levels: Uint8Array[][] = [leaves.map((leaf) => merkleLeafHash(leaf, hash))]
  for (let level = levels[0] as Uint8Array[]; level.length > 1; ) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Uint8Array
      const right = level[i + 1]
      next.push(right === undefined ? left : merkleInnerHash(left, right, hash))
    }
    levels.push(next)
    level = next
  }
  const leafCount = leaves.length
  const top = levels[levels.length - 1]?.[0]
  const root = top === undefined ? EMPTY_MERKLE_ROOT : committedRoot(top, leafCount, hash)
  return {
    root,
    leafCount,
    proof(leafIndex) {
      if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= leafCount) {
        throw new RangeError(`leaf index ${leafIndex} out of range 0..${leafCount - 1}`)
      }
      const siblings: Uint8Array[] = []
      let index = leafIndex
      for (let l = 0; l < levels.length - 1; l++) {
        const level = levels[l] as Uint8Array[]
        const siblingIndex = index ^ 1
        if (siblingIndex < level.length) siblings.push(level[siblingIndex] as Uint8Array)
        index >>= 1
      }
      return { leafIndex, leafCount, siblings }
    },
  }
}

export function merkleRoot(leaves: readonly Uint8Array[], hash: HashFn): Uint8Array {
  return createMerkleTree(leaves, hash).root
}

/**
 * The root a proof leads to, or undefined when the proof's shape does not fit its leafIndex/leafCount
 * (wrong number of siblings, index out of range). Never throws on malformed numbers.
 */
export function merkleRootFromProof(leaf: Uint8Array, proof: MerkleProof, hash: HashFn): Uint8Array | undefined {
  const { leafIndex, leafCount, siblings } = proof
  if (!Number.isSafeInteger(leafCount) || leafCount < 1 || leafCount > MAX_MERKLE_LEAVES) return undefined
  if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= leafCount) return undefined
  let node = merkleLeafHash(leaf, hash)
  let index = leafIndex
  let width = leafCount
  let used = 0
  while (width > 1) {
    if (index % 2 === 1) {
      const sibling = siblings[used++]
      if (sibling === undefined || sibling.length !== node.length) return undefined
      node = merkleInnerHash(sibling, node, hash)
    } else if (index + 1 < width) {
      const sibling = siblings[used++]
      if (sibling === undefined || sibling.length !== node.length) return undefined
      node = merkleInnerHash(node, sibling, hash)
    }
    index = Math.floor(index / 2)
    width = Math.ceil(width / 2)
  }
  if (used !== siblings.length) return undefined
  return committedRoot(node, leafCount, hash)
}

export function verifyMerkleProof(leaf: Uint8Array, proof: MerkleProof, root: Uint8Array, hash: HashFn): boolean {
  const computed = merkleRootFromProof(leaf, proof, hash)
  if (computed === undefined || computed.length !== root.length) return false
  for (let i = 0; i < root.length; i++) if (computed[i] !== root[i]) return false
  return true
}
