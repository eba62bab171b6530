import { bytesToHex } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { rlpDecode, type RlpItem } from '../../primitives/rlp.js'

/**
 * Walks a Merkle Patricia trie proof (the nodes from the root to the key, as eth_getProof and
 * @ethereumjs/mpt's createMerkleProof give them) and returns the value stored under the key, or undefined
 * when the proof shows the key is absent. Throws PROOF when a node is missing or malformed.
 */
export function readTrieProof(root: Uint8Array, key: Uint8Array, proof: readonly Uint8Array[], keccak256: (d: Uint8Array) => Uint8Array): Uint8Array | undefined {
  const nodes = new Map<string, Uint8Array>()
  for (const node of proof) nodes.set(bytesToHex(keccak256(node)), node)
  const nibbles = toNibbles(key)
  let at = 0
  let ref: RlpItem = root
  // Each step consumes at least one nibble or returns, so the walk is bounded by the key length.
  for (let step = 0; step <= nibbles.length + 1; step++) {
    let node: RlpItem
    if (ref instanceof Uint8Array) {
      if (ref.length === 0) return undefined
      if (ref.length !== 32) throw proofError(`a node reference of ${ref.length} bytes`)
      const raw = nodes.get(bytesToHex(ref))
      if (raw === undefined) throw proofError(`node ${bytesToHex(ref)} is missing from the proof`)
      node = rlpDecode(raw)
    } else {
      node = ref // embedded node (its encoding is shorter than 32 bytes)
    }
    if (!Array.isArray(node)) throw proofError('a trie node is not a list')
    if (node.length === 17) {
      if (at === nibbles.length) return nonEmpty(node[16])
      ref = node[nibbles[at++] as number] as RlpItem
      continue
    }
    if (node.length !== 2 || !(node[0] instanceof Uint8Array)) throw proofError(`a trie node has ${node.length} items`)
    const { path, leaf } = decodeHexPrefix(node[0])
    for (let i = 0; i < path.length; i++) if (nibbles[at + i] !== path[i]) return undefined
    at += path.length
    if (leaf) return at === nibbles.length ? nonEmpty(node[1]) : undefined
    ref = node[1] as RlpItem
  }
  throw proofError('the proof is longer than the key')
}

function nonEmpty(value: RlpItem | undefined): Uint8Array | undefined {
  if (!(value instanceof Uint8Array)) throw proofError('a trie value is not a byte string')
  return value.length === 0 ? undefined : value
}

function toNibbles(key: Uint8Array): number[] {
  const out: number[] = []
  for (const b of key) out.push(b >> 4, b & 15)
  return out
}

function decodeHexPrefix(encoded: Uint8Array): { path: number[]; leaf: boolean } {
  if (encoded.length === 0) throw proofError('an empty hex-prefix path')
  const flag = (encoded[0] as number) >> 4
  if (flag > 3) throw proofError('a bad hex-prefix flag')
  if ((flag & 1) === 0 && ((encoded[0] as number) & 15) !== 0) throw proofError('a bad hex-prefix padding nibble')
  const nibbles = toNibbles(encoded)
  return { path: nibbles.slice(flag & 1 ? 1 : 2), leaf: (flag & 2) !== 0 }
}

function proofError(message: string): SteleError {
  return new SteleError(ErrorCode.Proof, `trie proof: ${message}`)
}
