import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { Caches, MerkleStateManager, getMerkleStateProof } from '@ethereumjs/statemanager'
import { Address, ValueEncoding, type BatchDBOp, type DB } from '@ethereumjs/util'
import type { Common } from '@ethereumjs/common'
import type { KvStore } from './kvStore.js'
import type { StateDb, StateReader } from './stateDb.js'
import { bytesToHex, equalBytes, hexToBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { EMPTY_ROOT } from './mutableTrie.js'
import { STATE_HEAD_KEY } from './stateOverlay.js'

/**
 * StateDb on @ethereumjs MerkleStateManager: the reference the flat implementation is tested against, and
 * a fallback. Trie nodes (and code, under MerkleStateManager's 'c' prefix) live in the `trie` space; an
 * overlay's writes stay in memory until prepareCommit. No flat state: every read walks the trie.
 */
export function createReferenceStateDb(store: KvStore, options: { common?: Common } = {}): StateDb {
  let head = store.get('meta', STATE_HEAD_KEY) ?? EMPTY_ROOT
  const hasRoot = (root: Uint8Array) => equalBytes(root, EMPTY_ROOT) || store.get('trie', root) !== undefined
  const managerAt = (root: Uint8Array, db: DB<string, Uint8Array>) => {
    const trie = new MerklePatriciaTrie({ db, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, root, ...(options.common ? { common: options.common } : {}) })
    return new MerkleStateManager({ trie, caches: new Caches(), ...(options.common ? { common: options.common } : {}) })
  }
  return {
    headRoot: () => head,
    overlay(root = head) {
      if (!hasRoot(root)) throw new SteleError(ErrorCode.NotFound, `unknown state root ${bytesToHex(root)}`)
      const pending = new Map<string, Uint8Array | undefined>()
      const manager = managerAt(root, bufferedDb(store, pending))
      return {
        stateManager: manager,
        computeRoot: () => manager.getStateRoot(),
        async prepareCommit(batch) {
          const newRoot = await manager.getStateRoot()
          for (const [key, value] of pending) {
            if (value !== undefined) batch.put('trie', hexToBytes(`0x${key}`), value)
          }
          batch.put('meta', STATE_HEAD_KEY, newRoot)
          return {
            root: newRoot,
            apply: () => {
              head = newRoot
            },
          }
        },
      }
    },
    reader(root) {
      if (!hasRoot(root)) return undefined
      const manager = managerAt(root, bufferedDb(store, new Map()))
      const reader: StateReader = {
        async account(address) {
          const account = await manager.getAccount(new Address(address))
          return account && { nonce: account.nonce, balance: account.balance, storageRoot: account.storageRoot, codeHash: account.codeHash }
        },
        code: (address) => manager.getCode(new Address(address)),
        async storage(address, slot) {
          const value = await manager.getStorage(new Address(address), slot)
          const out = new Uint8Array(32)
          out.set(value, 32 - value.length)
          return out
        },
        async proof(address, slots) {
          const proof = await getMerkleStateProof(manager, new Address(address), slots)
          return {
            address,
            balance: BigInt(proof.balance),
            nonce: BigInt(proof.nonce),
            codeHash: hexToBytes(proof.codeHash),
            storageHash: hexToBytes(proof.storageHash),
            accountProof: proof.accountProof.map(hexToBytes),
            storageProof: proof.storageProof.map((p) => ({ key: hexToBytes(p.key), value: BigInt(p.value), proof: p.proof.map(hexToBytes) })),
          }
        },
      }
      return reader
    },
  }
}

/** An @ethereumjs DB over the `trie` space whose writes stay in `pending`. Keys are unprefixed hex. */
function bufferedDb(store: KvStore, pending: Map<string, Uint8Array | undefined>): DB<string, Uint8Array> {
  const db: DB<string, Uint8Array> = {
    async get(key) {
      if (pending.has(key)) return pending.get(key)
      return store.get('trie', hexToBytes(`0x${key}`))
    },
    async put(key, value) {
      pending.set(key, value)
    },
    async del() {
      // Nodes are content-addressed and kept for older roots.
    },
    async batch(ops: BatchDBOp<string, Uint8Array>[]) {
      for (const op of ops) if (op.type === 'put') pending.set(op.key, op.value)
    },
    shallowCopy: () => db,
    async open() {},
  }
  return db
}
