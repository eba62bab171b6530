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

/** Unsigned integers up to this fit a double exactly, so their bytes come from plain arithmetic. */
const MAX_EXACT = 0xffffffffffffn
/** Bits per limb when a larger value is cut up: each limb fits a double exactly. */
const LIMB_BITS = 48n

/** The minimal big-endian byte length of a non-negative safe integer (0 for 0). */
function byteLengthOf(n: number): number {
  let length = 0
  for (; n > 0; n = Math.floor(n / 256)) length++
  return length
}

/**
 * A non-negative bigint as base-2^48 limbs, least significant first (none for 0), and its minimal byte
 * length. Values from bigint arithmetic only (nonces, balances): a negative one is refused as RLP would.
 */
function limbsOf(value: bigint): { limbs: number[]; length: number } {
  if (value < 0n) bigintToBytes(value) // throws the usual error
  if (value <= MAX_EXACT) {
    const n = Number(value)
    return { limbs: n === 0 ? [] : [n], length: byteLengthOf(n) }
  }
  const limbs: number[] = []
  for (let x = value; x > 0n; x >>= LIMB_BITS) limbs.push(Number(BigInt.asUintN(48, x)))
  return { limbs, length: (limbs.length - 1) * 6 + byteLengthOf(limbs[limbs.length - 1] as number) }
}

/** Writes `length` big-endian bytes of the limbs ending just before `end`. */
function writeLimbs(out: Uint8Array, end: number, length: number, limbs: number[]): void {
  let at = end - 1
  const stop = end - length
  for (let i = 0; i < limbs.length && at >= stop; i++) {
    let limb = limbs[i] as number
    for (let k = 0; k < 6 && at >= stop; k++, at--) {
      out[at] = limb % 256
      limb = Math.floor(limb / 256)
    }
  }
}

/** Whether RLP writes an unsigned integer of `length` minimal bytes as that one byte, with no header. */
function isSingleByteItem(length: number, limbs: number[]): boolean {
  return length === 1 && (limbs[0] as number) < 0x80
}

/**
 * RLP [nonce, balance, storageRoot, codeHash], written straight into one buffer: it is encoded for every
 * changed account of every block, so there are no per-field arrays or hex round trips.
 */
export function encodeAccount(account: StoredAccount): Uint8Array {
  const nonce = limbsOf(account.nonce)
  const balance = limbsOf(account.balance)
  const nonceSingle = isSingleByteItem(nonce.length, nonce.limbs)
  const balanceSingle = isSingleByteItem(balance.length, balance.limbs)
  const payload = (nonceSingle ? 1 : 1 + nonce.length) + (balanceSingle ? 1 : 1 + balance.length) + 66
  // Integers over 55 bytes need long-string headers: beyond uint256, so left to the general encoder.
  if (nonce.length > 55 || balance.length > 55 || payload > 255) {
    return rlpEncode([bigintToBytes(account.nonce), bigintToBytes(account.balance), account.storageRoot, account.codeHash])
  }
  const out = new Uint8Array(payload + (payload < 56 ? 1 : 2))
  let offset = 0
  if (payload < 56) out[offset++] = 0xc0 + payload
  else {
    out[offset++] = 0xf8
    out[offset++] = payload
  }
  if (!nonceSingle) out[offset++] = 0x80 + nonce.length
  writeLimbs(out, offset + nonce.length, nonce.length, nonce.limbs)
  offset += nonce.length
  if (!balanceSingle) out[offset++] = 0x80 + balance.length
  writeLimbs(out, offset + balance.length, balance.length, balance.limbs)
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
