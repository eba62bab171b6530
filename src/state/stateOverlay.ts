import type { AccountFields, StateManagerInterface, StorageDump } from '@ethereumjs/common'
import { Account, type Address } from '@ethereumjs/util'
import { keccak256 } from '../crypto/keccak.js'
import { bytesToHex, equalBytes, hexToBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpEncode } from '../primitives/rlp.js'
import { WriteBatch } from './kvStore.js'
import type { StateOverlay } from './stateDb.js'
import type { TrieRemoval } from './nodeStore.js'
import { BaseState, EMPTY_CODE_HASH, encodeAccount, storageKey, trimLeadingZeros, type StateContext, type StoredAccount } from './baseState.js'
import { EMPTY_ROOT, MutableTrie } from './mutableTrie.js'
import { PackedEntries, buildTrieFromSorted, sortPackedKeys } from './bulkTrie.js'
import { LEAF, STORED_REF_BYTES, encodeStoredNode, locationKey, refHash, storedRef, type TrieNode } from './trieNode.js'
import { hexOfBytes } from '../primitives/byteKeys.js'

/** Accounts on the empty root from which the bulk (sorted build) path is used. */
export const BULK_THRESHOLD = 20_000
const BULK_CHUNK = 50_000

/** The `meta` key holding the committed state head root. */
export const STATE_HEAD_KEY = new TextEncoder().encode('state/headRoot')

interface AccountValue {
  nonce: bigint
  balance: bigint
  codeHash: Uint8Array
}
function sameAccount(value: AccountValue, storageRoot: Uint8Array, base: StoredAccount): boolean {
  return value.nonce === base.nonce && value.balance === base.balance && equalBytes(value.codeHash, base.codeHash) && equalBytes(storageRoot, base.storageRoot)
}
interface StorageEntry {
  /** The base storage is gone (account deleted or storage cleared); only `slots` count. */
  reset: boolean
  /** slot hex -> [slot, minimal value (empty = zero)] */
  slots: Map<string, [Uint8Array, Uint8Array]>
}

/**
 * keccak256(address), the account's trie key, shared by every overlay: the same accounts change block after
 * block, and a block's root otherwise hashed each of them again. Never mutated (trie keys are copied into
 * nibbles). Cleared when full rather than evicted one by one: refilling costs one hash per account.
 */
const HASHED_ADDRESSES_MAX = 65_536
const hashedAddresses = new Map<string, Uint8Array>()

/**
 * An Account whose storageRoot is computed only when read: the EVM re-reads the account after every
 * SSTORE but looks at storageRoot only for the rare CREATE collision check (EIP-7610).
 */
class OverlayAccount extends Account {
  #resolveStorageRoot: (() => Uint8Array) | undefined
  constructor(value: AccountValue, resolveStorageRoot: () => Uint8Array) {
    super(value.nonce, value.balance, EMPTY_ROOT, value.codeHash)
    this.#resolveStorageRoot = resolveStorageRoot
  }
  override get storageRoot(): Uint8Array {
    const resolve = this.#resolveStorageRoot
    if (resolve !== undefined) {
      this.#resolveStorageRoot = undefined
      super.storageRoot = resolve()
    }
    return super.storageRoot
  }
  override set storageRoot(root: Uint8Array) {
    this.#resolveStorageRoot = undefined
    super.storageRoot = root
  }
}

/**
 * The in-memory changes of one block (or one eth_call) on a committed root, exposed to the VM as an
 * ethereumjs StateManagerInterface. A journal of undo closures gives checkpoint/commit/revert. Roots
 * are computed incrementally: each computeRoot applies only the keys changed since the previous one.
 */
export class FlatStateManager implements StateManagerInterface {
  private base: BaseState
  private accounts = new Map<string, AccountValue | null>()
  private storage = new Map<string, StorageEntry>()
  private codes = new Map<string, Uint8Array>()
  private newCodes = new Set<string>()
  private baseAccounts = new Map<string, StoredAccount | null>()

  private undo: (() => void)[] = []
  private marks: number[] = []
  /** prepareCommit calls so far: persisting gives the new trie nodes locations, so only the latest may apply. */
  private prepares = 0
  private txOriginal = new Map<string, Uint8Array>()

