import type { Common } from '@ethereumjs/common'
import {
  create1559FeeMarketTxFromBytesArray,
  createAccessList2930TxFromBytesArray,
  createLegacyTxFromBytesArray,
  createTxFromRLP,
  paramsTx,
  type TypedTransaction,
} from '@ethereumjs/tx'
import { Address } from '@ethereumjs/util'
import { bigintToBytes, bytesToBigint, compareBytes } from '../primitives/bytes.js'
import { publicKeyToAddress, recoverPublicKey, SECP256K1_HALF_N, SECP256K1_N } from '../crypto/secp256k1.js'
import type { RecoveryRequest, SignerRecovery } from '../crypto/recoveryWorkers.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpDecode, type RlpItem } from '../primitives/rlp.js'
import { signingHashFromRaw, writeSignatureFromRaw } from './signingHash.js'
import { buildFeeMarketTx } from './feeMarketTx.js'
import {
  initCodeTooLarge,
  invalidSender,
  oversizedData,
  tipAboveFeeCap,
  txTypeNotSupported,
  undecodableTx,
  wrongChainId,
} from './txPoolErrors.js'

export interface DecodeOptions {
  /** Preferably from createSharedTxCommon. */
  common: Common
  chainId: bigint
  maxTxSize: number
  /** From initCodeSizeLimit(common); undefined when EIP-3860 is not active. */
  maxInitCodeSize: bigint | undefined
}

/** The EIP-3860 init code limit of a chain's rules (the tx parameters live outside Common until a tx is built). */
export function initCodeSizeLimit(common: Common): bigint | undefined {
  if (!common.isActivatedEIP(3860)) return undefined
  const withTxParams = common.copy()
  withTxParams.updateParams(paramsTx)
  return withTxParams.param('maxInitCodeSize')
}


/**
 * Decodes a raw EIP-2718 transaction (legacy, 2930 or 1559) and runs the checks that need no state.
 * We decode the RLP ourselves first so a wrong chain id, an oversized init code or a tip above the fee cap
 * get geth's wording instead of @ethereumjs's constructor messages. The sender is not recovered here.
 */
export function decodeRawTransaction(raw: Uint8Array, options: DecodeOptions): TypedTransaction {
  if (raw.length > options.maxTxSize) throw oversizedData(raw.length, options.maxTxSize)
  const first = raw[0]
  if (first === undefined) throw undecodableTx('empty input')
  if (first === 3 || first === 4) throw txTypeNotSupported(first)
  // Legacy txs are bare RLP lists (first byte 0xc0 or above); typed envelopes start with their type, 1 or 2.
  if (first === 0 || (first > 2 && first < 0xc0)) {
    throw first > 0 && first <= 0x7f ? txTypeNotSupported(first) : undecodableTx('not an RLP list or typed envelope')
  }
  const type = first >= 0xc0 ? 0 : first
  let values: RlpItem
  try {
    values = rlpDecode(type === 0 ? raw : raw.subarray(1))
  } catch (cause) {
    throw undecodableTx('malformed RLP', cause)
  }
  if (!Array.isArray(values) || values.some((v) => Array.isArray(v) && v !== values[fieldIndex(type, 'accessList')])) {
    throw undecodableTx('unexpected RLP structure')
  }
  const fields = values as Uint8Array[]
  checkChainId(type, fields, options.chainId)
  checkFees(type, fields)
  checkSignatureValues(type, fields)
  checkInitCode(type, fields, options.maxInitCodeSize)
  try {
    // Not frozen, so rememberSender can attach the recovered sender to the tx itself.
    const txOptions = { common: options.common, freeze: false }
    if (type === 2) {
      const built = buildFeeMarketTx(values as RlpItem[], options.common)
      if (built !== undefined) return built
      return create1559FeeMarketTxFromBytesArray(values as Parameters<typeof create1559FeeMarketTxFromBytesArray>[0], txOptions)
    }
    if (type === 1) {
      return createAccessList2930TxFromBytesArray(values as Parameters<typeof createAccessList2930TxFromBytesArray>[0], txOptions)
    }
    return createLegacyTxFromBytesArray(fields, txOptions)
  } catch (cause) {
    throw undecodableTx(cause instanceof Error ? cause.message : String(cause), cause)
  }
}

