import { RLP } from '@ethereumjs/rlp'
import { ErrorCode, SteleError } from './errors.js'

/** An RLP item: bytes, or a list of items. */
export type RlpItem = Uint8Array | RlpItem[]

export function rlpEncode(item: RlpItem): Uint8Array {
  return RLP.encode(item)
}

/** Decodes one whole RLP item; trailing bytes or malformed lengths become INVALID_RLP. */
export function rlpDecode(bytes: Uint8Array): RlpItem {
  try {
    return RLP.decode(bytes) as RlpItem
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidRlp, 'malformed RLP', { cause })
  }
}

export function rlpList(item: RlpItem | undefined, what: string): RlpItem[] {
  if (!Array.isArray(item)) throw new SteleError(ErrorCode.InvalidRlp, `${what}: expected an RLP list`)
  return item
}

export function rlpBytes(item: RlpItem | undefined, what: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new SteleError(ErrorCode.InvalidRlp, `${what}: expected RLP bytes`)
  return item
}