  private dirtyAccounts = new Set<string>()
  /** Each account's encoding as last put into the account trie: the flat state stores the same bytes at commit. */
  private leafValues = new Map<string, Uint8Array>()
  private dirtySlots = new Map<string, Set<string>>()
  private rebuildStorage = new Set<string>()
  private accountTrie: MutableTrie
  /** True until a commit applies: the account trie then no longer starts from `base`, so puts get no presence hint. */
  private trieOnBase = true
  private storageTries = new Map<string, MutableTrie>()
  private storageRoots = new Map<string, Uint8Array>()

  readonly originalStorageCache = {
    get: async (address: Address, key: Uint8Array): Promise<Uint8Array> => this.originalStorage(address.bytes, key),
    clear: (): void => this.txOriginal.clear(),
  }

  constructor(
    private readonly ctx: StateContext,
    root: Uint8Array,
    private readonly bulkThreshold = BULK_THRESHOLD,
  ) {
    this.base = new BaseState(ctx, root)
    this.accountTrie = new MutableTrie(ctx.nodes, this.base.rootRef)
  }

  get baseRoot(): Uint8Array {
    return this.base.root
  }

  // --- accounts ---

  async getAccount(address: Address): Promise<Account | undefined> {
    return this.accountNow(address)
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    if (account === undefined) this.deleteAccountNow(address)
    else this.putAccountNow(address, account)
  }

  async deleteAccount(address: Address): Promise<void> {
    this.deleteAccountNow(address)
  }

  /**
   * The account reads and writes without a promise each: the plain-transfer and contract-call paths make a
   * few per transaction (src/execution/plainTransfer.ts, SyncAccounts).
   */
  accountNow(address: Address): Account | undefined {
    const key = this.keyOf(address.bytes)
    const value = this.currentAccount(key)
    return value === null ? undefined : new OverlayAccount(value, () => this.storageRootNow(key))
  }

  putAccountNow(address: Address, account: Account): void {
    this.setAccount(this.keyOf(address.bytes), { nonce: account.nonce, balance: account.balance, codeHash: account.codeHash })
  }

  deleteAccountNow(address: Address): void {
    this.removeAccount(this.keyOf(address.bytes))
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const key = this.keyOf(address.bytes)
    const current = this.currentAccount(key) ?? emptyAccount()
    this.setAccount(key, {
      nonce: fields.nonce ?? current.nonce,
      balance: fields.balance ?? current.balance,
      codeHash: fields.codeHash ?? current.codeHash,
    })
  }

  // --- code ---

  async putCode(address: Address, code: Uint8Array): Promise<void> {
    const codeHash = keccak256(code)
    const hashKey = hexOfBytes(codeHash)
    if (!this.codes.has(hashKey)) {
      this.codes.set(hashKey, code.slice())
      this.newCodes.add(hashKey)
    }
    const key = this.keyOf(address.bytes)
    const current = this.currentAccount(key) ?? emptyAccount()
    this.setAccount(key, { ...current, codeHash })
  }

  async getCode(address: Address): Promise<Uint8Array> {
    return this.codeOf(this.keyOf(address.bytes))
  }

  async getCodeSize(address: Address): Promise<number> {
    return this.codeOf(this.keyOf(address.bytes)).length
  }

  // --- storage ---

  async getStorage(address: Address, slot: Uint8Array): Promise<Uint8Array> {
    if (slot.length !== 32) throw new SteleError(ErrorCode.InvalidInput, 'storage key must be 32 bytes')
    return this.storageValue(this.keyOf(address.bytes), slot)
  }

  /** getStorage without the promise, for the synchronous frame interpreter (minimal bytes; empty = zero). */
  storageNow(address: Uint8Array, slot: Uint8Array): Uint8Array {
    return this.storageValue(this.keyOf(address), slot)
  }

  async putStorage(address: Address, slot: Uint8Array, value: Uint8Array): Promise<void> {
    if (slot.length !== 32) throw new SteleError(ErrorCode.InvalidInput, 'storage key must be 32 bytes')
    if (value.length > 32) throw new SteleError(ErrorCode.InvalidInput, 'storage value cannot be longer than 32 bytes')
    const key = this.keyOf(address.bytes)
    if (this.currentAccount(key) === null) {
      throw new SteleError(ErrorCode.Internal, 'putStorage on a missing account', { details: { address: `0x${key}` } })
    }
    const slotKey = hexOfBytes(slot)
    if (this.marks.length > 0) {
      const originalKey = key + slotKey
      if (!this.txOriginal.has(originalKey)) this.txOriginal.set(originalKey, this.storageValue(key, slot))
    }
    this.setSlot(key, slotKey, slot.slice(), trimLeadingZeros(value).slice())
  }

