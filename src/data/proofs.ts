import { createMPT, createMerkleProof } from '@ethereumjs/mpt'
import { encodeHeader, type BlockHeader } from '../chain/header.js'
import type { Block, ConsensusReceipt, LogEntry, LogFilter, TxLocation } from '../chain/types.js'
import { keccak256 } from '../crypto/keccak.js'
import { bytesToHex, equalBytes, type Hex } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { anchorTree, type AnchorLocation } from './anchorIndex.js'
import {
  PROOF_FORMAT,
  PROOF_VERSION,
  type AnchorProofBundle,
  type ReceiptEvidenceJson,
  type RegistrationProofBundle,
  type TransactionProofBundle,
} from './verify/proofBundle.js'
import { encodeReceipt, trieIndexKey } from './verify/receiptCodec.js'
import { DATA_REGISTRY_ADDRESS, TOPIC_REGISTERED, TOPIC_TRANSFERRED } from './verify/registryAbi.js'

/**
 * Builds proof bundles (docs/spec/proofs.md) from the node's chain. The node implements ProofChainReader
 * over its block store and indexes; the builders only read.
 */
export interface ProofChainReader {
  readonly chainId: bigint
  headNumber(): bigint
  blockByNumber(number: bigint): Block | undefined
  blockByHash(hash: Uint8Array): Block | undefined
  /** The block's receipts in transaction order (TxReceipt works: it extends ConsensusReceipt). */
  receipts(blockHash: Uint8Array): readonly ConsensusReceipt[] | undefined
  /**
   * Every header with number <= upTo whose extraData.validators differs from its parent's, ascending.
   * isValidatorSetChange() is the test; a node can keep these in an index as blocks commit.
   */
  validatorSetChanges(upTo: bigint): BlockHeader[]
  /** eth_getLogs semantics (RpcBackend.logs). */
  logs(filter: LogFilter): LogEntry[]
  /** Where a transaction is (RpcBackend.transaction(hash)?.location). */
  transactionLocation(txHash: Uint8Array): TxLocation | undefined
  /** lookupAnchor(store, hash). */
  anchorLocation(hash: Uint8Array): AnchorLocation | undefined
}

/** True when `header` changes the validator set its parent left (the evidence a proof carries). */
export function isValidatorSetChange(header: BlockHeader, parent: BlockHeader): boolean {
  const a = header.extraData.validators
  const b = parent.extraData.validators
  if (a.length !== b.length) return true
  const set = new Set(b.map(bytesToHex))
  return a.some((v) => !set.has(bytesToHex(v)))
}

/** A registration proof for contentHash: its Registered log and every Transferred log after it. */
export async function buildRegistrationProof(reader: ProofChainReader, contentHash: Uint8Array): Promise<RegistrationProofBundle> {
  const events = reader.logs({
    fromBlock: 0n,
    toBlock: reader.headNumber(),
    addresses: [DATA_REGISTRY_ADDRESS],
    topics: [[TOPIC_REGISTERED, TOPIC_TRANSFERRED], [contentHash]],
  })
  const registered = events.find((e) => equalBytes(e.topics[0] as Uint8Array, TOPIC_REGISTERED))
  if (!registered) throw new SteleError(ErrorCode.NotFound, `${bytesToHex(contentHash)} is not registered`)
  const transfers = events.filter((e) => equalBytes(e.topics[0] as Uint8Array, TOPIC_TRANSFERRED))
  const registration = await receiptEvidence(reader, registered)
  const transferEvidence: ReceiptEvidenceJson[] = []
  for (const t of transfers) transferEvidence.push(await receiptEvidence(reader, t))
  const maxHeight = [registered, ...transfers].reduce((m, e) => (e.blockNumber > m ? e.blockNumber : m), 0n)
  return {
    format: PROOF_FORMAT,
    version: PROOF_VERSION,
    kind: 'registration',
    chainId: quantity(reader.chainId),
    validatorSetChanges: validatorEvidence(reader, maxHeight),
    contentHash: bytesToHex(contentHash),
    registration,
    transfers: transferEvidence,
  }
}

/** An anchor proof: the Merkle path from the hash to the root its block's header commits. */
export function buildAnchorProof(reader: ProofChainReader, hash: Uint8Array): AnchorProofBundle {
  const location = reader.anchorLocation(hash)
  if (!location) throw new SteleError(ErrorCode.NotFound, `${bytesToHex(hash)} is not anchored (yet)`)
  const block = requireBlock(reader, location.blockHash)
  if (!equalBytes(block.anchors[location.index] ?? new Uint8Array(), hash)) {
    throw new SteleError(ErrorCode.Internal, 'the anchor index disagrees with the block', { details: { hash: bytesToHex(hash) } })
  }
  const proof = anchorTree(block.anchors).proof(location.index)
  return {
    format: PROOF_FORMAT,
    version: PROOF_VERSION,
    kind: 'anchor',
    chainId: quantity(reader.chainId),
    validatorSetChanges: validatorEvidence(reader, block.header.number),
    anchor: {
      header: bytesToHex(encodeHeader(block.header)),
      hash: bytesToHex(hash),
      leafIndex: proof.leafIndex,
      leafCount: proof.leafCount,
      siblings: proof.siblings.map(bytesToHex),
    },
  }
}

