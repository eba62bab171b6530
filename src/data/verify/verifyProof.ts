import { decodeHeader } from '../../chain/header.js'
import { merkleRootFromProof } from '../../crypto/merkle.js'
import { bytesToBigint, bytesToHex, equalBytes, isHex, type Hex } from '../../primitives/bytes.js'
import { decodeHex as hexToBytes } from './hex.js'
import { SteleError } from '../../primitives/errors.js'
import { decodeReceipt, trieIndexKey } from './receiptCodec.js'
import { parseProofBundle, type ProofBundle, type ReceiptEvidenceJson } from './proofBundle.js'
import {
  DATA_REGISTRY_ADDRESS,
  decodeRegisteredData,
  TOPIC_ERC20_TRANSFER,
  TOPIC_REGISTERED,
  TOPIC_TRANSFERRED,
} from './registryAbi.js'
import { readTrieProof } from './trieProof.js'
import { decodeTransaction } from './txCodec.js'
import { encodeHeaderVariants } from './headerEncodings.js'
import { verifyValidatorChain } from './validatorChain.js'
import { nobleVerifierCrypto, type VerifierCrypto } from './verifierCrypto.js'
import { at, checkDistinct, fail, StepFailure, type Context, type VerifiedHeader, type VerifyStep } from './verifyStep.js'

export type { VerifyStep } from './verifyStep.js'
export { quorumSize } from './validatorChain.js'

/**
 * The offline verifier (docs/spec/proofs.md). Browser-safe: it imports only noble, RLP, the header and
 * extraData codecs, the Merkle tree and its own folder. It trusts nothing but the genesis it is given.
 */

/** What the verifier needs of genesis.json; other fields are ignored. */
export interface VerifierGenesis {
  chainId: number | string | bigint
  validators: readonly (string | Uint8Array)[]
}

export interface TokenTransferClaim {
  token: Hex
  from: Hex
  to: Hex
  value: bigint
}

export interface ProofClaims {
  kind: ProofBundle['kind']
  chainId: bigint
  blockNumber: bigint
  blockHash: Hex
  timestamp: bigint
  contentHash?: Hex
  owner?: Hex
  /** The block of the last transfer the proof includes (or the registration): owner is proven as of then. */
  ownerAsOfBlock?: bigint
  registrant?: Hex
  licence?: string
  metadata?: string
  anchorIndex?: number
  transaction?: {
    hash: Hex
    from: Hex
    to: Hex | undefined
    value: bigint
    nonce: bigint
    status: 0 | 1
    tokenTransfers: TokenTransferClaim[]
  }
}

export type VerifyResult =
  | { valid: true; claims: ProofClaims }
  | { valid: false; failedStep: VerifyStep; reason: string }

export interface VerifyOptions {
  /** The file the proof is about; its keccak256 must be the proven content hash. */
  file?: Uint8Array
  crypto?: VerifierCrypto
}

/** Verifies one bundle against the chain's genesis (genesis.json's chainId and validators). */
export function verifyProofBundle(bundleInput: string | unknown, genesisInput: VerifierGenesis | unknown, options: VerifyOptions = {}): VerifyResult {
  const context = createContext(options.crypto ?? nobleVerifierCrypto, false, 0)
  return run(() => verifyOrThrow(bundleInput, genesisInput, options.file, context))
}

export interface ProofVerifier {
  verify(bundle: string | unknown, options?: { file?: Uint8Array }): VerifyResult
}

/**
 * A verifier for many bundles of one chain. It remembers, per exact header bytes, the decoded header, its
 * hash and the address each seal recovers to, so bundles sharing blocks or validator-set evidence skip that
 * work; every check that relates the parts (inclusion, roots, membership, quorum, set chain) runs for every
 * bundle. The memo holds pure functions of the header bytes, so it cannot make a bad bundle pass.
 */
export function createProofVerifier(genesis: VerifierGenesis | unknown, options: { crypto?: VerifierCrypto; maxCachedHeaders?: number } = {}): ProofVerifier {
  const context = createContext(options.crypto ?? nobleVerifierCrypto, true, options.maxCachedHeaders ?? 10_000)
  return { verify: (bundle, o = {}) => run(() => verifyOrThrow(bundle, genesis, o.file, context)) }
}