/**
 * A transaction of a block, decoded as createTxFromRLP decodes it (unfrozen, so rememberSender can attach the
 * sender), with EIP-1559 ones built by buildFeeMarketTx where it can: the same object, cheaper. Anything else,
 * malformed input included, goes to createTxFromRLP, which decides and words its errors as before.
 */
export function decodeBlockTransaction(serialized: Uint8Array, common: Common): TypedTransaction {
  if (serialized[0] === 2) {
    let values: unknown
    try {
      values = rlpDecode(serialized.subarray(1))
    } catch {
      values = undefined
    }
    const built = Array.isArray(values) ? buildFeeMarketTx(values as RlpItem[], common) : undefined
    if (built !== undefined) return built
  }
  return createTxFromRLP(serialized, { common, freeze: false })
}

/**
 * Recovers the sender with one native recovery and one native keccak. `raw`, the bytes `tx` was decoded
 * from by decodeRawTransaction, lets the signing hash be read from them. @ethereumjs's getSenderAddress would
 * hash the public key with its JavaScript keccak; we do it natively and leave the public key in the tx's
 * cache so later getSenderPublicKey calls (the VM's) cost nothing.
 */
export function recoverSender(tx: TypedTransaction, raw?: Uint8Array): Uint8Array {
  const request = senderRecoveryRequest(tx, raw)
  let publicKey: Uint8Array
  try {
    publicKey = recoverPublicKey(request.hash, request.signature)
  } catch (cause) {
    throw invalidSender(cause)
  }
  tx.cache.senderPubKey = publicKey
  const address = publicKeyToAddress(publicKey)
  rememberSender(tx, address)
  return address
}

/**
 * recoverSender with the elliptic-curve work done by `recovery` (worker threads, batched with other
 * requests of the same event-loop turn). Same checks and the same errors; results come back in request order.
 */
export async function recoverSenderWith(recovery: SignerRecovery, tx: TypedTransaction, raw?: Uint8Array): Promise<Uint8Array> {
  const request = senderRecoveryRequest(tx, raw)
  const signer = await recovery.recover(request.hash, request.signature)
  if (signer === undefined) throw invalidSender(new SteleError(ErrorCode.InvalidSignature, 'signature does not recover a public key'))
  tx.cache.senderPubKey = signer.publicKey
  rememberSender(tx, signer.address)
  return signer.address
}

/**
 * Makes tx.getSenderAddress() answer `address`: @ethereumjs would hash the public key again, with its
 * JavaScript keccak, on every runTx. It is an own property of the tx itself. The earlier view, a new object
 * with the tx as its prototype, gave every tx its own hidden class, so property reads in runTx went
 * megamorphic and each tx was turned into a prototype object. Txs are decoded unfrozen (freeze: false) for
 * this and frozen here, as @ethereumjs would have: it caches the hash and the data fee only on frozen txs.
 * A tx frozen already is left as it is, and blockExecution's withKnownSender wraps it.
 */
export function rememberSender(tx: TypedTransaction, address: Uint8Array): void {
  if (!Object.isExtensible(tx)) return
  const sender = new Address(address)
  Object.defineProperty(tx, 'getSenderAddress', { value: () => sender })
  Object.freeze(tx)
}

/**
 * The signing hash and the 65-byte signature of a signed tx, after the checks that need no curve work
 * (recovery id, r and s in range, EIP-2 low s). Throws geth's "invalid sender".
 */
export function senderRecoveryRequest(tx: TypedTransaction, raw?: Uint8Array): RecoveryRequest {
  const { v, r, s } = tx
  if (v === undefined || r === undefined || s === undefined) throw invalidSender()
  let recoveryId: bigint
  if (tx.type !== 0) recoveryId = v
  else if (v === 27n || v === 28n) recoveryId = v - 27n
  else recoveryId = v - (2n * tx.common.chainId() + 35n)
  if (recoveryId !== 0n && recoveryId !== 1n) throw invalidSender()
  if (r === 0n || s === 0n || r >= SECP256K1_N || s > SECP256K1_HALF_N) throw invalidSender()
  const signature = new Uint8Array(65)
  signature[64] = Number(recoveryId)
  try {
    if (raw !== undefined) {
      writeSignatureFromRaw(raw, signature)
    } else {
      // r and s are below 2^256 here (checked above), so 64 hex digits hold each.
      const words = Buffer.from(signature.buffer, signature.byteOffset, 64)
      words.write(r.toString(16).padStart(64, '0'), 0, 'hex')
      words.write(s.toString(16).padStart(64, '0'), 32, 'hex')
    }
    // From the raw bytes when we have them: cheaper than @ethereumjs re-encoding the fields.
    const eip155ChainId = tx.type === 0 && v !== 27n && v !== 28n ? tx.common.chainId() : undefined
    const hash = raw !== undefined ? signingHashFromRaw(raw, eip155ChainId) : tx.getHashedMessageToSign()
    return { hash, signature }
  } catch (cause) {
    throw invalidSender(cause)
  }
}

