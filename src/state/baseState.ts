import type { KvStore } from './kvStore.js'
import type { NodeStore } from './nodeStore.js'
import { keccak256 } from '../crypto/keccak.js'
import { bigintToBytes, bytesToBigint, concatBytes, equalBytes } from '../primitives/bytes.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList } from '../primitives/rlp.js'
import { EMPTY_ROOT, trieGet } from './mutableTrie.js'
import type { NodeRef } from './trieNode.js'

/** keccak256 of empty code. */
export const EMPTY_CODE_HASH = keccak256(new Uint8Array(0))

export interface StoredAccount {
  nonce: bigint
  balance: bigint
  storageRoot: Uint8Array
  codeHash: Uint8Array
}

/** What the StateDb shares with its overlays and readers. */
export interface StateContext {
  readonly store: KvStore
  readonly nodes: NodeStore
  /** The committed head; `epoch` changes whenever the head moves. */
  head(): { root: Uint8Array; ref: NodeRef | undefined; epoch: number }
  hasRoot(root: Uint8Array): boolean
}

/** Whether RLP writes this minimal integer encoding as its one byte, with no header. */
function isSingleByteItem(bytes: Uint8Array): boolean {
  return bytes.length === 1 && (bytes[0] as number) < 0x80
}

/**
 * RLP [nonce, balance, storageRoot, codeHash], written straight into one buffer: it is encoded for every
 * changed account of every block, so there are no per-field arrays beyond the two integers.
 */
export function encodeAccount(account: StoredAccount): Uint8Array {
  const nonce = bigintToBytes(account.nonce)
  const balance = bigintToBytes(account.balance)
  const nonceSingle = isSingleByteItem(nonce)
  const balanceSingle = isSingleByteItem(balance)
  const payload = (nonceSingle ? 1 : 1 + nonce.length) + (balanceSingle ? 1 : 1 + balance.length) + 66
  // Integers over 55 bytes need long-string headers: beyond uint256, so left to the general encoder.
  if (nonce.length > 55 || balance.length > 55 || payload > 255) return rlpEncode([nonce, balance, account.storageRoot, account.codeHash])
  const out = new Uint8Array(payload + (payload < 56 ? 1 : 2))
  let offset = 0
  if (payload < 56) out[offset++] = 0xc0 + payload
  else {
    out[offset++] = 0xf8
    out[offset++] = payload
  }
  if (!nonceSingle) out[offset++] = 0x80 + nonce.length
  out.set(nonce, offset)
  offset += nonce.length
  if (!balanceSingle) out[offset++] = 0x80 + balance.length
  out.set(balance, offset)
  offset += balance.length
  out[offset++] = 0xa0
  out.set(account.storageRoot, offset)
  offset += 32
  out[offset++] = 0xa0
  out.set(account.codeHash, offset)
  return out
}

export function decodeAccount(bytes: Uint8Array): StoredAccount {
  const [nonce, balance, storageRoot, codeHash] = rlpList(rlpDecode(bytes), 'account')
  return {
    nonce: bytesToBigint(rlpBytes(nonce, 'account nonce')),
    balance: bytesToBigint(rlpBytes(balance, 'account balance')),
    storageRoot: rlpBytes(storageRoot, 'account storage root'),
    codeHash: rlpBytes(codeHash, 'account code hash'),
  }
}

export function storageKey(address: Uint8Array, slot: Uint8Array): Uint8Array {
  return concatBytes(address, slot)
}

/** Strips leading zero bytes (storage values are kept in their minimal form; empty means zero). */
export function trimLeadingZeros(value: Uint8Array): Uint8Array {
  let i = 0
  while (i < value.length && value[i] === 0) i++
  return i === 0 ? value : value.subarray(i)
}

/**
 * Reads of one committed state root. While that root is the head, reads hit the flat `accounts` and
 * `storage` spaces (one LMDB lookup each); for any other root, or once the head has moved on, they walk
 * the trie from the root.
 */
export class BaseState {
  private readonly epoch: number
  readonly rootRef: NodeRef | undefined

  constructor(
    private readonly ctx: StateContext,
    readonly root: Uint8Array,
  ) {
    const head = ctx.head()
    const isHead = equalBytes(head.root, root)
    this.epoch = isHead ? head.epoch : -1
    this.rootRef = equalBytes(root, EMPTY_ROOT) ? undefined : isHead ? head.ref : root
  }

  /** True while this root is still the head, so flat state describes it. */
  isHead(): boolean {
    return this.epoch === this.ctx.head().epoch
  }

  account(address: Uint8Array, hashedAddress?: Uint8Array): StoredAccount | undefined {
    if (this.rootRef === undefined) return undefined
    if (this.isHead()) {
      const bytes = this.ctx.store.get('accounts', address)
      return bytes === undefined ? undefined : decodeAccount(bytes)
    }
    const bytes = trieGet(this.ctx.nodes, this.rootRef, hashedAddress ?? keccak256(address))
    return bytes === undefined ? undefined : decodeAccount(bytes)
  }

  /** The minimal big-endian value (empty when zero). */
  storage(address: Uint8Array, storageRoot: Uint8Array, slot: Uint8Array): Uint8Array {
    if (equalBytes(storageRoot, EMPTY_ROOT)) return new Uint8Array(0)
    if (this.isHead()) return this.ctx.store.get('storage', storageKey(address, slot)) ?? new Uint8Array(0)
    const encoded = trieGet(this.ctx.nodes, storageRoot, keccak256(slot))
    return encoded === undefined ? new Uint8Array(0) : rlpBytes(rlpDecode(encoded), 'storage value')
  }

  code(codeHash: Uint8Array): Uint8Array {
    if (equalBytes(codeHash, EMPTY_CODE_HASH)) return new Uint8Array(0)
    return this.ctx.store.get('code', codeHash) ?? new Uint8Array(0)
  }
}
