import { ErrorCode, SteleError } from './errors.js'

/**
 * RLP as the yellow paper (appendix B) defines it. Our own code because it sits under every block write,
 * header hash, receipt and consensus message: encoding measures the whole item first and writes into one
 * buffer (no intermediate arrays or concatenations), decoding walks offsets without copying the remainder.
 * Output and accepted input are identical to @ethereumjs/rlp (property-tested in rlp.test.ts).
 */

/** An RLP item: bytes, or a list of items. */
export type RlpItem = Uint8Array | RlpItem[]

const SHORT_STRING = 0x80
const LONG_STRING = 0xb7
const SHORT_LIST = 0xc0
const LONG_LIST = 0xf7
const SHORT_COPY = 16

export function rlpEncode(item: RlpItem): Uint8Array {
  // Pass 1 records each list's payload length in pre-order; pass 2 reads them back in the same order.
  const listPayloads: number[] = []
  const out = new Uint8Array(measure(item, listPayloads))
  const cursor = { list: 0 }
  const end = write(item, out, 0, listPayloads, cursor)
  if (end !== out.length) throw new SteleError(ErrorCode.Internal, 'RLP encoder wrote an unexpected length', { details: { end, length: out.length } })
  return out
}

function measure(item: RlpItem, listPayloads: number[]): number {
  if (item instanceof Uint8Array) {
    const n = item.length
    if (n === 1 && (item[0] as number) < SHORT_STRING) return 1
    return headerLength(n) + n
  }
  if (!Array.isArray(item)) throw new SteleError(ErrorCode.InvalidRlp, `cannot RLP-encode a ${typeof item}`)
  const slot = listPayloads.length
  listPayloads.push(0)
  let payload = 0
  for (let i = 0; i < item.length; i++) payload += measure(item[i] as RlpItem, listPayloads)
  listPayloads[slot] = payload
  return headerLength(payload) + payload
}

function write(item: RlpItem, out: Uint8Array, pos: number, listPayloads: number[], cursor: { list: number }): number {
  if (item instanceof Uint8Array) {
    const n = item.length
    if (n === 1 && (item[0] as number) < SHORT_STRING) {
      out[pos] = item[0] as number
      return pos + 1
    }
    pos = writeHeader(out, pos, n, SHORT_STRING, LONG_STRING)
    // set() has a fixed cost that a loop beats for the many short integers in headers and receipts.
    if (n > SHORT_COPY) out.set(item, pos)
    else for (let i = 0; i < n; i++) out[pos + i] = item[i] as number
    return pos + n
  }
  const payload = listPayloads[cursor.list++] as number
  pos = writeHeader(out, pos, payload, SHORT_LIST, LONG_LIST)
  for (let i = 0; i < item.length; i++) pos = write(item[i] as RlpItem, out, pos, listPayloads, cursor)
  return pos
}

function headerLength(payload: number): number {
  return payload < 56 ? 1 : 1 + byteLength(payload)
}

function byteLength(n: number): number {
  let bytes = 0
  for (; n > 0; n = Math.floor(n / 256)) bytes++
  return bytes
}

function writeHeader(out: Uint8Array, pos: number, payload: number, shortBase: number, longBase: number): number {
  if (payload < 56) {
    out[pos] = shortBase + payload
    return pos + 1
  }
  const bytes = byteLength(payload)
  out[pos] = longBase + bytes
  for (let i = bytes, n = payload; i >= 1; i--, n = Math.floor(n / 256)) out[pos + i] = n % 256
  return pos + 1 + bytes
}

/**
 * Decodes one whole RLP item; trailing bytes, non-canonical forms (a prefixed single byte below 0x80,
 * long forms for short payloads, leading zeros in lengths) and truncation become INVALID_RLP. Like
 * @ethereumjs/rlp, empty input decodes to empty bytes. Decoded byte strings never alias the input (callers
 * may keep them, and LMDB may reuse its buffer): short ones are copies of their own, longer ones are views
 * of one private copy of the input, because a separate off-heap copy per long string cost ten times more.
 */
