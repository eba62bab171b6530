import { keccak256 } from '../crypto/keccak.js'
import { bigintToBytes, bytesToBigint, concatBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList, type RlpItem } from '../primitives/rlp.js'

/**
 * QBFT messages in Besu's RLP layout (checked against Consensys/qbft-tests, test/vectors/qbft).
 * On the wire a message is one code byte (Besu's QBFT message codes) followed by its RLP body.
 * Messages are generic over the block type B (encoded bytes on the wire, a decoded Block in the engine)
 * and the author type A (undefined on the wire, the recovered 20-byte address once authenticated).
 */
export const MessageCode = { proposal: 0x12, prepare: 0x13, commit: 0x14, roundChange: 0x15 } as const
export type MessageType = keyof typeof MessageCode

export interface PreparePayload {
  height: bigint
  round: number
  digest: Uint8Array
}

export interface CommitPayload {
  height: bigint
  round: number
  digest: Uint8Array
  commitSeal: Uint8Array
}

export interface PreparedRound {
  round: number
  digest: Uint8Array
}

export interface RoundChangePayload {
  height: bigint
  round: number
  prepared: PreparedRound | undefined
}

export interface ProposalPayload<B> {
  height: bigint
  round: number
  block: B
}

export interface Signed<P, A> {
  payload: P
  signature: Uint8Array
  author: A
}

export interface ProposalMessage<B, A> {
  type: 'proposal'
  signed: Signed<ProposalPayload<B>, A>
  /** The round-change quorum that justifies a proposal after round 0 (signed payloads only). */
  roundChanges: Signed<RoundChangePayload, A>[]
  /** The prepare quorum of the highest prepared round among those round changes. */
  prepares: Signed<PreparePayload, A>[]
}

export interface PrepareMessage<A> {
  type: 'prepare'
  signed: Signed<PreparePayload, A>
}

export interface CommitMessage<A> {
  type: 'commit'
  signed: Signed<CommitPayload, A>
}

export interface RoundChangeMessage<B, A> {
  type: 'roundChange'
  signed: Signed<RoundChangePayload, A>
  /** The prepared block, when the payload names a prepared round. */
  preparedBlock: B | undefined
  /** The prepared certificate: a quorum of prepares for the prepared round and digest. */
  prepares: Signed<PreparePayload, A>[]
}

export type QbftMessage<B, A> = ProposalMessage<B, A> | PrepareMessage<A> | CommitMessage<A> | RoundChangeMessage<B, A>

/** A message as bytes carry it: blocks still encoded, signers not yet recovered. */
export type WireMessage = QbftMessage<Uint8Array, undefined>

const MAX_ROUND = 0xffffffff

// ---- encoding -------------------------------------------------------------------------------------------------

/** RLP list of items that are already RLP-encoded (lets an encoded block be spliced in without re-decoding it). */
export function encodeRlpListOfEncoded(parts: Uint8Array[]): Uint8Array {
  const body = concatBytes(...parts)
  return concatBytes(rlpLengthPrefix(body.length, 0xc0), body)
}

function rlpLengthPrefix(length: number, offset: number): Uint8Array {
  if (length <= 55) return Uint8Array.of(offset + length)
  const lengthBytes = bigintToBytes(BigInt(length))
  return concatBytes(Uint8Array.of(offset + 55 + lengthBytes.length), lengthBytes)
}

const enc = (item: RlpItem) => rlpEncode(item)
const scalar = (value: bigint | number) => bigintToBytes(BigInt(value))

export function encodePreparePayload(p: PreparePayload): Uint8Array {
  return enc([scalar(p.height), scalar(p.round), p.digest])
}

export function encodeCommitPayload(p: CommitPayload): Uint8Array {
  return enc([scalar(p.height), scalar(p.round), p.digest, p.commitSeal])
}

export function encodeRoundChangePayload(p: RoundChangePayload): Uint8Array {
  const prepared: RlpItem = p.prepared ? [scalar(p.prepared.round), p.prepared.digest] : []
  return enc([scalar(p.height), scalar(p.round), prepared])
}

