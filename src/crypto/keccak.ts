import createKeccakHash from 'keccak'

/** keccak256 on the native binding: the hot path for block, trie and transaction hashing. */
export function keccak256(data: Uint8Array): Uint8Array {
  const digest = createKeccakHash('keccak256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}