export function rlpDecode(bytes: Uint8Array): RlpItem {
  if (bytes.length === 0) return new Uint8Array(0)
  // A Buffer's slice() is a view, not a copy: read through a plain Uint8Array so results never alias.
  const input = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const cursor: DecodeCursor = { pos: 0, input, copy: undefined }
  let item: RlpItem
  try {
    item = decodeItem(cursor, input.length)
  } catch (cause) {
    if (cause instanceof SteleError) throw cause
    // Deeply nested input can exhaust the stack; it is malformed input all the same.
    throw new SteleError(ErrorCode.InvalidRlp, 'malformed RLP: nested too deeply', { cause })
  }
  if (cursor.pos !== bytes.length) throw malformed('trailing bytes after the item', cursor.pos)
  return item
}

interface DecodeCursor {
  pos: number
  input: Uint8Array
  /** The private copy long strings are views of, made at the first long string. */
  copy: Uint8Array | undefined
}

/** V8 keeps typed arrays up to 64 bytes on the heap: copying those is cheap, longer ones are not. */
const MAX_OWN_COPY = 64

function bytesAt(cursor: DecodeCursor, from: number, to: number): Uint8Array {
  if (to - from <= MAX_OWN_COPY) return cursor.input.slice(from, to)
  cursor.copy ??= cursor.input.slice()
  return cursor.copy.subarray(from, to)
}

function decodeItem(cursor: DecodeCursor, limit: number): RlpItem {
  const input = cursor.input
  const start = cursor.pos
  const first = input[start] as number
  if (first < SHORT_STRING) {
    cursor.pos = start + 1
    return input.slice(start, start + 1)
  }
  if (first <= LONG_STRING) {
    const n = first - SHORT_STRING
    const from = start + 1
    if (from + n > limit) throw malformed('string runs past its container', start)
    if (n === 1 && (input[from] as number) < SHORT_STRING) throw malformed('single byte below 0x80 must not be prefixed', start)
    cursor.pos = from + n
    return bytesAt(cursor, from, from + n)
  }
  if (first < SHORT_LIST) {
    const n = readLongLength(input, start, first - LONG_STRING, limit)
    const from = start + 1 + (first - LONG_STRING)
    if (from + n > limit) throw malformed('string runs past its container', start)
    cursor.pos = from + n
    return bytesAt(cursor, from, from + n)
  }
  let payload: number
  let from: number
  if (first <= LONG_LIST) {
    payload = first - SHORT_LIST
    from = start + 1
  } else {
    payload = readLongLength(input, start, first - LONG_LIST, limit)
    from = start + 1 + (first - LONG_LIST)
  }
  const end = from + payload
  if (end > limit) throw malformed('list runs past its container', start)
  const items: RlpItem[] = []
  cursor.pos = from
  while (cursor.pos < end) items.push(decodeItem(cursor, end))
  return items
}

/** A long-form length: no leading zero, and more than 55 (else the short form was required). */
function readLongLength(input: Uint8Array, start: number, lengthBytes: number, limit: number): number {
  if (start + 1 + lengthBytes > limit) throw malformed('length runs past its container', start)
  if (input[start + 1] === 0) throw malformed('length has leading zeros', start)
  let n = 0
  for (let i = 1; i <= lengthBytes; i++) n = n * 256 + (input[start + i] as number)
  if (n < 56) throw malformed('long form used for a short payload', start)
  return n
}

function malformed(reason: string, offset: number): SteleError {
  return new SteleError(ErrorCode.InvalidRlp, `malformed RLP: ${reason}`, { details: { offset } })
}

export function rlpList(item: RlpItem | undefined, what: string): RlpItem[] {
  if (!Array.isArray(item)) throw new SteleError(ErrorCode.InvalidRlp, `${what}: expected an RLP list`)
  return item
}

export function rlpBytes(item: RlpItem | undefined, what: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new SteleError(ErrorCode.InvalidRlp, `${what}: expected RLP bytes`)
  return item
}
