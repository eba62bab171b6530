import type { KvStore } from './kvStore.js'
import type { StateDb, StateReader } from './stateDb.js'
import type { AccountProof } from '../rpc/backend.js'
import { keccak256 } from '../crypto/keccak.js'
import { bytesToHex, equalBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { BaseState, EMPTY_CODE_HASH, type StateContext } from './baseState.js'
import { EMPTY_ROOT, trieProof } from './mutableTrie.js'
import { createNodeStore } from './nodeStore.js'
import { FlatStateManager, STATE_HEAD_KEY, createStateOverlay } from './stateOverlay.js'
import type { NodeRef } from './trieNode.js'

export interface FlatStateDbOptions {
  /** Decoded inner trie nodes kept in memory: at most this many (default 50,000)... */
  nodeCacheSize?: number
  /**
   * ...and at most about this many bytes of heap (default 64 MiB). Only the top CACHED_LEVELS levels of each
   * trie are cached: for a 1M-account trie, 4,369 full branches, about 20 MB; the rest holds storage tries.
   */
  nodeCacheBytes?: number
  /** Accounts on the empty root from which prepareCommit builds the trie from sorted keys (default 20,000). */
  bulkThreshold?: number
  /**
   * Keep the account trie of only the last this many state-changing commits besides the head (pruning, ADR
   * 0013); 0 or undefined: keep every root (an archive). Storage tries are always kept.
   */
  stateHistory?: number
}

/**
 * World state as flat key-value data for fast reads at the head, plus the Ethereum Merkle-Patricia trie
 * for roots, proofs and reads at older roots. Without a state history every committed root stays readable;
 * with one, account-trie nodes that no recent root reaches are deleted, and older roots are forgotten.
 *
 * Layout: accounts: address -> account RLP; storage: address ‖ slot -> minimal value; code: codeHash ->
 * code; trieNodes and trieRoots: trie nodes by location (nodeStore.ts); meta 'state/headRoot' -> head root.
 */
export function createFlatStateDb(store: KvStore, options: FlatStateDbOptions = {}): StateDb {
  const nodes = createNodeStore(store, { maxNodes: options.nodeCacheSize ?? 50_000, maxBytes: options.nodeCacheBytes ?? 64 * 2 ** 20 }, options.stateHistory ?? 0)
  let head: { root: Uint8Array; ref: NodeRef | undefined; epoch: number } = {
    root: store.get('meta', STATE_HEAD_KEY) ?? EMPTY_ROOT,
    ref: undefined,
    epoch: 0,
  }
  if (!equalBytes(head.root, EMPTY_ROOT)) {
    head.ref = nodes.rootRef(head.root)
    if (head.ref === undefined) {
      throw new SteleError(
        ErrorCode.Storage,
        store.get('trie', head.root) !== undefined
          ? 'this data directory was written by an older Stele, which kept trie nodes by hash (docs/adr/0012-trie-nodes-by-location.md); start with a new data directory'
          : `the state head ${bytesToHex(head.root)} has no trie in the store`,
      )
    }
  }
  const ctx: StateContext = {
    store,
    nodes,
    head: () => head,
    hasRoot: (root) => equalBytes(root, EMPTY_ROOT) || equalBytes(root, head.root) || nodes.hasRoot(root),
  }
  const moveHead = (root: Uint8Array, ref: NodeRef | undefined, expectedBase: Uint8Array) => {
    if (!equalBytes(head.root, expectedBase)) {
      throw new SteleError(ErrorCode.Storage, 'the state head moved while a commit was being prepared', {
        details: { head: bytesToHex(head.root), expected: bytesToHex(expectedBase) },
      })
    }
    head = { root: root.slice(), ref, epoch: head.epoch + 1 }
  }
  return {
    headRoot: () => head.root,
    overlay(root = head.root) {
      if (!ctx.hasRoot(root)) throw new SteleError(ErrorCode.NotFound, `unknown state root ${bytesToHex(root)}`)
      return createStateOverlay(new FlatStateManager(ctx, root, options.bulkThreshold), moveHead)
    },
    reader(root) {
      return ctx.hasRoot(root) ? createStateReader(ctx, root) : undefined
    },
  }
}

function createStateReader(ctx: StateContext, root: Uint8Array): StateReader {
  const base = new BaseState(ctx, root)
  return {
    async account(address) {
      const account = base.account(address)
      return account === undefined ? undefined : { ...account }
    },
    async code(address) {
      const account = base.account(address)
      return account === undefined ? new Uint8Array(0) : base.code(account.codeHash)
    },
    async storage(address, slot) {
      const account = base.account(address)
      const value = account === undefined ? new Uint8Array(0) : base.storage(address, account.storageRoot, slot)
      const out = new Uint8Array(32)
      out.set(value, 32 - value.length)
      return out
    },
    async proof(address, slots) {
      const hashedAddress = keccak256(address)
      const accountProof = trieProof(ctx.nodes, base.rootRef, hashedAddress)
      const account = base.account(address, hashedAddress)
      const storageRoot = account?.storageRoot ?? EMPTY_ROOT
      const result: AccountProof = {
        address,
        balance: account?.balance ?? 0n,
        nonce: account?.nonce ?? 0n,
        codeHash: account?.codeHash ?? EMPTY_CODE_HASH,
        storageHash: storageRoot,
        accountProof,
        storageProof: slots.map((slot) => {
          if (account === undefined) return { key: slot, value: 0n, proof: [] }
          const value = base.storage(address, storageRoot, slot)
          return { key: slot, value: bytesToBigintSafe(value), proof: trieProof(ctx.nodes, storageRoot, keccak256(slot)) }
        }),
      }
      return result
    },
  }
}

function bytesToBigintSafe(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`)
}
