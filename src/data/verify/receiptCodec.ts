import { bigintToBytes, bytesToBigint, concatBytes } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList } from '../../primitives/rlp.js'
import type { ConsensusReceipt, Log } from '../../chain/types.js'

/**
 * The receipt as the receipts trie stores it under RLP(index): type ‖ RLP([status, cumulativeGasUsed,
 * logsBloom, logs]) for typed receipts, the bare RLP for legacy (type 0); a log is RLP([address, topics, data]).
 */
export function encodeReceipt(receipt: ConsensusReceipt): Uint8Array {
  const body = rlpEncode([
    receipt.status === 1 ? Uint8Array.of(1) : new Uint8Array(0),
    bigintToBytes(receipt.cumulativeGasUsed),
    receipt.logsBloom,
    receipt.logs.map((log) => [log.address, log.topics, log.data]),
  ])
  return receipt.type === 0 ? body : concatBytes(Uint8Array.of(receipt.type), body)
}

export function decodeReceipt(bytes: Uint8Array): ConsensusReceipt {
  if (bytes.length === 0) throw new SteleError(ErrorCode.InvalidRlp, 'empty receipt')
  const first = bytes[0] as number
  const type = first >= 0xc0 ? 0 : first
  if (type > 0x7f) throw new SteleError(ErrorCode.InvalidRlp, `bad receipt type ${type}`)
  const fields = rlpList(rlpDecode(type === 0 ? bytes : bytes.subarray(1)), 'receipt')
  if (fields.length !== 4) throw new SteleError(ErrorCode.InvalidRlp, `receipt must have 4 fields, has ${fields.length}`)
  const status = rlpBytes(fields[0], 'receipt status')
  if (status.length > 1 || (status.length === 1 && status[0] !== 1)) throw new SteleError(ErrorCode.InvalidRlp, 'receipt status must be empty or 0x01')
  const logs: Log[] = rlpList(fields[3], 'receipt logs').map((item) => {
    const [address, topics, data, ...rest] = rlpList(item, 'log')
    if (rest.length > 0) throw new SteleError(ErrorCode.InvalidRlp, 'log must have 3 fields')
    const log = {
      address: rlpBytes(address, 'log address'),
      topics: rlpList(topics, 'log topics').map((t) => rlpBytes(t, 'log topic')),
      data: rlpBytes(data, 'log data'),
    }
    if (log.address.length !== 20 || log.topics.some((t) => t.length !== 32)) throw new SteleError(ErrorCode.InvalidRlp, 'malformed log')
    return log
  })
  return {
    type,
    status: status.length === 1 ? 1 : 0,
    cumulativeGasUsed: bytesToBigint(rlpBytes(fields[1], 'receipt cumulativeGasUsed')),
    logsBloom: rlpBytes(fields[2], 'receipt logsBloom'),
    logs,
  }
}

/** The key of item `index` in the transactions and receipts tries. */
export function trieIndexKey(index: number): Uint8Array {
  return rlpEncode(bigintToBytes(BigInt(index)))
}
