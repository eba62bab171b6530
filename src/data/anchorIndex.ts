import { keccak256 } from '../crypto/keccak.js'
import { createMerkleTree, merkleRoot, type MerkleProof } from '../crypto/merkle.js'
import type { Block } from '../chain/types.js'
import { bigintToBytes, bytesToBigint, bytesToHex, equalBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList } from '../primitives/rlp.js'
import type { KvStore, WriteBatch } from '../state/kvStore.js'

/** Where an anchored hash was committed (docs/spec/data.md). */
export interface AnchorLocation {
  blockNumber: bigint
  blockHash: Uint8Array
  /** The hash's position in block.anchors, which is also its Merkle leaf index. */
  index: number
}

export const ANCHOR_HASH_BYTES = 32
/** stele_anchor accepts at most this many hashes per call. */
export const MAX_ANCHORS_PER_CALL = 10_000
/** A block carrying more anchors is invalid; proposers take fewer (see anchorPool.take). */
export const MAX_ANCHORS_PER_BLOCK = 50_000

/** The value a block commits in its extraData vanity: 32 zero bytes when it anchors nothing. */
export function anchorRoot(anchors: readonly Uint8Array[]): Uint8Array {
  return merkleRoot(anchors, keccak256)
}

/** Proofs for any leaf of a block's batch, from one tree build. */
export function anchorTree(anchors: readonly Uint8Array[]): { root: Uint8Array; proof(index: number): MerkleProof } {
  return createMerkleTree(anchors, keccak256)
}

/**
 * Checks a proposed or received block's anchors: bounded count, 32 bytes each, no hash twice in the
 * block, none anchored before, and the vanity equal to their root. Throws INVALID_BLOCK.
 */
export function validateBlockAnchors(block: Pick<Block, 'header' | 'anchors'>, lookup: (hash: Uint8Array) => AnchorLocation | undefined): void {
  const { anchors } = block
  if (anchors.length > MAX_ANCHORS_PER_BLOCK) {
    throw new SteleError(ErrorCode.InvalidBlock, `block carries ${anchors.length} anchors, more than ${MAX_ANCHORS_PER_BLOCK}`)
  }
  const seen = new Set<string>()
  for (const [i, hash] of anchors.entries()) {
    if (hash.length !== ANCHOR_HASH_BYTES) throw new SteleError(ErrorCode.InvalidBlock, `anchor ${i} is ${hash.length} bytes, not 32`)
    const key = bytesToHex(hash)
    if (seen.has(key)) throw new SteleError(ErrorCode.InvalidBlock, `anchor ${key} appears twice in the block`)
    seen.add(key)
    if (lookup(hash)) throw new SteleError(ErrorCode.InvalidBlock, `anchor ${key} was already anchored`)
  }
  if (!equalBytes(anchorRoot(anchors), block.header.extraData.vanity)) {
    throw new SteleError(ErrorCode.InvalidBlock, 'extraData vanity is not the Merkle root of the block anchors')
  }
}

/**
 * Adds a committed block's anchors to the index, inside the block's write batch. When a store is
 * given, hashes already indexed keep their first location (validateBlockAnchors rejects such blocks anyway).
 */
export function indexAnchors(block: Pick<Block, 'header' | 'hash' | 'anchors'>, batch: WriteBatch, store?: KvStore): void {
  for (const [index, hash] of block.anchors.entries()) {
    if (store?.get('anchors', hash)) continue
    batch.put('anchors', hash, encodeAnchorLocation({ blockNumber: block.header.number, blockHash: block.hash, index }))
  }
}

export function lookupAnchor(store: KvStore, hash: Uint8Array): AnchorLocation | undefined {
  if (hash.length !== ANCHOR_HASH_BYTES) return undefined
  const value = store.get('anchors', hash)
  return value === undefined ? undefined : decodeAnchorLocation(value)
}

export function encodeAnchorLocation(location: AnchorLocation): Uint8Array {
  return rlpEncode([bigintToBytes(location.blockNumber), location.blockHash, bigintToBytes(BigInt(location.index))])
}

export function decodeAnchorLocation(bytes: Uint8Array): AnchorLocation {
  const [number, hash, index] = rlpList(rlpDecode(bytes), 'anchor location')
  return {
    blockNumber: bytesToBigint(rlpBytes(number, 'anchor blockNumber')),
    blockHash: rlpBytes(hash, 'anchor blockHash'),
    index: Number(bytesToBigint(rlpBytes(index, 'anchor index'))),
  }
}