/** A transfer proof: the transaction and its receipt, each with its trie path to the header. */
export async function buildTxProof(reader: ProofChainReader, txHash: Uint8Array): Promise<TransactionProofBundle> {
  const location = reader.transactionLocation(txHash)
  if (!location) throw new SteleError(ErrorCode.NotFound, `transaction ${bytesToHex(txHash)} is not in a block`)
  const block = requireBlock(reader, location.blockHash)
  const raw = block.transactions[location.index]
  if (!raw) throw new SteleError(ErrorCode.Internal, 'the transaction index disagrees with the block')
  const txs = await trieProof(block.transactions, location.index, block.header.transactionsRoot, 'transactions')
  const receipts = requireReceipts(reader, block)
  const rc = await trieProof(receipts.map(encodeReceipt), location.index, block.header.receiptsRoot, 'receipts')
  return {
    format: PROOF_FORMAT,
    version: PROOF_VERSION,
    kind: 'transaction',
    chainId: quantity(reader.chainId),
    validatorSetChanges: validatorEvidence(reader, block.header.number),
    transaction: {
      header: bytesToHex(encodeHeader(block.header)),
      transactionIndex: location.index,
      transaction: bytesToHex(raw),
      transactionProof: txs.map(bytesToHex),
      receipt: bytesToHex(encodeReceipt(receipts[location.index] as ConsensusReceipt)),
      receiptProof: rc.map(bytesToHex),
    },
  }
}

async function receiptEvidence(reader: ProofChainReader, entry: LogEntry): Promise<ReceiptEvidenceJson> {
  const block = requireBlock(reader, entry.blockHash)
  const receipts = requireReceipts(reader, block)
  // LogEntry.logIndex counts logs across the block; the bundle names the log within its receipt.
  let before = 0
  for (let i = 0; i < entry.transactionIndex; i++) before += (receipts[i] as ConsensusReceipt).logs.length
  const receipt = receipts[entry.transactionIndex]
  const logIndex = entry.logIndex - before
  const log = receipt?.logs[logIndex]
  if (!receipt || !log || !equalBytes(log.data, entry.data)) {
    throw new SteleError(ErrorCode.Internal, 'the log index disagrees with the block receipts', { details: { block: entry.blockNumber.toString() } })
  }
  const proof = await trieProof(receipts.map(encodeReceipt), entry.transactionIndex, block.header.receiptsRoot, 'receipts')
  return {
    header: bytesToHex(encodeHeader(block.header)),
    transactionIndex: entry.transactionIndex,
    receipt: bytesToHex(encodeReceipt(receipt)),
    receiptProof: proof.map(bytesToHex),
    logIndex,
  }
}

/** Builds the block's ordered trie (key RLP(index)) and returns the proof for one index. */
async function trieProof(values: readonly Uint8Array[], index: number, expectedRoot: Uint8Array, what: string): Promise<Uint8Array[]> {
  const trie = await createMPT({ useKeyHashingFunction: keccak256 })
  for (const [i, value] of values.entries()) await trie.put(trieIndexKey(i), value)
  if (!equalBytes(trie.root(), expectedRoot)) {
    throw new SteleError(ErrorCode.Internal, `the ${what} root in the header does not match the ${what} the node stores (encoding differs from docs/spec/proofs.md?)`)
  }
  return createMerkleProof(trie, trieIndexKey(index))
}

function validatorEvidence(reader: ProofChainReader, upTo: bigint): Hex[] {
  return reader.validatorSetChanges(upTo).map((h) => bytesToHex(encodeHeader(h)))
}

function requireBlock(reader: ProofChainReader, hash: Uint8Array): Block {
  const block = reader.blockByHash(hash)
  if (!block) throw new SteleError(ErrorCode.NotFound, `block ${bytesToHex(hash)} not found`)
  return block
}

function requireReceipts(reader: ProofChainReader, block: Block): readonly ConsensusReceipt[] {
  const receipts = reader.receipts(block.hash)
  if (!receipts || receipts.length !== block.transactions.length) {
    throw new SteleError(ErrorCode.NotFound, `receipts of block ${block.header.number} are not available`)
  }
  return receipts
}

function quantity(value: bigint): Hex {
  return `0x${value.toString(16)}`
}
