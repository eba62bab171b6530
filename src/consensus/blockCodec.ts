import { decodeHeader, encodeHeader } from '../chain/header.js'
import { blockHash } from '../chain/seal.js'
import type { Block } from '../chain/types.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList } from '../primitives/rlp.js'
import { encodeRlpListOfEncoded } from './messages.js'

/** How consensus messages carry a block. Injected so the chain layer can own the block's wire form later. */
export interface BlockCodec {
  encode(block: Block): Uint8Array
  /** Throws on malformed bytes. The returned block's `hash` is recomputed, never trusted. */
  decode(bytes: Uint8Array): Block
}

/**
 * The default consensus block form: RLP([header, [transaction...], [anchor...]]), transactions as their
 * EIP-2718 bytes. Stele-only (anchors have no Ethereum counterpart), so it need not match eth/66 bodies.
 */
export const qbftBlockCodec: BlockCodec = {
  encode(block) {
    return encodeRlpListOfEncoded([encodeHeader(block.header), rlpEncode(block.transactions), rlpEncode(block.anchors)])
  },
  decode(bytes) {
    const items = rlpList(rlpDecode(bytes), 'block')
    if (items.length !== 3) throw new SteleError(ErrorCode.InvalidBlock, `block must have 3 fields, has ${items.length}`)
    const header = decodeHeader(rlpEncode(items[0] as Uint8Array))
    const transactions = rlpList(items[1], 'block.transactions').map((t) => rlpBytes(t, 'transaction'))
    const anchors = rlpList(items[2], 'block.anchors').map((a) => rlpBytes(a, 'anchor'))
    return { header, hash: blockHash(header), transactions, anchors }
  },
}

/** The block as proposed or committed in `round`: extraData carries that round and no seals (hash unchanged). */
export function blockWithRound(block: Block, round: number): Block {
  if (block.header.extraData.round === round && block.header.extraData.seals.length === 0) return block
  const extraData = { ...block.header.extraData, round, seals: [] }
  return { ...block, header: { ...block.header, extraData } }
}

export function blockWithSeals(block: Block, seals: Uint8Array[]): Block {
  return { ...block, header: { ...block.header, extraData: { ...block.header.extraData, seals } } }
}
