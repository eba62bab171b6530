import { WriteBatch, type KvStore } from '../kvStore.js'
import type { StateOverlay } from '../stateDb.js'

/** Commits an overlay's changes to its store as the ledger does (prepareCommit, write, apply), for tests; returns the new root. */
export async function commitOverlay(store: KvStore, overlay: StateOverlay): Promise<Uint8Array> {
  const batch = new WriteBatch()
  const commit = await overlay.prepareCommit(batch)
  store.write(batch)
  commit.apply()
  return commit.root
}
