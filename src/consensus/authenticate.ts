import type { Block } from '../chain/types.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { BlockCodec } from './blockCodec.js'
import {
  encodePayload,
  signingHash,
  type MessageType,
  type PreparePayload,
  type QbftMessage,
  type RoundChangePayload,
  type Signed,
  type WireMessage,
} from './messages.js'

/** A message the engine handles: blocks decoded, every signer recovered (top level and inside certificates). */
export type EngineMessage = QbftMessage<Block, Uint8Array>

/** Recovers the 20-byte signer of a 32-byte hash, or undefined when the signature is invalid. */
export type RecoverSigner = (hash: Uint8Array, signature: Uint8Array) => Uint8Array | undefined
/** Signs a 32-byte hash with the validator key: a 65-byte r ‖ s ‖ v signature. */
export type SignHash = (hash: Uint8Array) => Uint8Array

function recoverOrThrow(recover: RecoverSigner, type: MessageType, encodedPayload: Uint8Array, signature: Uint8Array): Uint8Array {
  const author = recover(signingHash(type, encodedPayload), signature)
  if (author === undefined) throw new SteleError(ErrorCode.InvalidSignature, `${type} signature does not recover`)
  return author
}

function authorPrepare(s: Signed<PreparePayload, undefined>, recover: RecoverSigner): Signed<PreparePayload, Uint8Array> {
  return { ...s, author: recoverOrThrow(recover, 'prepare', encodePayload('prepare', s.payload), s.signature) }
}

function authorRoundChange(s: Signed<RoundChangePayload, undefined>, recover: RecoverSigner): Signed<RoundChangePayload, Uint8Array> {
  return { ...s, author: recoverOrThrow(recover, 'roundChange', encodePayload('roundChange', s.payload), s.signature) }
}

/**
 * Turns a decoded wire message into an engine message: recovers every signer and decodes blocks.
 * Throws INVALID_SIGNATURE when any signature fails, or the codec's error on a malformed block.
 */
export function authenticateMessage(wire: WireMessage, recover: RecoverSigner, codec: BlockCodec): EngineMessage {
  switch (wire.type) {
    case 'prepare':
      return { type: 'prepare', signed: authorPrepare(wire.signed, recover) }
    case 'commit':
      return {
        type: 'commit',
        signed: { ...wire.signed, author: recoverOrThrow(recover, 'commit', encodePayload('commit', wire.signed.payload), wire.signed.signature) },
      }
    case 'roundChange':
      return {
        type: 'roundChange',
        signed: authorRoundChange(wire.signed, recover),
        preparedBlock: wire.preparedBlock === undefined ? undefined : codec.decode(wire.preparedBlock),
        prepares: wire.prepares.map((p) => authorPrepare(p, recover)),
      }
    case 'proposal': {
      const { payload, signature } = wire.signed
      const author = recoverOrThrow(recover, 'proposal', encodePayload('proposal', payload), signature)
      return {
        type: 'proposal',
        signed: { payload: { ...payload, block: codec.decode(payload.block) }, signature, author },
        roundChanges: wire.roundChanges.map((rc) => authorRoundChange(rc, recover)),
        prepares: wire.prepares.map((p) => authorPrepare(p, recover)),
      }
    }
  }
}

/** The wire form of an engine message (blocks encoded). */
export function toWireMessage(msg: EngineMessage, codec: BlockCodec): QbftMessage<Uint8Array, Uint8Array> {
  switch (msg.type) {
    case 'prepare':
    case 'commit':
      return msg
    case 'roundChange':
      return { ...msg, preparedBlock: msg.preparedBlock === undefined ? undefined : codec.encode(msg.preparedBlock) }
    case 'proposal':
      return { ...msg, signed: { ...msg.signed, payload: { ...msg.signed.payload, block: codec.encode(msg.signed.payload.block) } } }
  }
}

/** Signs a payload as `self`; proposals need the codec, since the encoded block is part of what is signed. */
export function signPayload<P>(type: MessageType, payload: P, sign: SignHash, self: Uint8Array, codec: BlockCodec): Signed<P, Uint8Array> {
  const encodable =
    type === 'proposal' ? { ...(payload as { block: Block }), block: codec.encode((payload as { block: Block }).block) } : payload
  return { payload, signature: sign(signingHash(type, encodePayload(type, encodable))), author: self }
}
