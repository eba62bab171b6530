import { bytesToHex, equalBytes, hexToBytes, type Hex } from '../../primitives/bytes.js'
import { errorMessage } from '../../primitives/errors.js'
import type { AnchorProofBundle, TransactionProofBundle } from '../verify/proofBundle.js'
import { decodeReceipt } from '../verify/receiptCodec.js'
import { nobleVerifierCrypto, type VerifierCrypto } from '../verify/verifierCrypto.js'
import { verifyProofBundle, type VerifierGenesis } from '../verify/verifyProof.js'
import { decodeDeviceRegistryLog, type DeviceRegistryEvent, type KeyType } from './deviceRegistryAbi.js'
import { parseReading, readingHash, type Reading } from './telemetryCodec.js'
import { verifyDeviceSignature } from './telemetrySignatures.js'

/**
 * The telemetry proof (docs/spec/telemetry.md) and its offline verifier. Browser-safe: noble, the shared proof
 * verifier (src/data/verify) and this folder's codecs. It trusts only the genesis it is given.
 */
export const TELEMETRY_PROOF_FORMAT = 'stele-telemetry-proof'
export const TELEMETRY_PROOF_VERSION = 1

/** A device-registry log proven by its transaction's inclusion and receipt (a 'transaction' proof bundle). */
export interface RegistryEvidence {
  proof: TransactionProofBundle
  /** Which log of that transaction's receipt is the event. */
  logIndex: number
}

export interface TelemetryProofBundle {
  format: typeof TELEMETRY_PROOF_FORMAT
  version: typeof TELEMETRY_PROOF_VERSION
  chainId: Hex
  reading: Reading
  /** The index of the signing key in the device's key history (0: the registration key). */
  keyIndex: number
  /** DeviceRegistered (keyIndex 0) or KeyRotated(keyIndex): the key and the time it became valid. */
  key: RegistryEvidence
  /** KeyRotated(keyIndex + 1): when the key stopped being valid; absent while it is current. */
  keyEnd?: RegistryEvidence
  /** The DeviceRegistered event: who registered the device (same as `key` when keyIndex is 0). */
  registration: RegistryEvidence
  /** DeviceTransferred events up to the anchoring block, in chain order. */
  transfers: RegistryEvidence[]
  /** DeviceRevoked, when the device was revoked (after the reading, or the reading would not verify). */
  revocation?: RegistryEvidence
  anchor: AnchorProofBundle
}

export type TelemetryVerifyStep = 'format' | 'signature' | 'registration' | 'keyRecord' | 'keyValidity' | 'owner' | 'revocation' | 'anchor'

export interface TelemetryClaims {
  device: Hex
  seq: number
  /** The reading's own time, milliseconds since the epoch. */
  time: number
  owner: Hex
  key: { index: number; keyType: KeyType; publicKey: Hex; validFrom: bigint; validUntil: bigint | undefined }
  revokedAt: bigint | undefined
  readingHash: Hex
  /** The block whose header commits the reading hash. */
  blockNumber: bigint
  blockHash: Hex
  blockTimestamp: bigint
  chainId: bigint
}

export type TelemetryVerifyResult = { valid: true; claims: TelemetryClaims } | { valid: false; failedStep: TelemetryVerifyStep; reason: string }

class StepFailure extends Error {
  constructor(
    readonly step: TelemetryVerifyStep,
    message: string,
  ) {
    super(message)
  }
}
const fail = (step: TelemetryVerifyStep, message: string): never => {
  throw new StepFailure(step, message)
}

interface ProvenEvent {
  event: DeviceRegistryEvent
  blockNumber: bigint
  blockTimestamp: bigint
  position: [bigint, number, number]
}

export function verifyTelemetryProof(bundleInput: string | unknown, genesis: VerifierGenesis | unknown, options: { crypto?: VerifierCrypto } = {}): TelemetryVerifyResult {
  try {
    return { valid: true, claims: verifyOrThrow(bundleInput, genesis, options.crypto ?? nobleVerifierCrypto) }
  } catch (error) {
    if (error instanceof StepFailure) return { valid: false, failedStep: error.step, reason: error.message }
    return { valid: false, failedStep: 'format', reason: errorMessage(error) }
  }
}

