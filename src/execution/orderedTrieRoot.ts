import { createMPT } from '@ethereumjs/mpt'
import { bigintToBytes } from '../primitives/bytes.js'
import { rlpEncode } from '../primitives/rlp.js'
import { keccak256 } from '../crypto/keccak.js'

/** The root of a trie keyed by RLP(index): transactionsRoot and receiptsRoot. */
export async function orderedTrieRoot(values: Uint8Array[]): Promise<Uint8Array> {
  const trie = await createMPT({ useKeyHashing: false, useKeyHashingFunction: keccak256 })
  for (let i = 0; i < values.length; i++) await trie.put(rlpEncode(bigintToBytes(BigInt(i))), values[i] as Uint8Array)
  return trie.root()
}