/**
 * A Common for decoded txs that every tx shares. Each @ethereumjs tx constructor copies its Common and
 * re-merges the tx parameters into it, which costs more than the signature recovery; this one has the
 * parameters merged once and hands out itself. Txs only read it (the VM runs with skipHardForkValidation).
 */
export function createSharedTxCommon(common: Common): Common {
  const shared = common.copy()
  shared.updateParams(paramsTx)
  shared.copy = () => shared
  shared.updateParams = () => undefined
  return shared
}

function fieldIndex(type: number, field: 'accessList' | 'data' | 'to'): number {
  // Positions in the signed field lists of each envelope.
  if (type === 0) return field === 'to' ? 3 : field === 'data' ? 5 : -1
  if (type === 1) return field === 'to' ? 4 : field === 'data' ? 6 : 7
  return field === 'to' ? 5 : field === 'data' ? 7 : 8
}

function checkChainId(type: number, fields: Uint8Array[], want: bigint): void {
  if (type !== 0) {
    const chainId = fields[0]
    if (chainId === undefined) return
    // @ethereumjs does not check this field for leading zeros; the pool keys txs by keccak(raw), which must
    // equal the hash of the canonical encoding.
    if (chainId[0] === 0) throw undecodableTx('non-canonical chain id')
    if (bytesToBigint(chainId) !== want) throw wrongChainId(bytesToBigint(chainId), want)
    return
  }
  const vBytes = fields[6]
  // Unsigned (6 fields) fails later as an invalid sender; v 27/28 is a valid pre-EIP-155 signature.
  if (vBytes === undefined || vBytes.length > 32) return
  const v = bytesToBigint(vBytes)
  if (v === 27n || v === 28n) return
  if (v < 35n) throw invalidSender()
  const have = (v - 35n) / 2n
  if (have !== want) throw wrongChainId(have, want)
}

function checkFees(type: number, fields: Uint8Array[]): void {
  if (type !== 2) return
  const tip = fields[2]
  const feeCap = fields[3]
  if (tip === undefined || feeCap === undefined || tip.length > 32 || feeCap.length > 32) return
  if (bytesToBigint(tip) > bytesToBigint(feeCap)) throw tipAboveFeeCap()
}

function checkInitCode(type: number, fields: Uint8Array[], limit: bigint | undefined): void {
  const to = fields[fieldIndex(type, 'to')]
  const data = fields[fieldIndex(type, 'data')]
  if (limit === undefined || to === undefined || to.length !== 0 || data === undefined) return
  if (BigInt(data.length) > limit) throw initCodeTooLarge(data.length, limit)
}


/** Signature values the @ethereumjs constructors would refuse with their own words: an invalid sender to geth. */
function checkSignatureValues(type: number, fields: Uint8Array[]): void {
  const at = type === 0 ? 6 : type === 1 ? 8 : 9
  const v = fields[at]
  const s = fields[at + 2]
  if (v === undefined || s === undefined) return
  if (type !== 0 && (v.length > 1 || (v[0] ?? 0) > 1)) throw invalidSender()
  // Compared as bytes (a 32-byte s against n/2's bytes; a shorter one is below it): no bigint per tx.
  if (s.length > 32 || (s.length === 32 && compareBytes(s, SECP256K1_HALF_N_BYTES) > 0)) throw invalidSender()
}

/** n/2, the EIP-2 bound on s, as 32 big-endian bytes. */
const SECP256K1_HALF_N_BYTES = bigintToBytes(SECP256K1_HALF_N)