function verifyOrThrow(input: unknown, genesis: unknown, crypto: VerifierCrypto): TelemetryClaims {
  const bundle = parseBundle(input)
  const parsed = parseReading(bundle.reading, Number.MAX_SAFE_INTEGER)
  if ('reason' in parsed) fail('format', `reading: ${parsed.message}`)
  const { message, signature, deviceId } = parsed as Exclude<typeof parsed, { reason: string }>

  // The registration names the registrant, who owns the device until a transfer.
  const registration = provenEvent(bundle.registration, genesis, crypto, 'registration', deviceId, 'registered')
  const reg = registration.event as Extract<DeviceRegistryEvent, { kind: 'registered' }>

  // The key record: registration (index 0) or rotation to keyIndex.
  const keyEvent = bundle.keyIndex === 0 ? registration : provenEvent(bundle.key, genesis, crypto, 'keyRecord', deviceId, 'keyRotated')
  if (bundle.keyIndex === 0 && !sameEvidence(bundle.key, bundle.registration)) fail('keyRecord', 'key 0 must be proven by the registration itself')
  const ke = keyEvent.event as Extract<DeviceRegistryEvent, { kind: 'registered' | 'keyRotated' }>
  if (ke.kind === 'keyRotated' && ke.keyIndex !== bundle.keyIndex) fail('keyRecord', `the rotation installs key ${ke.keyIndex}, not ${bundle.keyIndex}`)
  if (ke.kind === 'keyRotated' && compare(keyEvent.position, registration.position) <= 0) fail('keyRecord', 'the rotation precedes the registration')

  if (!verifyDeviceSignature(ke.keyType, ke.publicKey, message, signature)) fail('signature', `the reading's signature does not verify with key ${bundle.keyIndex} (${ke.keyType})`)

  // The key signs for [validFrom, validUntil), block timestamps in seconds, reading time in milliseconds.
  const validFrom = keyEvent.blockTimestamp
  let validUntil: bigint | undefined
  const time = BigInt(bundle.reading.time)
  if (bundle.keyEnd !== undefined) {
    const end = provenEvent(bundle.keyEnd, genesis, crypto, 'keyValidity', deviceId, 'keyRotated')
    const ee = end.event as Extract<DeviceRegistryEvent, { kind: 'keyRotated' }>
    if (ee.keyIndex !== bundle.keyIndex + 1) fail('keyValidity', `keyEnd installs key ${ee.keyIndex}, not the next one (${bundle.keyIndex + 1})`)
    if (compare(end.position, keyEvent.position) <= 0) fail('keyValidity', 'keyEnd precedes the key record')
    validUntil = end.blockTimestamp
  }
  if (time < validFrom * 1000n) fail('keyValidity', `the reading (time ${time}) predates key ${bundle.keyIndex} (valid from ${validFrom}s)`)
  if (validUntil !== undefined && time >= validUntil * 1000n) fail('keyValidity', `key ${bundle.keyIndex} was rotated out at ${validUntil}s, before the reading (time ${time})`)

  let revokedAt: bigint | undefined
  if (bundle.revocation !== undefined) {
    const rev = provenEvent(bundle.revocation, genesis, crypto, 'revocation', deviceId, 'revoked')
    revokedAt = rev.blockTimestamp
    if (time >= revokedAt * 1000n) fail('revocation', `the device was revoked at ${revokedAt}s, before the reading (time ${time})`)
  }

  const hash = readingHash(message, signature, crypto.keccak256)
  const anchor = verifyProofBundle(bundle.anchor, genesis, { crypto })
  if (!anchor.valid) fail('anchor', `${anchor.failedStep}: ${anchor.reason}`)
  const anchorClaims = (anchor as Extract<typeof anchor, { valid: true }>).claims
  if (anchorClaims.kind !== 'anchor' || anchorClaims.contentHash !== bytesToHex(hash)) fail('anchor', 'the anchor proof is for another hash than this reading')
  if (bundle.chainId !== bundle.anchor.chainId) fail('format', 'the bundle and its anchor proof name different chains')

  // Ownership as of the anchoring block: the registrant, then each transfer in chain order.
  let owner = reg.owner
  let previous = registration.position
  for (const [i, t] of bundle.transfers.entries()) {
    const moved = provenEvent(t, genesis, crypto, 'owner', deviceId, 'transferred')
    const me = moved.event as Extract<DeviceRegistryEvent, { kind: 'transferred' }>
    if (compare(moved.position, previous) <= 0) fail('owner', `transfers[${i}] is not after the previous event`)
    if (moved.blockNumber > anchorClaims.blockNumber) fail('owner', `transfers[${i}] is after the anchoring block`)
    if (!equalBytes(me.from, owner)) fail('owner', `transfers[${i}] is from ${bytesToHex(me.from)}, who was not the owner`)
    owner = me.to
    previous = moved.position
  }

  return {
    device: bundle.reading.deviceId,
    seq: bundle.reading.seq,
    time: bundle.reading.time,
    owner: bytesToHex(owner),
    key: { index: bundle.keyIndex, keyType: ke.keyType, publicKey: bytesToHex(ke.publicKey), validFrom, validUntil },
    revokedAt,
    readingHash: bytesToHex(hash),
    blockNumber: anchorClaims.blockNumber,
    blockHash: anchorClaims.blockHash,
    blockTimestamp: anchorClaims.timestamp,
    chainId: anchorClaims.chainId,
  }
}

