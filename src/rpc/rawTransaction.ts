import type { TxLocation } from '../chain/types.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpDecode, type RlpItem } from '../primitives/rlp.js'
import { toHex, toQuantity } from './hex.js'
import type { HexString, RpcAccessListEntry, RpcAuthorization, RpcTransaction } from './rpcTypes.js'

/**
 * A mined transaction formatted straight from its EIP-2718 bytes, with the hash and sender the store
 * already holds. Same JSON as formatTransaction (format.ts) field for field and in the same key order,
 * without building an @ethereumjs transaction: that took 40–180 µs per transaction, so a full block of
 * 400 cost tens of milliseconds per eth_getBlockByNumber(…, true).
 * Throws INVALID_RLP for a type or shape it does not know; callers then take the @ethereumjs path.
 */
export function formatRawTransaction(raw: Uint8Array, hash: Uint8Array, from: Uint8Array, location: TxLocation, baseFee: bigint | undefined): RpcTransaction {
  return formatRawInBlock(raw, hash, from, formatLocation(location.blockHash, location.blockNumber), location.index, baseFee)
}

/** A block's hash and number as hex, formatted once for all of its transactions. */
export interface FormattedLocation {
  blockHash: HexString
  blockNumber: HexString
}

export function formatLocation(blockHash: Uint8Array, blockNumber: bigint): FormattedLocation {
  return { blockHash: toHex(blockHash), blockNumber: toQuantity(blockNumber) }
}

/** formatRawTransaction with the block's part of the location already formatted. */
export function formatRawInBlock(raw: Uint8Array, hash: Uint8Array, from: Uint8Array, block: FormattedLocation, index: number, baseFee: bigint | undefined): RpcTransaction {
  const first = raw[0]
  if (first === undefined) throw unknownShape('empty transaction')
  if (first >= 0xc0) return formatLegacy(fields(rlpDecode(raw), 9), hash, from, block, index)
  const layout = TYPED_LAYOUTS[first]
  if (layout === undefined) throw unknownShape(`transaction type ${first}`)
  const f = fields(rlpDecode(raw.subarray(1)), layout.count)
  const dynamicFee = layout.maxFee !== undefined
  const out: RpcTransaction = {
    blockHash: block.blockHash,
    blockNumber: block.blockNumber,
    from: toHex(from),
    gas: quantity(f[layout.gas]),
    gasPrice: '0x0',
    hash: toHex(hash),
    input: toHex(bytes(f[layout.to + 2])),
    nonce: quantity(f[1]),
    to: address(f[layout.to]),
    transactionIndex: toQuantity(index),
    value: quantity(f[layout.to + 1]),
    type: toQuantity(first),
    v: quantity(f[layout.count - 3]),
    r: quantity(f[layout.count - 2]),
    s: quantity(f[layout.count - 1]),
  }
  if (!dynamicFee) {
    out.gasPrice = quantity(f[2])
  } else {
    const maxFee = integer(f[layout.maxFee as number])
    const maxPriorityFee = integer(f[2])
    if (baseFee === undefined) out.gasPrice = toQuantity(maxFee)
    else out.gasPrice = toQuantity(baseFee + (maxPriorityFee < maxFee - baseFee ? maxPriorityFee : maxFee - baseFee))
    out.maxFeePerGas = toQuantity(maxFee)
    out.maxPriorityFeePerGas = toQuantity(maxPriorityFee)
  }
  if (first === BLOB_TX) {
    out.maxFeePerBlobGas = quantity(f[9])
    out.blobVersionedHashes = list(f[10]).map((h) => toHex(bytes(h)))
  }
  out.accessList = accessList(f[layout.to + 3])
  out.chainId = quantity(f[0])
  if (first === SET_CODE_TX) out.authorizationList = authorizationList(f[9])
  out.yParity = out.v
  return out
}

const BLOB_TX = 3
const SET_CODE_TX = 4

/** Where the fields sit in each typed envelope: field count, gas limit, `to` (value, data, access list follow it), max fee. */
const TYPED_LAYOUTS: Record<number, { count: number; gas: number; to: number; maxFee?: number }> = {
  1: { count: 11, gas: 3, to: 4 },
  2: { count: 12, gas: 4, to: 5, maxFee: 3 },
  3: { count: 14, gas: 4, to: 5, maxFee: 3 },
  4: { count: 13, gas: 4, to: 5, maxFee: 3 },
}

function formatLegacy(f: RlpItem[], hash: Uint8Array, from: Uint8Array, block: FormattedLocation, index: number): RpcTransaction {
  const v = integer(f[6])
  const out: RpcTransaction = {
    blockHash: block.blockHash,
    blockNumber: block.blockNumber,
    from: toHex(from),
    gas: quantity(f[2]),
    gasPrice: quantity(f[1]),
    hash: toHex(hash),
    input: toHex(bytes(f[5])),
    nonce: quantity(f[0]),
    to: address(f[3]),
    transactionIndex: toQuantity(index),
    value: quantity(f[4]),
    type: '0x0',
    v: toQuantity(v),
    r: quantity(f[7]),
    s: quantity(f[8]),
  }
  // EIP-155 protected: v = chainId * 2 + 35 + parity.
  if (v >= 35n) out.chainId = toQuantity((v - 35n) / 2n)
  return out
}

function accessList(item: RlpItem | undefined): RpcAccessListEntry[] {
  return list(item).map((entry) => {
    const [addr, keys] = fields(entry, 2)
    return { address: toHex(bytes(addr)), storageKeys: list(keys).map((k) => toHex(bytes(k))) }
  })
}

function authorizationList(item: RlpItem | undefined): RpcAuthorization[] {
  return list(item).map((entry) => {
    const [chainId, addr, nonce, yParity, r, s] = fields(entry, 6)
    return { chainId: quantity(chainId), address: toHex(bytes(addr)), nonce: quantity(nonce), yParity: quantity(yParity), r: quantity(r), s: quantity(s) }
  })
}

function fields(item: RlpItem | undefined, count: number): RlpItem[] {
  if (!Array.isArray(item) || item.length !== count) throw unknownShape(`expected a list of ${count} fields`)
  return item
}

function list(item: RlpItem | undefined): RlpItem[] {
  if (!Array.isArray(item)) throw unknownShape('expected a list')
  return item
}

function bytes(item: RlpItem | undefined): Uint8Array {
  if (!(item instanceof Uint8Array)) throw unknownShape('expected bytes')
  return item
}

function address(item: RlpItem | undefined): HexString | null {
  const b = bytes(item)
  return b.length === 0 ? null : toHex(b)
}

/** Minimal hex of a big-endian integer (leading zero bytes, which @ethereumjs refuses anyway, are skipped). */
function quantity(item: RlpItem | undefined): HexString {
  const b = bytes(item)
  let start = 0
  while (start < b.length && b[start] === 0) start++
  if (start === b.length) return '0x0'
  // Nonces, gas and most fees fit a double exactly: no Buffer and string surgery for them.
  if (b.length - start <= 6) {
    let n = 0
    for (let i = start; i < b.length; i++) n = n * 256 + (b[i] as number)
    return `0x${n.toString(16)}`
  }
  const hex = Buffer.from(b.buffer, b.byteOffset + start, b.length - start).toString('hex')
  return hex.charCodeAt(0) === 0x30 ? `0x${hex.slice(1)}` : `0x${hex}`
}

function integer(item: RlpItem | undefined): bigint {
  const q = quantity(item)
  return BigInt(q)
}

function unknownShape(reason: string): SteleError {
  return new SteleError(ErrorCode.InvalidRlp, `raw transaction not formatted: ${reason}`)
}
