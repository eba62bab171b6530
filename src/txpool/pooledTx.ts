import type { SignedTx } from '../chain/types.js'
import { hexOfBytes } from '../primitives/byteKeys.js'

/** A pool entry: the signed tx plus the fields the pool compares often, read once at admission. */
export interface PooledTx {
  readonly signed: SignedTx
  /** Hex of the hash without 0x: the key of the pool's hash index. */
  readonly key: string
  readonly nonce: bigint
  readonly gasLimit: bigint
  /** maxFeePerGas, or gasPrice for legacy and access-list txs. */
  readonly feeCap: bigint
  /** maxPriorityFeePerGas, or gasPrice for legacy and access-list txs. */
  readonly tip: bigint
  /** Arrival order: breaks ties between equal tips so earlier senders go first. */
  readonly seq: number
}

/**
 * One sender's transactions. Nonces in [stateNonce, pendingEnd) are all present and executable in order
 * (pending); any other pooled nonce is above pendingEnd, waiting for a gap to fill (queued).
 */
export interface SenderTxs {
  readonly address: Uint8Array
  readonly key: string
  stateNonce: bigint
  pendingEnd: bigint
  readonly txs: Map<bigint, PooledTx>
}

/** What the block proposer earns per gas from this tx at `baseFee` (EIP-1559 effective tip). */
export function effectiveTip(entry: PooledTx, baseFee: bigint): bigint {
  const headroom = entry.feeCap - baseFee
  return entry.tip < headroom ? entry.tip : headroom
}

export function bytesKey(bytes: Uint8Array): string {
  return hexOfBytes(bytes)
}
