import { hexToBytes, isHex, type Hex } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'

/**
 * Proof bundles as JSON files (docs/spec/proofs.md). Every field is checked by the verifier; unknown fields
 * are refused so nothing in a bundle can look meaningful without being verified.
 */
export const PROOF_FORMAT = 'stele-proof'
export const PROOF_VERSION = 1

/** A receipt in a sealed block: the header, the receipt bytes and their path in the receipts trie. */
export interface ReceiptEvidenceJson {
  /** Full header RLP, with the committed seals in extraData. */
  header: Hex
  transactionIndex: number
  /** The receipt as the trie stores it (type ‖ RLP(...)). */
  receipt: Hex
  receiptProof: Hex[]
  /** Which log of the receipt is the claim. */
  logIndex: number
}

interface BundleBase {
  format: typeof PROOF_FORMAT
  version: typeof PROOF_VERSION
  chainId: Hex
  /** Headers whose validator set differs from their parent's, ascending, from genesis up to the proven height. */
  validatorSetChanges: Hex[]
}

export interface RegistrationProofBundle extends BundleBase {
  kind: 'registration'
  contentHash: Hex
  /** The Registered log. */
  registration: ReceiptEvidenceJson
  /** Transferred logs of the same hash, in chain order; the last one names the current owner as of its block. */
  transfers: ReceiptEvidenceJson[]
}

export interface AnchorProofBundle extends BundleBase {
  kind: 'anchor'
  anchor: {
    header: Hex
    hash: Hex
    leafIndex: number
    leafCount: number
    siblings: Hex[]
  }
}

export interface TransactionProofBundle extends BundleBase {
  kind: 'transaction'
  transaction: {
    header: Hex
    transactionIndex: number
    /** The EIP-2718 serialized transaction. */
    transaction: Hex
    transactionProof: Hex[]
    receipt: Hex
    receiptProof: Hex[]
  }
}

export type ProofBundle = RegistrationProofBundle | AnchorProofBundle | TransactionProofBundle

/** Parses and shape-checks a bundle (JSON text or an already parsed object). Throws PROOF with a clear message. */
export function parseProofBundle(input: string | unknown): ProofBundle {
  let json: unknown = input
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input)
    } catch (cause) {
      throw new SteleError(ErrorCode.Proof, 'the proof file is not JSON', { cause })
    }
  }
  const b = object(json, 'proof')
  if (b.format !== PROOF_FORMAT) throw bad(`not a Stele proof (format must be "${PROOF_FORMAT}")`)
  if (typeof b.version !== 'number' || !Number.isInteger(b.version)) throw bad('version must be an integer')
  if (b.version > PROOF_VERSION) {
    throw new SteleError(ErrorCode.Unsupported, `proof version ${b.version} is newer than this verifier supports (${PROOF_VERSION}); upgrade the verifier`, {
      details: { version: b.version, supported: PROOF_VERSION },
    })
  }
  if (b.version !== PROOF_VERSION) throw bad(`unknown proof version ${b.version}`)
  if (typeof b.chainId !== 'string' || !/^0x(0|[1-9a-f][0-9a-f]*)$/.test(b.chainId)) throw bad('chainId must be a hex quantity (0x1, 0x539)')
  hexList(b.validatorSetChanges, 'validatorSetChanges')
  switch (b.kind) {
    case 'registration':
      keys(b, ['format', 'version', 'kind', 'chainId', 'validatorSetChanges', 'contentHash', 'registration', 'transfers'], 'proof')
      hex(b.contentHash, 'contentHash')
      receiptEvidence(b.registration, 'registration')
      if (!Array.isArray(b.transfers)) throw bad('transfers must be an array')
      b.transfers.forEach((t, i) => receiptEvidence(t, `transfers[${i}]`))
      break
    case 'anchor': {
      keys(b, ['format', 'version', 'kind', 'chainId', 'validatorSetChanges', 'anchor'], 'proof')
      const a = object(b.anchor, 'anchor')
      keys(a, ['header', 'hash', 'leafIndex', 'leafCount', 'siblings'], 'anchor')
      hex(a.header, 'anchor.header')
      hex(a.hash, 'anchor.hash')
      index(a.leafIndex, 'anchor.leafIndex')
      index(a.leafCount, 'anchor.leafCount')
      hexList(a.siblings, 'anchor.siblings')
      break
    }
    case 'transaction': {
      keys(b, ['format', 'version', 'kind', 'chainId', 'validatorSetChanges', 'transaction'], 'proof')
      const t = object(b.transaction, 'transaction')
      keys(t, ['header', 'transactionIndex', 'transaction', 'transactionProof', 'receipt', 'receiptProof'], 'transaction')
      hex(t.header, 'transaction.header')
      index(t.transactionIndex, 'transaction.transactionIndex')
      hex(t.transaction, 'transaction.transaction')
      hexList(t.transactionProof, 'transaction.transactionProof')
      hex(t.receipt, 'transaction.receipt')
      hexList(t.receiptProof, 'transaction.receiptProof')
      break
    }
    default:
      throw bad(`unknown proof kind ${JSON.stringify(b.kind)}`)
  }
  return json as ProofBundle
}

function receiptEvidence(value: unknown, what: string): void {
  const e = object(value, what)
  keys(e, ['header', 'transactionIndex', 'receipt', 'receiptProof', 'logIndex'], what)
  hex(e.header, `${what}.header`)
  index(e.transactionIndex, `${what}.transactionIndex`)
  hex(e.receipt, `${what}.receipt`)
  hexList(e.receiptProof, `${what}.receiptProof`)
  index(e.logIndex, `${what}.logIndex`)
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${what} must be an object`)
  return value as Record<string, unknown>
}

function keys(value: Record<string, unknown>, allowed: string[], what: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw bad(`${what} has an unknown field "${key}"`)
  for (const key of allowed) if (!(key in value)) throw bad(`${what} lacks "${key}"`)
}

function hex(value: unknown, what: string): void {
  if (!isHex(value) || value.length % 2 !== 0) throw bad(`${what} must be 0x-prefixed hex with whole bytes`)
}

function hexList(value: unknown, what: string): void {
  if (!Array.isArray(value)) throw bad(`${what} must be an array`)
  value.forEach((v, i) => hex(v, `${what}[${i}]`))
}

function index(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw bad(`${what} must be a non-negative integer`)
}

function bad(message: string): SteleError {
  return new SteleError(ErrorCode.Proof, `malformed proof: ${message}`)
}

/** Bytes of a hex field the parser has already checked. */
export function fieldBytes(value: Hex): Uint8Array {
  return hexToBytes(value)
}
