import { bigintToBytes, bytesToBigint, hexToBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList } from '../primitives/rlp.js'
import { decodeQbftExtraData, encodeQbftExtraData, type ExtraDataEncoding, type QbftExtraData } from './qbftExtraData.js'

/** Browser-safe: no native imports here (the offline verifier shares it). Hashing lives in seal.ts. */

/** An Ethereum (Cancun) block header. extraData is kept decoded, since QBFT hashes parts of it. */
export interface BlockHeader {
  parentHash: Uint8Array
  ommersHash: Uint8Array
  coinbase: Uint8Array
  stateRoot: Uint8Array
  transactionsRoot: Uint8Array
  receiptsRoot: Uint8Array
  logsBloom: Uint8Array
  difficulty: bigint
  number: bigint
  gasLimit: bigint
  gasUsed: bigint
  timestamp: bigint
  extraData: QbftExtraData
  mixHash: Uint8Array
  nonce: Uint8Array
  baseFeePerGas: bigint
  withdrawalsRoot: Uint8Array
  blobGasUsed: bigint
  excessBlobGas: bigint
  parentBeaconBlockRoot: Uint8Array
}

/** keccak256(RLP([])): QBFT blocks have no ommers. */
export const EMPTY_OMMERS_HASH = hexToBytes('0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347')
/** keccak256(RLP("")): the root of an empty trie. */
export const EMPTY_TRIE_ROOT = hexToBytes('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')
/** Besu's QBFT mixHash: "Istanbul Byzantine Fault Tolerance" digest. */
export const QBFT_MIX_HASH = hexToBytes('0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365')

export function encodeHeader(header: BlockHeader, encoding: ExtraDataEncoding = 'full'): Uint8Array {
  return rlpEncode([
    header.parentHash,
    header.ommersHash,
    header.coinbase,
    header.stateRoot,
    header.transactionsRoot,
    header.receiptsRoot,
    header.logsBloom,
    bigintToBytes(header.difficulty),
    bigintToBytes(header.number),
    bigintToBytes(header.gasLimit),
    bigintToBytes(header.gasUsed),
    bigintToBytes(header.timestamp),
    encodeQbftExtraData(header.extraData, encoding),
    header.mixHash,
    header.nonce,
    bigintToBytes(header.baseFeePerGas),
    header.withdrawalsRoot,
    bigintToBytes(header.blobGasUsed),
    bigintToBytes(header.excessBlobGas),
    header.parentBeaconBlockRoot,
  ])
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const f = rlpList(rlpDecode(bytes), 'header')
  if (f.length !== 20) throw new SteleError(ErrorCode.InvalidBlock, `header must have 20 fields, has ${f.length}`)
  const b = (i: number) => rlpBytes(f[i], `header field ${i}`)
  const n = (i: number) => bytesToBigint(b(i))
  return {
    parentHash: b(0),
    ommersHash: b(1),
    coinbase: b(2),
    stateRoot: b(3),
    transactionsRoot: b(4),
    receiptsRoot: b(5),
    logsBloom: b(6),
    difficulty: n(7),
    number: n(8),
    gasLimit: n(9),
    gasUsed: n(10),
    timestamp: n(11),
    extraData: decodeQbftExtraData(b(12)),
    mixHash: b(13),
    nonce: b(14),
    baseFeePerGas: n(15),
    withdrawalsRoot: b(16),
    blobGasUsed: n(17),
    excessBlobGas: n(18),
    parentBeaconBlockRoot: b(19),
  }
}