  async clearStorage(address: Address): Promise<void> {
    const key = this.keyOf(address.bytes)
    // As MerkleStateManager does: clearing the storage of a missing account creates it.
    if (this.currentAccount(key) === null) this.setAccount(key, emptyAccount())
    this.resetStorage(key)
  }

  async dumpStorage(address: Address): Promise<StorageDump> {
    const key = this.keyOf(address.bytes)
    if (this.currentAccount(key) === null) throw new SteleError(ErrorCode.NotFound, 'dumpStorage: no such account')
    const values = new Map<string, Uint8Array>()
    const entry = this.storage.get(key)
    const addressBytes = this.addressOf(key)
    if (entry?.reset !== true && this.baseAccount(key) !== null) {
      if (!this.base.isHead()) throw new SteleError(ErrorCode.Unsupported, 'dumpStorage is only available on the head state')
      const end = storageKey(addressBytes, new Uint8Array(32).fill(0xff))
      for (const [k, v] of this.ctx.store.range('storage', storageKey(addressBytes, new Uint8Array(32)), end)) values.set(hexOfBytes(k.subarray(20)), v)
      const last = this.ctx.store.get('storage', end)
      if (last !== undefined) values.set(hexOfBytes(end.subarray(20)), last)
    }
    for (const [slotKey, [, value]] of entry?.slots ?? []) values.set(slotKey, value)
    const dump: StorageDump = {}
    for (const [slotKey, value] of values) {
      if (value.length === 0) continue
      dump[bytesToHex(keccak256(hexToBytes(`0x${slotKey}`)))] = bytesToHex(rlpEncode(value))
    }
    return dump
  }

  // --- journal ---

  async checkpoint(): Promise<void> {
    this.marks.push(this.undo.length)
  }

  async commit(): Promise<void> {
    if (this.marks.pop() === undefined) throw new SteleError(ErrorCode.Internal, 'commit without a checkpoint')
    if (this.marks.length === 0) {
      this.undo.length = 0
      this.txOriginal.clear()
    }
  }

  async revert(): Promise<void> {
    const mark = this.marks.pop()
    if (mark === undefined) throw new SteleError(ErrorCode.Internal, 'revert without a checkpoint')
    for (let i = this.undo.length - 1; i >= mark; i--) (this.undo[i] as () => void)()
    this.undo.length = mark
    if (this.marks.length === 0) this.txOriginal.clear()
  }

  // --- roots ---

  async getStateRoot(): Promise<Uint8Array> {
    return this.computeRoot()
  }

  async setStateRoot(root: Uint8Array): Promise<void> {
    if (!this.ctx.hasRoot(root)) throw new SteleError(ErrorCode.NotFound, `unknown state root ${bytesToHex(root)}`)
    this.resetTo(root)
  }

  async hasStateRoot(root: Uint8Array): Promise<boolean> {
    return this.ctx.hasRoot(root)
  }

  getAppliedKey(address: Uint8Array): Uint8Array {
    return keccak256(address)
  }

  clearCaches(): void {
    this.baseAccounts.clear()
  }

  /** A copy with the same base and the same changes, sharing nothing mutable. */
  shallowCopy(): FlatStateManager {
    const copy = new FlatStateManager(this.ctx, this.base.root, this.bulkThreshold)
    copy.accounts = new Map(this.accounts)
    for (const [key, entry] of this.storage) copy.storage.set(key, { reset: entry.reset, slots: new Map(entry.slots) })
    copy.codes = new Map(this.codes)
    copy.newCodes = new Set(this.newCodes)
    for (const key of this.accounts.keys()) copy.dirtyAccounts.add(key)
    for (const key of this.storage.keys()) copy.rebuildStorage.add(key)
    return copy
  }