/** Verifies a transaction proof, then reads the named device-registry log from its (now proven) receipt. */
function provenEvent(
  evidence: RegistryEvidence,
  genesis: unknown,
  crypto: VerifierCrypto,
  step: TelemetryVerifyStep,
  deviceId: Uint8Array,
  kind: DeviceRegistryEvent['kind'],
): ProvenEvent {
  const result = verifyProofBundle(evidence.proof, genesis, { crypto })
  if (!result.valid) fail(step, `${result.failedStep}: ${result.reason}`)
  const claims = (result as Extract<typeof result, { valid: true }>).claims
  if (claims.kind !== 'transaction' || claims.transaction?.status !== 1) fail(step, 'the transaction failed or the proof is not a transaction proof')
  let event: DeviceRegistryEvent | undefined
  try {
    const receipt = decodeReceipt(hexToBytes(evidence.proof.transaction.receipt))
    const log = receipt.logs[evidence.logIndex]
    event = log === undefined ? undefined : decodeDeviceRegistryLog(log)
  } catch (error) {
    fail(step, `the registry log cannot be decoded: ${errorMessage(error)}`)
  }
  if (event === undefined) fail(step, `log ${evidence.logIndex} is not a device-registry event`)
  const e = event as DeviceRegistryEvent
  if (e.kind !== kind) fail(step, `log ${evidence.logIndex} is a ${e.kind} event, expected ${kind}`)
  if (!equalBytes(e.deviceId, deviceId)) fail(step, 'the event is about another device')
  return { event: e, blockNumber: claims.blockNumber, blockTimestamp: claims.timestamp, position: [claims.blockNumber, evidence.proof.transaction.transactionIndex, evidence.logIndex] }
}

function compare(a: [bigint, number, number], b: [bigint, number, number]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1
  return a[1] !== b[1] ? a[1] - b[1] : a[2] - b[2]
}

function sameEvidence(a: RegistryEvidence, b: RegistryEvidence): boolean {
  return a.logIndex === b.logIndex && a.proof.transaction.header === b.proof.transaction.header && a.proof.transaction.transaction === b.proof.transaction.transaction
}

function parseBundle(input: unknown): TelemetryProofBundle {
  let json = input
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input)
    } catch {
      fail('format', 'the proof is not JSON')
    }
  }
  const b = json as Record<string, unknown>
  if (typeof b !== 'object' || b === null) fail('format', 'the proof must be an object')
  if (b.format !== TELEMETRY_PROOF_FORMAT) fail('format', `not a telemetry proof (format must be "${TELEMETRY_PROOF_FORMAT}")`)
  if (b.version !== TELEMETRY_PROOF_VERSION) fail('format', `unsupported telemetry proof version ${String(b.version)}`)
  const allowed = ['format', 'version', 'chainId', 'reading', 'keyIndex', 'key', 'keyEnd', 'registration', 'transfers', 'revocation', 'anchor']
  for (const k of Object.keys(b)) if (!allowed.includes(k)) fail('format', `unknown field "${k}"`)
  if (typeof b.chainId !== 'string') fail('format', 'chainId must be hex')
  if (!Number.isSafeInteger(b.keyIndex) || (b.keyIndex as number) < 0) fail('format', 'keyIndex must be a non-negative integer')
  const evidence = (v: unknown, what: string) => {
    const e = v as Record<string, unknown>
    if (typeof e !== 'object' || e === null || typeof e.proof !== 'object' || e.proof === null) fail('format', `${what} must be {proof, logIndex}`)
    if (!Number.isSafeInteger(e.logIndex) || (e.logIndex as number) < 0) fail('format', `${what}.logIndex must be a non-negative integer`)
    const p = e.proof as Record<string, unknown>
    if (p.kind !== 'transaction' || typeof p.transaction !== 'object' || p.transaction === null) fail('format', `${what}.proof must be a transaction proof`)
    for (const k of Object.keys(e)) if (k !== 'proof' && k !== 'logIndex') fail('format', `${what} has an unknown field "${k}"`)
  }
  evidence(b.key, 'key')
  evidence(b.registration, 'registration')
  if (b.keyEnd !== undefined) evidence(b.keyEnd, 'keyEnd')
  if (b.revocation !== undefined) evidence(b.revocation, 'revocation')
  if (!Array.isArray(b.transfers)) fail('format', 'transfers must be an array')
  ;(b.transfers as unknown[]).forEach((t, i) => evidence(t, `transfers[${i}]`))
  if (typeof b.anchor !== 'object' || b.anchor === null) fail('format', 'anchor must be an anchor proof')
  return b as unknown as TelemetryProofBundle
}