export function encodeProposalPayload(p: ProposalPayload<Uint8Array>): Uint8Array {
  return encodeRlpListOfEncoded([enc(scalar(p.height)), enc(scalar(p.round)), p.block])
}

/** The payload RLP of any message kind, as signed. */
export function encodePayload(type: MessageType, payload: unknown): Uint8Array {
  switch (type) {
    case 'proposal':
      return encodeProposalPayload(payload as ProposalPayload<Uint8Array>)
    case 'prepare':
      return encodePreparePayload(payload as PreparePayload)
    case 'commit':
      return encodeCommitPayload(payload as CommitPayload)
    case 'roundChange':
      return encodeRoundChangePayload(payload as RoundChangePayload)
  }
}

/** What a validator signs: keccak256(RLP([message code, payload])), as Besu's QbftPayload.hashForSignature. */
export function signingHash(type: MessageType, encodedPayload: Uint8Array): Uint8Array {
  return keccak256(encodeRlpListOfEncoded([enc(Uint8Array.of(MessageCode[type])), encodedPayload]))
}

function encodeSigned(encodedPayload: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeRlpListOfEncoded([encodedPayload, enc(signature)])
}

const signedPrepare = (s: Signed<PreparePayload, unknown>) => encodeSigned(encodePreparePayload(s.payload), s.signature)
const signedRoundChange = (s: Signed<RoundChangePayload, unknown>) =>
  encodeSigned(encodeRoundChangePayload(s.payload), s.signature)

/** The RLP body of a message (no code byte): the form qbft-tests' MessageRLPTests use. */
export function encodeMessageBody(msg: QbftMessage<Uint8Array, unknown>): Uint8Array {
  switch (msg.type) {
    case 'prepare':
      return signedPrepare(msg.signed)
    case 'commit':
      return encodeSigned(encodeCommitPayload(msg.signed.payload), msg.signed.signature)
    case 'roundChange':
      return encodeRlpListOfEncoded([
        signedRoundChange(msg.signed),
        msg.preparedBlock ?? enc([]),
        encodeRlpListOfEncoded(msg.prepares.map(signedPrepare)),
      ])
    case 'proposal':
      return encodeRlpListOfEncoded([
        encodeSigned(encodeProposalPayload(msg.signed.payload), msg.signed.signature),
        encodeRlpListOfEncoded([
          encodeRlpListOfEncoded(msg.roundChanges.map(signedRoundChange)),
          encodeRlpListOfEncoded(msg.prepares.map(signedPrepare)),
        ]),
      ])
  }
}

export function encodeWireMessage(msg: QbftMessage<Uint8Array, unknown>): Uint8Array {
  return concatBytes(Uint8Array.of(MessageCode[msg.type]), encodeMessageBody(msg))
}

// ---- decoding -------------------------------------------------------------------------------------------------

function fail(message: string): never {
  throw new SteleError(ErrorCode.Consensus, `bad QBFT message: ${message}`)
}

function decodeUint(item: RlpItem | undefined, what: string, maxBytes: number): bigint {
  const bytes = rlpBytes(item, what)
  if (bytes.length > maxBytes) fail(`${what} is too large`)
  if (bytes.length > 0 && bytes[0] === 0) fail(`${what} has leading zeros`)
  return bytesToBigint(bytes)
}

const decodeHeight = (item: RlpItem | undefined) => decodeUint(item, 'height', 8)
const decodeRound = (item: RlpItem | undefined, what = 'round') => Number(decodeUint(item, what, 4))

function fixed(item: RlpItem | undefined, length: number, what: string): Uint8Array {
  const bytes = rlpBytes(item, what)
  if (bytes.length !== length) fail(`${what} must be ${length} bytes`)
  return bytes
}

function fields(item: RlpItem | undefined, count: number, what: string): RlpItem[] {
  const list = rlpList(item, what)
  if (list.length !== count) fail(`${what} must have ${count} fields, has ${list.length}`)
  return list
}

function decodeSigned<P>(item: RlpItem | undefined, what: string, payload: (item: RlpItem) => P): Signed<P, undefined> {
  const [p, sig] = fields(item, 2, what) as [RlpItem, RlpItem]
  return { payload: payload(p), signature: fixed(sig, 65, `${what}.signature`), author: undefined }
}