  /** Applies the changes made since the previous call to the tries and returns the state root. */
  computeRoot(): Uint8Array {
    this.updateStorageTries()
    if (this.isBulk()) {
      this.dirtyAccounts.clear()
      return this.bulkAccountRoot()
    }
    for (const key of this.dirtyAccounts) {
      const hashed = this.hashedAddress(key)
      const value = this.currentAccount(key)
      if (value === null) {
        this.accountTrie.del(hashed)
        this.leafValues.delete(key)
      } else {
        const storageRoot = this.storageRootOf(key)
        // The presence hint skips reading the leaf, and so always writes a new one: an account equal to its base
        // value (a reverted change, a same-value write) takes the normal path, which reads it and writes nothing.
        const base = this.trieOnBase ? this.baseAccount(key) : null
        const present = base !== null && !sameAccount(value, storageRoot, base)
        const encoded = encodeAccount({ ...value, storageRoot })
        this.leafValues.set(key, encoded)
        this.accountTrie.put(hashed, encoded, present)
      }
    }
    this.dirtyAccounts.clear()
    return this.accountTrie.rootHash()
  }

  /**
   * Adds flat-state changes, code and new trie nodes to the batch. The overlay must sit on the current
   * head with no open checkpoint. `apply()` moves the head (call it once the batch is durable).
   */
  prepareCommit(batch: WriteBatch, moveHead: (root: Uint8Array, ref: ReturnType<MutableTrie['rootRef']>, expectedEpochRoot: Uint8Array) => void): { root: Uint8Array; apply(): void } {
    if (this.marks.length > 0) throw new SteleError(ErrorCode.Internal, 'prepareCommit with an open checkpoint')
    if (!this.base.isHead()) {
      throw new SteleError(ErrorCode.Storage, 'the overlay is not on the head state any more', { details: { base: bytesToHex(this.base.root) } })
    }
    const generation = ++this.prepares
    const bulk = this.isBulk()
    let root: Uint8Array
    let bulkRoot: Uint8Array | undefined
    if (bulk) {
      this.updateStorageTries()
      bulkRoot = this.bulkWriteAccounts()
      root = refHash(bulkRoot).slice()
      // The bulk path stored the nodes; the root's index entry makes them reachable with this block.
      if (bulkRoot.length === STORED_REF_BYTES) batch.put('trieRoots', root, bulkRoot.subarray(32))
    } else {
      root = this.computeRoot()
    }
    const fresh: TrieNode[] = []
    /** The new nodes at the top of their tries, which the node store keeps in memory (CACHED_LEVELS). */
    const cacheable: TrieNode[] = []
    const persist = (trie: MutableTrie, removal?: TrieRemoval) => {
      const nodes = trie.newNodes(cacheable)
      this.ctx.nodes.persist(batch, nodes, trie.rootRef(), removal)
      for (const node of nodes) fresh.push(node)
    }
    if (!bulk) persist(this.accountTrie, { base: this.base.rootRef, removed: this.accountTrie.removedLocations() })
    const touched = new Set([...this.accounts.keys(), ...this.storage.keys()])
    for (const key of touched) {
      const address = this.addressOf(key)
      const value = this.currentAccount(key)
      const entry = this.storage.get(key)
      if (value === null || entry?.reset === true) this.deleteFlatStorage(batch, address)
      if (value === null) {
        batch.del('accounts', address)
        continue
      }
      // computeRoot just brought every changed account's leaf up to date, so its encoding is the flat value too.
      if (!bulk) batch.putOwned('accounts', address, this.leafValues.get(key) ?? encodeAccount({ ...value, storageRoot: this.storageRootOf(key) }))
      if (entry === undefined) continue
      const trie = this.storageTries.get(key)
      if (trie !== undefined) persist(trie)
      for (const [slot, v] of entry.slots.values()) {
        if (v.length === 0) batch.del('storage', storageKey(address, slot))
        else batch.put('storage', storageKey(address, slot), v)
      }
    }
    for (const hashKey of this.newCodes) batch.put('code', hexToBytes(`0x${hashKey}`), this.codes.get(hashKey) as Uint8Array)
    batch.put('meta', STATE_HEAD_KEY, root)
    const baseRoot = this.base.root
    let applied = false
    return {
      root,
      apply: () => {
        if (applied) return
        if (generation !== this.prepares) throw new SteleError(ErrorCode.Internal, 'a later prepareCommit on this overlay replaced this one')
        applied = true
        this.trieOnBase = false
        moveHead(root, bulk ? bulkRoot : this.accountTrie.rootRef(), baseRoot)
        MutableTrie.release(fresh)
        this.accountTrie.forgetRemoved()
        this.ctx.nodes.remember(cacheable)
      },
    }
  }