function createContext(crypto: VerifierCrypto, memo: boolean, maxEntries: number): Context {
  const recoverAll = (block: VerifiedHeader) => {
    return block.header.extraData.seals.map((seal) => {
      try {
        return bytesToHex(crypto.recoverAddress(block.sealHash, seal))
      } catch {
        return undefined
      }
    })
  }
  if (!memo) return { crypto, header: (hex, step, what) => decodeCanonicalHeader(hex, step, what, crypto), signers: recoverAll }
  const headers = new Map<string, VerifiedHeader>()
  const signers = new WeakMap<VerifiedHeader, (string | undefined)[]>()
  return {
    crypto,
    header(hex, step, what) {
      let block = headers.get(hex)
      if (block === undefined) {
        block = decodeCanonicalHeader(hex, step, what, crypto) // throws on bad bytes: failures are never cached
        if (headers.size >= maxEntries) headers.clear()
        headers.set(hex, block)
      }
      return block
    },
    signers(block) {
      let list = signers.get(block)
      if (list === undefined) signers.set(block, (list = recoverAll(block)))
      return list
    },
  }
}

function run(verify: () => ProofClaims): VerifyResult {
  try {
    return { valid: true, claims: verify() }
  } catch (error) {
    if (error instanceof StepFailure) return { valid: false, failedStep: error.step, reason: error.message }
    if (error instanceof SteleError) return { valid: false, failedStep: 'format', reason: error.message }
    throw error
  }
}

interface Genesis {
  chainId: bigint
  validators: Uint8Array[]
}

