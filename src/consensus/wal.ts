import { bigintToBytes, bytesToBigint } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList } from '../primitives/rlp.js'
import { authenticateMessage, toWireMessage, type RecoverSigner } from './authenticate.js'
import type { BlockCodec } from './blockCodec.js'
import { decodeMessageBody, decodeWireMessage, encodeMessageBody, encodeRlpListOfEncoded, encodeWireMessage } from './messages.js'
import type { QbftWal, SignedPrepare } from './types.js'

/**
 * The WAL record: RLP([height, round, prepared certificate or [], [own wire messages]]), where a prepared
 * certificate is [round, block, [signed prepare...]]. One record per validator, overwritten in place.
 */
export function encodeWal(wal: QbftWal, codec: BlockCodec): Uint8Array {
  const prepared = wal.prepared
    ? encodeRlpListOfEncoded([
        rlpEncode(bigintToBytes(BigInt(wal.prepared.round))),
        codec.encode(wal.prepared.block),
        encodeRlpListOfEncoded(wal.prepared.prepares.map((p) => encodeMessageBody({ type: 'prepare', signed: p }))),
      ])
    : rlpEncode([])
  const sent = wal.sent.map((m) => encodeWireMessage(toWireMessage(m, codec)))
  return encodeRlpListOfEncoded([
    rlpEncode(bigintToBytes(wal.height)),
    rlpEncode(bigintToBytes(BigInt(wal.round))),
    prepared,
    rlpEncode(sent),
  ])
}

/** Decodes and re-authenticates a WAL record (signers are recovered again, so a corrupted record cannot pass). */
export function decodeWal(bytes: Uint8Array, recover: RecoverSigner, codec: BlockCodec): QbftWal {
  const items = rlpList(rlpDecode(bytes), 'wal')
  if (items.length !== 4) throw new SteleError(ErrorCode.Storage, 'WAL record must have 4 fields')
  const preparedItems = rlpList(items[2], 'wal.prepared')
  let prepared: QbftWal['prepared']
  if (preparedItems.length === 3) {
    const prepares = rlpList(preparedItems[2], 'wal.prepares').map((p) => {
      const wire = decodeMessageBody('prepare', rlpEncode(p))
      return authenticateMessage(wire, recover, codec).signed as SignedPrepare
    })
    prepared = {
      round: Number(bytesToBigint(rlpBytes(preparedItems[0], 'wal.prepared.round'))),
      block: codec.decode(rlpEncode(preparedItems[1] as Uint8Array)),
      prepares,
    }
  }
  return {
    height: bytesToBigint(rlpBytes(items[0], 'wal.height')),
    round: Number(bytesToBigint(rlpBytes(items[1], 'wal.round'))),
    prepared,
    sent: rlpList(items[3], 'wal.sent').map((m) => authenticateMessage(decodeWireMessage(rlpBytes(m, 'wal.message')), recover, codec)),
  }
}
