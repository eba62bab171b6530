import { bigintToBytes, bytesToBigint, padBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList, type RlpItem } from '../primitives/rlp.js'

/**
 * QBFT header extraData, in Besu's format:
 *   RLP([vanity (32 bytes), [validator addresses], vote or [], round (RLP scalar), [committed seals]])
 * A vote is [recipient address, 0xff to add | 0x00 to remove].
 * The round is a minimal RLP scalar, as Besu's QbftExtraDataCodec writes it (writeIntScalar) and as the newer
 * Consensys/qbft-tests message vectors encode it; decoding also accepts the older fixed 4-byte form that
 * qbft-tests' BftExtraDataRLPTests still use, and an empty string for "no vote" (test/vectors/qbft/README.md).
 * Stele puts the block's anchor batch root (docs/spec/data.md) in the vanity, so the seals cover it.
 */
export interface QbftVote {
  recipient: Uint8Array
  add: boolean
}

export interface QbftExtraData {
  vanity: Uint8Array
  validators: Uint8Array[]
  vote: QbftVote | undefined
  round: number
  seals: Uint8Array[]
}

export const VOTE_ADD = 0xff
export const VOTE_REMOVE = 0x00

/** Which parts of extraData a hash covers. */
export type ExtraDataEncoding = 'full' | 'withoutSeals' | 'withoutSealsAndRound'

export function encodeQbftExtraData(extra: QbftExtraData, encoding: ExtraDataEncoding = 'full'): Uint8Array {
  const vote: RlpItem = extra.vote ? [extra.vote.recipient, Uint8Array.of(extra.vote.add ? VOTE_ADD : VOTE_REMOVE)] : []
  const round = encoding === 'withoutSealsAndRound' ? 0 : extra.round
  const seals = encoding === 'full' ? extra.seals : []
  return rlpEncode([padBytes(extra.vanity, 32), extra.validators, vote, encodeRound(round), seals])
}

export function decodeQbftExtraData(bytes: Uint8Array): QbftExtraData {
  const items = rlpList(rlpDecode(bytes), 'extraData')
  if (items.length !== 5) throw new SteleError(ErrorCode.InvalidBlock, `extraData must have 5 fields, has ${items.length}`)
  const vanity = rlpBytes(items[0], 'extraData.vanity')
  if (vanity.length !== 32) throw new SteleError(ErrorCode.InvalidBlock, 'extraData vanity must be 32 bytes')
  const validators = rlpList(items[1], 'extraData.validators').map((v) => {
    const address = rlpBytes(v, 'extraData.validator')
    if (address.length !== 20) throw new SteleError(ErrorCode.InvalidBlock, 'validator address must be 20 bytes')
    return address
  })
  // No vote is the empty list; the empty string is the pre-2021-03 form some qbft-tests vectors still carry.
  const voteItem = items[2]
  const voteItems = voteItem instanceof Uint8Array && voteItem.length === 0 ? [] : rlpList(voteItem, 'extraData.vote')
  let vote: QbftVote | undefined
  if (voteItems.length === 2) {
    const recipient = rlpBytes(voteItems[0], 'vote.recipient')
    const type = rlpBytes(voteItems[1], 'vote.type')
    if (recipient.length !== 20) throw new SteleError(ErrorCode.InvalidBlock, 'vote recipient must be 20 bytes')
    const typeByte = type.length === 0 ? VOTE_REMOVE : type[0]
    if (type.length > 1 || (typeByte !== VOTE_ADD && typeByte !== VOTE_REMOVE)) {
      throw new SteleError(ErrorCode.InvalidBlock, 'vote type must be 0xff or 0x00')
    }
    vote = { recipient, add: typeByte === VOTE_ADD }
  } else if (voteItems.length !== 0) {
    throw new SteleError(ErrorCode.InvalidBlock, 'vote must be empty or [recipient, type]')
  }
  const roundBytes = rlpBytes(items[3], 'extraData.round')
  if (roundBytes.length > 4) throw new SteleError(ErrorCode.InvalidBlock, 'extraData round must fit in 4 bytes')
  const round = Number(bytesToBigint(roundBytes))
  const seals = rlpList(items[4], 'extraData.seals').map((s) => {
    const seal = rlpBytes(s, 'extraData.seal')
    if (seal.length !== 65) throw new SteleError(ErrorCode.InvalidBlock, 'committed seal must be 65 bytes')
    return seal
  })
  return { vanity, validators, vote, round, seals }
}

function encodeRound(round: number): Uint8Array {
  if (!Number.isInteger(round) || round < 0 || round > 0xffffffff) {
    throw new SteleError(ErrorCode.InvalidInput, `round out of range: ${round}`)
  }
  return bigintToBytes(BigInt(round))
}