  // --- internals ---

  private updateStorageTries(): void {
    for (const key of this.rebuildStorage) this.updateStorageTrie(key)
    for (const key of this.dirtySlots.keys()) this.updateStorageTrie(key)
  }

  /** A large state on the empty root (a genesis): build the account trie from sorted keys instead. */
  private isBulk(): boolean {
    return this.accounts.size >= this.bulkThreshold && this.base.rootRef === undefined
  }

  private bulkAccountRoot(emit?: (node: TrieNode, hash: Uint8Array) => Uint8Array): Uint8Array {
    const live: string[] = []
    for (const [key, value] of this.accounts) if (value !== null) live.push(key)
    const hashed = new Uint8Array(live.length * 32)
    for (let i = 0; i < live.length; i++) hashed.set(keccak256(this.addressOf(live[i] as string)), i * 32)
    const order = sortPackedKeys(hashed, live.length)
    const keyAt = (i: number) => hashed.subarray((order[i] as number) * 32, (order[i] as number) * 32 + 32)
    const valueAt = (i: number) => this.encodeCurrentAccount(live[order[i] as number] as string)
    return buildTrieFromSorted(live.length, keyAt, valueAt, emit)
  }

  /**
   * The bulk path writes trie nodes and flat accounts straight to the store in chunks, keeping a million
   * accounts out of the block batch. That is safe because nothing reads them before the head moves:
   * nodes are reachable only from a root indexed in the block's batch (`trieRoots`), and flat state is
   * consulted only for the head root, which changes when the batch (holding the head key) is durable.
   * Leftover flat state of an interrupted genesis is removed; its nodes stay as unreachable records.
   */
  private bulkWriteAccounts(): Uint8Array {
    const store = this.ctx.store
    let chunk = new WriteBatch()
    // Keys arrive in ascending order, so each chunk appends to the B-tree instead of rewriting its pages.
    const flush = (limit: number) => {
      if (chunk.size >= limit) {
        store.write(chunk)
        chunk = new WriteBatch()
      }
    }
    const everything = new Uint8Array(64).fill(0xff)
    for (const space of ['accounts', 'storage'] as const) {
      for (const [key] of store.range(space, new Uint8Array(0), everything)) {
        chunk.del(space, key)
        flush(BULK_CHUNK)
      }
    }
    flush(1)
    // A trie of n random keys has about n leaves and n/15 inner nodes.
    const nodes = new PackedEntries(8, this.accounts.size * 1.08 + 64)
    const root = this.bulkAccountRoot((node, hash) => {
      node.loc = this.ctx.nodes.allocate()
      nodes.add(locationKey(node.loc), encodeStoredNode(node))
      return storedRef(hash, node.loc, node.kind === LEAF)
    })
    // Hex keys of equal length sort like the addresses themselves.
    const live: string[] = []
    for (const [key, value] of this.accounts) if (value !== null) live.push(key)
    live.sort()
    const self = this
    function* accountEntries(): Generator<readonly [Uint8Array, Uint8Array]> {
      for (const key of live) yield [self.addressOf(key), self.encodeCurrentAccount(key)]
    }
    if (store.putMany !== undefined) {
      store.putMany('trieNodes', nodes.entries(), BULK_CHUNK)
      store.putMany('accounts', accountEntries(), BULK_CHUNK)
      return root
    }
    for (const [space, entries] of [['trieNodes', nodes.entries()], ['accounts', accountEntries()]] as const) {
      for (const [key, value] of entries) {
        chunk.put(space, key, value)
        flush(BULK_CHUNK)
      }
      flush(1)
    }
    return root
  }

  private encodeCurrentAccount(key: string): Uint8Array {
    const value = this.currentAccount(key) as AccountValue
    return encodeAccount({ nonce: value.nonce, balance: value.balance, codeHash: value.codeHash, storageRoot: this.storageRootOf(key) })
  }

