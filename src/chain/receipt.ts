import { bigintToBytes, concatBytes } from '../primitives/bytes.js'
import { rlpEncode } from '../primitives/rlp.js'
import type { ConsensusReceipt } from './types.js'

/** EIP-2718 receipt encoding, the value under RLP(index) in the receipts trie. Browser-safe. */
export function encodeConsensusReceipt(receipt: ConsensusReceipt): Uint8Array {
  const body = rlpEncode([
    receipt.status === 1 ? Uint8Array.of(1) : new Uint8Array(0),
    bigintToBytes(receipt.cumulativeGasUsed),
    receipt.logsBloom,
    receipt.logs.map((log) => [log.address, log.topics, log.data]),
  ])
  return receipt.type === 0 ? body : concatBytes(Uint8Array.of(receipt.type), body)
}
