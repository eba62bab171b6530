import { bigintToBytes, bytesToBigint, concatBytes, padBytes } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList, type RlpItem } from '../../primitives/rlp.js'

/** What a transfer proof shows of a transaction. Types 0 (legacy, EIP-155), 1 (EIP-2930) and 2 (EIP-1559). */
export interface DecodedTx {
  type: number
  chainId: bigint | undefined
  nonce: bigint
  to: Uint8Array | undefined
  value: bigint
  data: Uint8Array
  /** keccak256 of what the sender signed. */
  signingHash: Uint8Array
  /** r ‖ s ‖ recid, for recovery. */
  signature: Uint8Array
}

export function decodeTransaction(raw: Uint8Array, keccak256: (d: Uint8Array) => Uint8Array): DecodedTx {
  if (raw.length === 0) throw txError('empty transaction')
  const first = raw[0] as number
  if (first >= 0xc0) return decodeLegacy(rlpList(rlpDecode(raw), 'transaction'), keccak256)
  if (first !== 1 && first !== 2) throw txError(`transaction type ${first} is not supported by the verifier`)
  const f = rlpList(rlpDecode(raw.subarray(1)), 'transaction')
  const unsignedCount = first === 1 ? 8 : 9
  if (f.length !== unsignedCount + 3) throw txError(`type ${first} transaction must have ${unsignedCount + 3} fields`)
  const n = (i: number) => bytesToBigint(rlpBytes(f[i], `transaction field ${i}`))
  const toIndex = first === 1 ? 4 : 5
  return {
    type: first,
    chainId: n(0),
    nonce: n(1),
    to: optionalAddress(f[toIndex]),
    value: n(toIndex + 1),
    data: rlpBytes(f[toIndex + 2], 'transaction data'),
    signingHash: keccak256(concatBytes(Uint8Array.of(first), rlpEncode(f.slice(0, unsignedCount)))),
    signature: signatureOf(f[unsignedCount + 1], f[unsignedCount + 2], n(unsignedCount)),
  }
}

function decodeLegacy(f: RlpItem[], keccak256: (d: Uint8Array) => Uint8Array): DecodedTx {
  if (f.length !== 9) throw txError('legacy transaction must have 9 fields')
  const n = (i: number) => bytesToBigint(rlpBytes(f[i], `transaction field ${i}`))
  const v = n(6)
  let chainId: bigint | undefined
  let recid: bigint
  let signed: RlpItem[]
  if (v === 27n || v === 28n) {
    recid = v - 27n
    signed = f.slice(0, 6)
  } else if (v >= 35n) {
    chainId = (v - 35n) / 2n
    recid = (v - 35n) % 2n
    signed = [...f.slice(0, 6), bigintToBytes(chainId), new Uint8Array(0), new Uint8Array(0)]
  } else {
    throw txError(`legacy v ${v} is neither 27/28 nor EIP-155`)
  }
  return {
    type: 0,
    chainId,
    nonce: n(0),
    to: optionalAddress(f[3]),
    value: n(4),
    data: rlpBytes(f[5], 'transaction data'),
    signingHash: keccak256(rlpEncode(signed)),
    signature: signatureOf(f[7], f[8], recid),
  }
}

function optionalAddress(item: RlpItem | undefined): Uint8Array | undefined {
  const to = rlpBytes(item, 'transaction to')
  if (to.length === 0) return undefined
  if (to.length !== 20) throw txError('transaction to must be 20 bytes or empty')
  return to
}

function signatureOf(r: RlpItem | undefined, s: RlpItem | undefined, recid: bigint): Uint8Array {
  const rb = rlpBytes(r, 'signature r')
  const sb = rlpBytes(s, 'signature s')
  if (rb.length > 32 || sb.length > 32 || recid > 1n) throw txError('malformed signature')
  return concatBytes(padBytes(rb, 32), padBytes(sb, 32), Uint8Array.of(Number(recid)))
}

function txError(message: string): SteleError {
  return new SteleError(ErrorCode.InvalidTransaction, message)
}