  private keyOf(address: Uint8Array): string {
    return hexOfBytes(address)
  }

  // Decoded on demand rather than kept: a genesis overlay holds a million addresses.
  private addressOf(key: string): Uint8Array {
    return Buffer.from(key, 'hex')
  }

  private hashedAddress(key: string): Uint8Array {
    let hashed = hashedAddresses.get(key)
    if (hashed === undefined) {
      hashed = keccak256(this.addressOf(key))
      if (hashedAddresses.size >= HASHED_ADDRESSES_MAX) hashedAddresses.clear()
      hashedAddresses.set(key, hashed)
    }
    return hashed
  }

  private baseAccount(key: string): StoredAccount | null {
    if (this.base.rootRef === undefined) return null
    let account = this.baseAccounts.get(key)
    if (account === undefined) {
      account = this.base.account(this.addressOf(key), this.base.isHead() ? undefined : this.hashedAddress(key)) ?? null
      this.baseAccounts.set(key, account)
    }
    return account
  }

  private currentAccount(key: string): AccountValue | null {
    const value = this.accounts.get(key)
    if (value !== undefined) return value
    return this.baseAccount(key)
  }

  private storageValue(key: string, slot: Uint8Array): Uint8Array {
    if (this.currentAccount(key) === null) return new Uint8Array(0)
    return this.slotValue(key, hexOfBytes(slot), slot)
  }

  /** The slot's current value regardless of whether the account exists. */
  private slotValue(key: string, slotKey: string, slot: Uint8Array): Uint8Array {
    const entry = this.storage.get(key)
    const written = entry?.slots.get(slotKey)
    if (written !== undefined) return written[1]
    if (entry?.reset === true) return new Uint8Array(0)
    const base = this.baseAccount(key)
    if (base === null) return new Uint8Array(0)
    return this.base.storage(this.addressOf(key), base.storageRoot, slot)
  }

  private originalStorage(address: Uint8Array, slot: Uint8Array): Uint8Array {
    const key = this.keyOf(address)
    const originalKey = key + hexOfBytes(slot)
    let value = this.txOriginal.get(originalKey)
    if (value === undefined) {
      value = this.storageValue(key, slot)
      this.txOriginal.set(originalKey, value)
    }
    return value
  }

  private codeOf(key: string): Uint8Array {
    const account = this.currentAccount(key)
    if (account === null || equalBytes(account.codeHash, EMPTY_CODE_HASH)) return new Uint8Array(0)
    const hashKey = hexOfBytes(account.codeHash)
    let code = this.codes.get(hashKey)
    if (code === undefined) {
      code = this.base.code(account.codeHash)
      this.codes.set(hashKey, code)
    }
    return code
  }

  private record(undo: () => void): void {
    if (this.marks.length > 0) this.undo.push(undo)
  }

  private setAccount(key: string, value: AccountValue | null): void {
    if (this.marks.length > 0) {
      const had = this.accounts.has(key)
      const previous = this.accounts.get(key)
      this.record(() => {
        if (had) this.accounts.set(key, previous as AccountValue | null)
        else this.accounts.delete(key)
        this.dirtyAccounts.add(key)
      })
    }
    this.accounts.set(key, value)
    // A bulk build reads the whole map; tracking a million dirty keys would only cost memory.
    if (!this.isBulk()) this.dirtyAccounts.add(key)
  }

  private removeAccount(key: string): void {
    this.setAccount(key, null)
    this.resetStorage(key)
  }

  private resetStorage(key: string): void {
    const previous = this.storage.get(key)
    this.record(() => {
      if (previous === undefined) this.storage.delete(key)
      else this.storage.set(key, previous)
      this.rebuildStorage.add(key)
      this.dirtyAccounts.add(key)
    })
    this.storage.set(key, { reset: true, slots: new Map() })
    this.rebuildStorage.add(key)
    this.dirtyAccounts.add(key)
  }

  private setSlot(key: string, slotKey: string, slot: Uint8Array, value: Uint8Array): void {
    let entry = this.storage.get(key)
    if (entry === undefined) {
      entry = { reset: false, slots: new Map() }
      this.storage.set(key, entry)
    }
    const slots = entry.slots
    if (this.marks.length > 0) {
      const previous = slots.get(slotKey)
      this.record(() => {
        if (previous === undefined) slots.delete(slotKey)
        else slots.set(slotKey, previous)
        this.markSlot(key, slotKey)
      })
    }
    slots.set(slotKey, [slot, value])
    this.markSlot(key, slotKey)
  }

