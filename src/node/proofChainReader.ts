import type { Genesis } from '../chain/genesis.js'
import type { BlockHeader } from '../chain/header.js'
import { lookupAnchor } from '../data/anchorIndex.js'
import { isValidatorSetChange, type ProofChainReader } from '../data/proofs.js'
import type { KvStore } from '../state/kvStore.js'
import type { Ledger } from './ledger.js'

/** The proof builders' view of the chain, over the block store and indexes. */
export function createProofChainReader(ledger: Ledger, store: KvStore, genesis: Genesis): ProofChainReader {
  const blocks = ledger.blocks
  // Headers that changed the validator set, found by one incremental scan (sets change rarely).
  const changes: BlockHeader[] = []
  let scannedTo = 0n
  return {
    chainId: genesis.chainId,
    headNumber: () => blocks.headNumber(),
    blockByNumber: (n) => blocks.blockByNumber(n),
    blockByHash: (h) => blocks.blockByHash(h),
    receipts(blockHash) {
      const number = blocks.numberOf(blockHash)
      return number === undefined ? undefined : blocks.receipts(number)
    },
    validatorSetChanges(upTo) {
      const head = blocks.headNumber()
      for (let n = scannedTo + 1n; n <= head; n++) {
        const header = blocks.blockByNumber(n)?.header
        const parent = blocks.blockByNumber(n - 1n)?.header
        if (header && parent && isValidatorSetChange(header, parent)) changes.push(header)
        scannedTo = n
      }
      return changes.filter((h) => h.number <= upTo)
    },
    logs: (filter) => blocks.logs(filter),
    transactionLocation: (hash) => blocks.txLocation(hash),
    anchorLocation: (hash) => lookupAnchor(store, hash),
  }
}