function decodePreparePayload(item: RlpItem): PreparePayload {
  const [h, r, d] = fields(item, 3, 'prepare payload')
  return { height: decodeHeight(h), round: decodeRound(r), digest: fixed(d, 32, 'digest') }
}

function decodeCommitPayload(item: RlpItem): CommitPayload {
  const [h, r, d, s] = fields(item, 4, 'commit payload')
  return { height: decodeHeight(h), round: decodeRound(r), digest: fixed(d, 32, 'digest'), commitSeal: fixed(s, 65, 'commitSeal') }
}

function decodeRoundChangePayload(item: RlpItem): RoundChangePayload {
  const [h, r, p] = fields(item, 3, 'round change payload')
  const preparedItems = rlpList(p, 'prepared round')
  let prepared: PreparedRound | undefined
  if (preparedItems.length === 2) {
    prepared = { round: decodeRound(preparedItems[0], 'prepared round'), digest: fixed(preparedItems[1], 32, 'prepared digest') }
  } else if (preparedItems.length !== 0) {
    fail('prepared round must be empty or [round, digest]')
  }
  return { height: decodeHeight(h), round: decodeRound(r), prepared }
}

function decodeBlockItem(item: RlpItem | undefined): Uint8Array {
  // Blocks are RLP lists; they stay encoded here (the block codec is the caller's).
  if (!Array.isArray(item)) fail('block must be an RLP list')
  return enc(item)
}

function decodeProposalPayload(item: RlpItem): ProposalPayload<Uint8Array> {
  const [h, r, b] = fields(item, 3, 'proposal payload')
  return { height: decodeHeight(h), round: decodeRound(r), block: decodeBlockItem(b) }
}

const decodeSignedPrepare = (item: RlpItem) => decodeSigned(item, 'signed prepare', decodePreparePayload)
const decodeSignedRoundChange = (item: RlpItem) => decodeSigned(item, 'signed round change', decodeRoundChangePayload)

/** Decodes an RLP body of a known message type. Throws CONSENSUS (or INVALID_RLP) on anything malformed. */
export function decodeMessageBody(type: MessageType, body: Uint8Array): WireMessage {
  const item = rlpDecode(body)
  switch (type) {
    case 'prepare':
      return { type, signed: decodeSignedPrepare(item) }
    case 'commit':
      return { type, signed: decodeSigned(item, 'signed commit', decodeCommitPayload) }
    case 'roundChange': {
      const [signed, block, prepares] = fields(item, 3, 'round change')
      const blockList = rlpList(block, 'round change block')
      return {
        type,
        signed: decodeSignedRoundChange(signed as RlpItem),
        preparedBlock: blockList.length === 0 ? undefined : decodeBlockItem(blockList),
        prepares: rlpList(prepares, 'round change prepares').map(decodeSignedPrepare),
      }
    }
    case 'proposal': {
      const [signed, justification] = fields(item, 2, 'proposal')
      const [roundChanges, prepares] = fields(justification, 2, 'proposal justification')
      return {
        type,
        signed: decodeSigned(signed, 'signed proposal', decodeProposalPayload),
        roundChanges: rlpList(roundChanges, 'proposal round changes').map(decodeSignedRoundChange),
        prepares: rlpList(prepares, 'proposal prepares').map(decodeSignedPrepare),
      }
    }
  }
}

const TYPE_BY_CODE = new Map<number, MessageType>(
  (Object.entries(MessageCode) as [MessageType, number][]).map(([type, code]) => [code, type]),
)

export function decodeWireMessage(bytes: Uint8Array): WireMessage {
  if (bytes.length < 2) fail('too short')
  const type = TYPE_BY_CODE.get(bytes[0] as number)
  if (type === undefined) fail(`unknown message code ${bytes[0]}`)
  return decodeMessageBody(type, bytes.subarray(1))
}

export function isValidRound(round: number): boolean {
  return Number.isInteger(round) && round >= 0 && round <= MAX_ROUND
}