  private markSlot(key: string, slotKey: string): void {
    let dirty = this.dirtySlots.get(key)
    if (dirty === undefined) {
      dirty = new Set()
      this.dirtySlots.set(key, dirty)
    }
    dirty.add(slotKey)
    this.dirtyAccounts.add(key)
  }

  /** Brings the account's storage trie up to date with its changed slots. */
  private updateStorageTrie(key: string): void {
    const entry = this.storage.get(key)
    const dirty = this.dirtySlots.get(key)
    let trie = this.storageTries.get(key)
    const rebuild = this.rebuildStorage.has(key) || trie === undefined
    if (rebuild) {
      const base = entry?.reset === true ? null : this.baseAccount(key)
      trie = new MutableTrie(this.ctx.nodes, base === null ? EMPTY_ROOT : base.storageRoot)
      this.storageTries.set(key, trie)
    }
    const t = trie as MutableTrie
    const apply = (slotKey: string, slot: Uint8Array) => {
      const value = this.slotValue(key, slotKey, slot)
      const hashedSlot = keccak256(slot)
      if (value.length === 0) t.del(hashedSlot)
      else t.put(hashedSlot, rlpEncode(value))
    }
    if (this.rebuildStorage.has(key)) {
      for (const [slotKey, [slot]] of entry?.slots ?? []) apply(slotKey, slot)
    } else if (dirty !== undefined) {
      for (const slotKey of dirty) {
        const slot = entry?.slots.get(slotKey)?.[0] ?? hexToBytes(`0x${slotKey}`)
        apply(slotKey, slot)
      }
    }
    this.rebuildStorage.delete(key)
    this.dirtySlots.delete(key)
    this.storageRoots.set(key, t.rootHash())
    this.dirtyAccounts.add(key)
  }

  private storageRootOf(key: string): Uint8Array {
    const computed = this.storageRoots.get(key)
    if (computed !== undefined) return computed
    if (this.storage.get(key)?.reset === true) return EMPTY_ROOT
    return this.baseAccount(key)?.storageRoot ?? EMPTY_ROOT
  }

  private storageRootNow(key: string): Uint8Array {
    if (this.rebuildStorage.has(key) || this.dirtySlots.has(key)) this.updateStorageTrie(key)
    return this.storageRootOf(key)
  }

  private deleteFlatStorage(batch: WriteBatch, address: Uint8Array): void {
    if (this.baseAccount(hexOfBytes(address)) === null) return
    const start = storageKey(address, new Uint8Array(32))
    const last = storageKey(address, new Uint8Array(32).fill(0xff))
    for (const [k] of this.ctx.store.range('storage', start, last)) batch.del('storage', k)
    if (this.ctx.store.get('storage', last) !== undefined) batch.del('storage', last)
  }

  private resetTo(root: Uint8Array): void {
    this.base = new BaseState(this.ctx, root)
    this.accounts.clear()
    this.storage.clear()
    this.newCodes.clear()
    this.baseAccounts.clear()
    this.undo = []
    this.marks = []
    this.txOriginal.clear()
    this.dirtyAccounts.clear()
    this.leafValues.clear()
    this.dirtySlots.clear()
    this.rebuildStorage.clear()
    this.accountTrie = new MutableTrie(this.ctx.nodes, this.base.rootRef)
    this.trieOnBase = true
    this.storageTries.clear()
    this.storageRoots.clear()
  }
}

function emptyAccount(): AccountValue {
  return { nonce: 0n, balance: 0n, codeHash: EMPTY_CODE_HASH }
}

/** Wraps a state manager in the StateOverlay interface. */
export function createStateOverlay(
  manager: FlatStateManager,
  moveHead: (root: Uint8Array, ref: ReturnType<MutableTrie['rootRef']>, expectedBase: Uint8Array) => void,
): StateOverlay {
  return {
    stateManager: manager,
    computeRoot: async () => manager.computeRoot(),
    prepareCommit: async (batch) => manager.prepareCommit(batch, moveHead),
  }
}
