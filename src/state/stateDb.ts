import type { StateManagerInterface } from '@ethereumjs/common'
import type { AccountProof } from '../rpc/backend.js'
import type { Account } from '../chain/types.js'
import type { WriteBatch } from './kvStore.js'

/**
 * World state. The VM executes against an overlay (an ethereumjs StateManagerInterface whose changes stay
 * in memory); at block end the overlay computes the Ethereum MPT root and adds its writes to the block's
 * WriteBatch. Reads at older committed roots go through the trie.
 */
export interface StateDb {
  /** The root of the committed head state. */
  headRoot(): Uint8Array
  /** A writable overlay on a committed root (default: the head). */
  overlay(root?: Uint8Array): StateOverlay
  /** Read-only access at a committed root; undefined when that root is unknown. */
  reader(root: Uint8Array): StateReader | undefined
}

export interface StateOverlay {
  readonly stateManager: StateManagerInterface
  /** The MPT root of base + changes. */
  computeRoot(): Promise<Uint8Array>
  /**
   * Adds the overlay's writes to the batch and returns its root. The caller writes the batch, then calls
   * `apply()` so the StateDb's head moves to the new root (never before the batch is written, so that reads
   * of the new head find its nodes; with writeBehind that is at once, before it is durable).
   */
  prepareCommit(batch: WriteBatch): Promise<{ root: Uint8Array; apply(): void }>
}

export interface StateReader {
  account(address: Uint8Array): Promise<Account | undefined>
  code(address: Uint8Array): Promise<Uint8Array>
  /** A 32-byte storage value (zero when unset). */
  storage(address: Uint8Array, slot: Uint8Array): Promise<Uint8Array>
  proof(address: Uint8Array, slots: Uint8Array[]): Promise<AccountProof>
}
