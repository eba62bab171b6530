import { isAccessList2930Tx, isBlob4844Tx, isEOACode7702Tx, isLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { encodeHeader, type BlockHeader } from '../chain/header.js'
import { encodeQbftExtraData } from '../chain/qbftExtraData.js'
import type { Block, Log, LogEntry, SignedTx, TxLocation, TxReceipt } from '../chain/types.js'
import type { AccountProof } from './backend.js'
import { toHex, toQuantity, toWord } from './hex.js'
import type { HexString, RpcAccessListEntry, RpcAuthorization, RpcBlock, RpcHeader, RpcLog, RpcProof, RpcReceipt, RpcTransaction } from './rpcTypes.js'
import { hexOfBytes } from '../primitives/byteKeys.js'

/**
 * JSON shapes exactly as geth returns them (field names, minimal-hex quantities, null for pending
 * context), so viem, ethers, Hardhat and cast parse our answers unchanged.
 */

/** Header fields shared by blocks and newHeads notifications, in geth's order. */
export function formatHeader(header: BlockHeader, hash: Uint8Array): RpcHeader {
  return {
    baseFeePerGas: toQuantity(header.baseFeePerGas),
    blobGasUsed: toQuantity(header.blobGasUsed),
    difficulty: toQuantity(header.difficulty),
    excessBlobGas: toQuantity(header.excessBlobGas),
    extraData: toHex(encodeQbftExtraData(header.extraData)),
    gasLimit: toQuantity(header.gasLimit),
    gasUsed: toQuantity(header.gasUsed),
    hash: toHex(hash),
    logsBloom: toHex(header.logsBloom),
    miner: toHex(header.coinbase),
    mixHash: toHex(header.mixHash),
    nonce: toHex(header.nonce.length === 8 ? header.nonce : padTo8(header.nonce)),
    number: toQuantity(header.number),
    parentBeaconBlockRoot: toHex(header.parentBeaconBlockRoot),
    parentHash: toHex(header.parentHash),
    receiptsRoot: toHex(header.receiptsRoot),
    sha3Uncles: toHex(header.ommersHash),
    stateRoot: toHex(header.stateRoot),
    timestamp: toQuantity(header.timestamp),
    transactionsRoot: toHex(header.transactionsRoot),
    withdrawalsRoot: toHex(header.withdrawalsRoot),
  }
}

/**
 * A block as eth_getBlockByNumber returns it, with its transactions already formatted: hashes, or full
 * transactions (blockTransactions.ts makes either from what the store holds).
 */
export function formatBlock(block: Block, transactions: HexString[] | RpcTransaction[]): RpcBlock {
  return { ...formatHeader(block.header, block.hash), size: toQuantity(blockSize(block)), transactions, uncles: [], withdrawals: [] }
}

/** The RLP size of [header, transactions, ommers, withdrawals], computed without re-encoding the body. */
export function blockSize(block: Block): number {
  let txPayload = 0
  for (const raw of block.transactions) {
    // Legacy transactions are RLP lists embedded as-is; typed envelopes are embedded as byte strings.
    txPayload += (raw[0] ?? 0) >= 0xc0 ? raw.length : rlpStringLength(raw)
  }
  const payload = encodeHeader(block.header).length + rlpPrefixLength(txPayload) + txPayload + 1 + 1
  return rlpPrefixLength(payload) + payload
}

function rlpPrefixLength(payloadLength: number): number {
  if (payloadLength < 56) return 1
  let bytes = 0
  for (let n = payloadLength; n > 0; n = Math.floor(n / 256)) bytes++
  return 1 + bytes
}

function rlpStringLength(bytes: Uint8Array): number {
  if (bytes.length === 1 && (bytes[0] as number) < 0x80) return 1
  return rlpPrefixLength(bytes.length) + bytes.length
}

function padTo8(nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(8)
  out.set(nonce.subarray(Math.max(0, nonce.length - 8)), Math.max(0, 8 - nonce.length))
  return out
}

/** What a 1559-style transaction actually pays per gas in a block with this base fee. */
export function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint): bigint {
  if (isLegacyTx(tx) || isAccessList2930Tx(tx)) return tx.gasPrice
  const fee = tx as { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  const tip = fee.maxFeePerGas - baseFee
  return baseFee + (fee.maxPriorityFeePerGas < tip ? fee.maxPriorityFeePerGas : tip)
}

/**
 * A transaction as eth_getTransactionByHash returns it. `location` undefined means pending
 * (blockHash, blockNumber, transactionIndex are null; a 1559 gasPrice is then maxFeePerGas, like geth).
 */
export function formatTransaction(signed: SignedTx, location: TxLocation | undefined, baseFee: bigint | undefined): RpcTransaction {
  const tx = signed.tx
  const out: RpcTransaction = {
    blockHash: location ? toHex(location.blockHash) : null,
    blockNumber: location ? toQuantity(location.blockNumber) : null,
    from: toHex(signed.from),
    gas: toQuantity(tx.gasLimit),
    gasPrice: '0x0',
    hash: toHex(signed.hash),
    input: toHex(tx.data),
    nonce: toQuantity(tx.nonce),
    to: tx.to === undefined ? null : toHex(tx.to.bytes),
    transactionIndex: location ? toQuantity(location.index) : null,
    value: toQuantity(tx.value),
    type: toQuantity(tx.type),
    v: toQuantity(tx.v ?? 0n),
    r: toQuantity(tx.r ?? 0n),
    s: toQuantity(tx.s ?? 0n),
  }
  if (isLegacyTx(tx)) {
    out.gasPrice = toQuantity(tx.gasPrice)
    // EIP-155 protected: v = chainId * 2 + 35 + parity.
    if (tx.v !== undefined && tx.v >= 35n) out.chainId = toQuantity((tx.v - 35n) / 2n)
  } else {
    if (isAccessList2930Tx(tx)) {
      out.gasPrice = toQuantity(tx.gasPrice)
    } else {
      const fee = tx as { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
      out.gasPrice = toQuantity(location && baseFee !== undefined ? effectiveGasPrice(tx, baseFee) : fee.maxFeePerGas)
      out.maxFeePerGas = toQuantity(fee.maxFeePerGas)
      out.maxPriorityFeePerGas = toQuantity(fee.maxPriorityFeePerGas)
    }
    if (isBlob4844Tx(tx)) {
      out.maxFeePerBlobGas = toQuantity(tx.maxFeePerBlobGas)
      out.blobVersionedHashes = tx.blobVersionedHashes.map((h) => (typeof h === 'string' ? h : toHex(h)))
    }
    out.accessList = formatAccessList(tx.accessList)
    out.chainId = toQuantity(tx.chainId)
    if (isEOACode7702Tx(tx)) out.authorizationList = formatAuthorizationList(tx.authorizationList)
    out.yParity = toQuantity(tx.v ?? 0n)
  }
  return out
}

function formatAccessList(list: readonly (readonly [Uint8Array, readonly Uint8Array[]])[]): RpcAccessListEntry[] {
  return list.map(([address, keys]) => ({ address: toHex(address), storageKeys: keys.map(toHex) }))
}

function formatAuthorizationList(list: readonly (readonly Uint8Array[])[]): RpcAuthorization[] {
  return list.map((item) => {
    const [chainId, address, nonce, yParity, r, s] = item as unknown as Uint8Array[]
    return {
      chainId: quantityOfBytes(chainId),
      address: toHex(address ?? new Uint8Array(20)),
      nonce: quantityOfBytes(nonce),
      yParity: quantityOfBytes(yParity),
      r: quantityOfBytes(r),
      s: quantityOfBytes(s),
    }
  })
}

function quantityOfBytes(bytes: Uint8Array | undefined): HexString {
  if (bytes === undefined || bytes.length === 0) return '0x0'
  const hex = hexOfBytes(bytes).replace(/^0+/, '')
  return hex === '' ? '0x0' : `0x${hex}`
}

/** A receipt; `firstLogIndex` is the block-wide index of its first log. */
export function formatReceipt(receipt: TxReceipt, firstLogIndex: number): RpcReceipt {
  const blockHash = toHex(receipt.blockHash)
  const blockNumber = toQuantity(receipt.blockNumber)
  const transactionHash = toHex(receipt.transactionHash)
  const transactionIndex = toQuantity(receipt.transactionIndex)
  return {
    blockHash,
    blockNumber,
    contractAddress: receipt.contractAddress === undefined ? null : toHex(receipt.contractAddress),
    cumulativeGasUsed: toQuantity(receipt.cumulativeGasUsed),
    effectiveGasPrice: toQuantity(receipt.effectiveGasPrice),
    from: toHex(receipt.from),
    gasUsed: toQuantity(receipt.gasUsed),
    logs: receipt.logs.map((log, i) =>
      formatLogFields(log, blockHash, blockNumber, transactionHash, transactionIndex, firstLogIndex + i),
    ),
    logsBloom: toHex(receipt.logsBloom),
    status: toQuantity(receipt.status),
    to: receipt.to === undefined ? null : toHex(receipt.to),
    transactionHash,
    transactionIndex,
    type: toQuantity(receipt.type),
  }
}

/** Receipts of one block in order, with block-wide log indices. */
export function formatBlockReceipts(receipts: TxReceipt[]): RpcReceipt[] {
  let logIndex = 0
  return receipts.map((receipt) => {
    const formatted = formatReceipt(receipt, logIndex)
    logIndex += receipt.logs.length
    return formatted
  })
}

export function formatLog(log: LogEntry): RpcLog {
  return formatLogFields(
    log,
    toHex(log.blockHash),
    toQuantity(log.blockNumber),
    toHex(log.transactionHash),
    toQuantity(log.transactionIndex),
    log.logIndex,
  )
}

function formatLogFields(
  log: Log,
  blockHash: HexString,
  blockNumber: HexString,
  transactionHash: HexString,
  transactionIndex: HexString,
  logIndex: number,
): RpcLog {
  return {
    address: toHex(log.address),
    topics: log.topics.map(toHex),
    data: toHex(log.data),
    blockNumber,
    transactionHash,
    transactionIndex,
    blockHash,
    logIndex: toQuantity(logIndex),
    removed: false,
  }
}

export function formatProof(proof: AccountProof): RpcProof {
  return {
    address: toHex(proof.address),
    accountProof: proof.accountProof.map(toHex),
    balance: toQuantity(proof.balance),
    codeHash: toHex(proof.codeHash),
    nonce: toQuantity(proof.nonce),
    storageHash: toHex(proof.storageHash),
    storageProof: proof.storageProof.map((entry) => ({
      key: toWord(entry.key),
      value: toQuantity(entry.value),
      proof: entry.proof.map(toHex),
    })),
  }
}