function verifyOrThrow(bundleInput: unknown, genesisInput: unknown, file: Uint8Array | undefined, context: Context): ProofClaims {
  const { crypto } = context
  const bundle = at('format', 'proof', () => parseProofBundle(bundleInput))
  const genesis = parseVerifierGenesis(genesisInput)
  const chainId = BigInt(bundle.chainId) // the parser admits only canonical hex quantities
  if (chainId !== genesis.chainId) {
    fail('genesis', `the proof is for chain ${bundle.chainId}, the genesis is chain ${genesis.chainId}`)
  }
  const changes = bundle.validatorSetChanges.map((h, i) => context.header(h, 'validatorSet', `validatorSetChanges[${i}]`))

  let claims: ProofClaims
  let targets: VerifiedHeader[]
  if (bundle.kind === 'anchor') {
    const a = bundle.anchor
    const block = context.header(a.header, 'header', 'anchor.header')
    const hash = hexToBytes(a.hash)
    if (hash.length !== 32) fail('merklePath', 'the anchored hash must be 32 bytes')
    const siblings = a.siblings.map(hexToBytes)
    const root = merkleRootFromProof(hash, { leafIndex: a.leafIndex, leafCount: a.leafCount, siblings }, crypto.keccak256)
    if (root === undefined) fail('merklePath', 'the Merkle path does not fit its leaf index and count')
    if (!equalBytes(root, block.header.extraData.vanity)) fail('anchorRoot', 'the Merkle path does not lead to the root in the block header')
    checkFile(file, hash, crypto)
    claims = { ...blockClaims('anchor', chainId, block), contentHash: bytesToHex(hash), anchorIndex: a.leafIndex }
    targets = [block]
  } else if (bundle.kind === 'registration') {
    const reg = receiptLog(bundle.registration, 'registration', context)
    const log = reg.log
    if (!equalBytes(log.address, DATA_REGISTRY_ADDRESS) || log.topics.length !== 3 || !equalBytes(log.topics[0] as Uint8Array, TOPIC_REGISTERED)) {
      fail('registryLog', 'the log is not a Registered event of the data registry')
    }
    const contentHash = log.topics[1] as Uint8Array
    if (bytesToHex(contentHash) !== bundle.contentHash) fail('registryLog', 'the log registers a different content hash than the proof names')
    const registrant = topicAddress(log.topics[2] as Uint8Array, 'registryLog')
    const { licence, metadata } = at('registryLog', 'Registered data', () => decodeRegisteredData(log.data))
    let owner = registrant
    let ownerAsOfBlock = reg.block.header.number
    let previous = position(reg)
    targets = [reg.block]
    for (const [i, evidence] of bundle.transfers.entries()) {
      const t = receiptLog(evidence, `transfers[${i}]`, context)
      const tl = t.log
      if (!equalBytes(tl.address, DATA_REGISTRY_ADDRESS) || tl.topics.length !== 4 || !equalBytes(tl.topics[0] as Uint8Array, TOPIC_TRANSFERRED)) {
        fail('transfers', `transfers[${i}] is not a Transferred event of the data registry`)
      }
      if (!equalBytes(tl.topics[1] as Uint8Array, contentHash)) fail('transfers', `transfers[${i}] moves another content hash`)
      const from = topicAddress(tl.topics[2] as Uint8Array, 'transfers')
      if (!equalBytes(from, owner)) fail('transfers', `transfers[${i}] is from ${bytesToHex(from)}, who was not the owner`)
      const here = position(t)
      if (comparePositions(here, previous) <= 0) fail('transfers', `transfers[${i}] is not after the previous event`)
      previous = here
      owner = topicAddress(tl.topics[3] as Uint8Array, 'transfers')
      ownerAsOfBlock = t.block.header.number
      targets.push(t.block)
    }
    checkFile(file, contentHash, crypto)
    claims = {
      ...blockClaims('registration', chainId, reg.block),
      contentHash: bytesToHex(contentHash),
      owner: bytesToHex(owner),
      ownerAsOfBlock,
      registrant: bytesToHex(registrant),
      licence,
      metadata,
    }
  } else {
    const t = bundle.transaction
    const block = context.header(t.header, 'header', 'transaction.header')
    const raw = hexToBytes(t.transaction)
    const key = trieIndexKey(t.transactionIndex)
    const included = at('transactionInclusion', 'transaction proof', () => readTrieProof(block.header.transactionsRoot, key, t.transactionProof.map(hexToBytes), crypto.keccak256))
    if (included === undefined || !equalBytes(included, raw)) fail('transactionInclusion', 'the transaction is not in the block at that index')
    const tx = at('transaction', 'transaction', () => decodeTransaction(raw, crypto.keccak256))
    if (tx.chainId !== undefined && tx.chainId !== chainId) fail('transaction', `the transaction is signed for chain ${tx.chainId}`)
    const from = at('transaction', 'sender', () => crypto.recoverAddress(tx.signingHash, tx.signature))
    const receiptBytes = hexToBytes(t.receipt)
    const receiptIncluded = at('receiptInclusion', 'receipt proof', () => readTrieProof(block.header.receiptsRoot, key, t.receiptProof.map(hexToBytes), crypto.keccak256))
    if (receiptIncluded === undefined || !equalBytes(receiptIncluded, receiptBytes)) fail('receiptInclusion', 'the receipt is not in the block at that index')
    const receipt = at('receiptInclusion', 'receipt', () => decodeReceipt(receiptBytes))
    const tokenTransfers: TokenTransferClaim[] = []
    for (const log of receipt.logs) {
      // ERC-20 Transfer: three topics and the amount as data (ERC-721 indexes the token id as a fourth topic).
      // Logs that only look like one (topics that are not padded addresses) are not shown, and do not fail the proof.
      const [topic0, from, to] = log.topics as [Uint8Array, Uint8Array, Uint8Array]
      if (log.topics.length === 3 && equalBytes(topic0, TOPIC_ERC20_TRANSFER) && log.data.length === 32 && isAddressTopic(from) && isAddressTopic(to)) {
        tokenTransfers.push({ token: bytesToHex(log.address), from: bytesToHex(from.slice(12)), to: bytesToHex(to.slice(12)), value: bytesToBigint(log.data) })
      }
    }
    claims = {
      ...blockClaims('transaction', chainId, block),
      transaction: {
        hash: bytesToHex(crypto.keccak256(raw)),
        from: bytesToHex(from),
        to: tx.to === undefined ? undefined : bytesToHex(tx.to),
        value: tx.value,
        nonce: tx.nonce,
        status: receipt.status,
        tokenTransfers,
      },
    }
    targets = [block]
  }
  verifyValidatorChain(genesis.validators, changes, targets, context)
  return claims
}

function parseVerifierGenesis(input: unknown): Genesis {
  if (typeof input !== 'object' || input === null) fail('genesis', 'the genesis must be an object with chainId and validators')
  const g = input as Record<string, unknown>
  const chainId = at('genesis', 'genesis chainId', () => {
    const c = g.chainId
    if (typeof c === 'bigint') return c
    if (typeof c === 'number' && Number.isSafeInteger(c) && c >= 0) return BigInt(c)
    if (typeof c === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(c)) return BigInt(c)
    throw new Error('must be a non-negative integer')
  })
  if (!Array.isArray(g.validators) || g.validators.length === 0) fail('genesis', 'genesis.validators must list at least one address')
  const validators = g.validators.map((v: unknown, i: number) => {
    const bytes = v instanceof Uint8Array ? v : isHex(v) ? at('genesis', `validators[${i}]`, () => hexToBytes(v)) : undefined
    if (bytes === undefined || bytes.length !== 20) fail('genesis', `genesis.validators[${i}] is not a 20-byte address`)
    return bytes
  })
  checkDistinct(validators, 'genesis', 'genesis.validators')
  return { chainId, validators }
}

function decodeCanonicalHeader(hex: Hex, step: VerifyStep, what: string, crypto: VerifierCrypto): VerifiedHeader {
  const bytes = hexToBytes(hex)
  const header = at(step, what, () => decodeHeader(bytes))
  const encodings = encodeHeaderVariants(header)
  // Re-encoding must give the same bytes: otherwise two encodings would share one seal.
  if (!equalBytes(encodings.full, bytes)) fail(step, `${what} is not canonically encoded`)
  if (header.number < 1n) fail(step, `${what} is the genesis block, which proves nothing`)
  checkDistinct(header.extraData.validators, step, `${what} validators`)
  return { header, hash: crypto.keccak256(encodings.withoutSealsAndRound), sealHash: crypto.keccak256(encodings.withoutSeals) }
}

interface ReceiptLog {
  block: VerifiedHeader
  transactionIndex: number
  logIndex: number
  log: { address: Uint8Array; topics: Uint8Array[]; data: Uint8Array }
}

function receiptLog(e: ReceiptEvidenceJson, what: string, context: Context): ReceiptLog {
  const { crypto } = context
  const block = context.header(e.header, 'header', `${what}.header`)
  const receiptBytes = hexToBytes(e.receipt)
  const included = at('receiptInclusion', `${what} receipt proof`, () =>
    readTrieProof(block.header.receiptsRoot, trieIndexKey(e.transactionIndex), e.receiptProof.map(hexToBytes), crypto.keccak256),
  )
  if (included === undefined || !equalBytes(included, receiptBytes)) fail('receiptInclusion', `${what}: the receipt is not in the block at that index`)
  const receipt = at('receiptInclusion', `${what} receipt`, () => decodeReceipt(receiptBytes))
  if (receipt.status !== 1) fail('registryLog', `${what}: the transaction failed`)
  const log = receipt.logs[e.logIndex]
  if (log === undefined) fail('registryLog', `${what}: the receipt has no log ${e.logIndex}`)
  return { block, transactionIndex: e.transactionIndex, logIndex: e.logIndex, log }
}

type Position = [bigint, number, number]
const position = (r: ReceiptLog): Position => [r.block.header.number, r.transactionIndex, r.logIndex]
function comparePositions(a: Position, b: Position): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1
  return a[1] !== b[1] ? a[1] - b[1] : a[2] - b[2]
}

function isAddressTopic(topic: Uint8Array): boolean {
  return topic.subarray(0, 12).every((b) => b === 0)
}

function topicAddress(topic: Uint8Array, step: VerifyStep): Uint8Array {
  if (topic.subarray(0, 12).some((b) => b !== 0)) fail(step, 'an address topic has nonzero padding')
  return topic.slice(12)
}

function checkFile(file: Uint8Array | undefined, contentHash: Uint8Array, crypto: VerifierCrypto): void {
  if (file === undefined) return
  const actual = crypto.keccak256(file)
  if (!equalBytes(actual, contentHash)) fail('contentHash', `the file hashes to ${bytesToHex(actual)}, the proof is about ${bytesToHex(contentHash)}`)
}

function blockClaims(kind: ProofClaims['kind'], chainId: bigint, block: VerifiedHeader): ProofClaims {
  return { kind, chainId, blockNumber: block.header.number, blockHash: bytesToHex(block.hash), timestamp: block.header.timestamp }
}
