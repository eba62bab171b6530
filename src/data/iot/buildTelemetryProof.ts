import type { ConsensusReceipt, LogEntry } from '../../chain/types.js'
import { bytesToHex, equalBytes, hexToBytes } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import type { KvStore } from '../../state/kvStore.js'
import { buildAnchorProof, buildTxProof, type ProofChainReader } from '../proofs.js'
import {
  decodeDeviceRegistryLog,
  DEVICE_REGISTRY_ADDRESS,
  TOPIC_DEVICE_REGISTERED,
  TOPIC_DEVICE_REVOKED,
  TOPIC_DEVICE_TRANSFERRED,
  TOPIC_KEY_ROTATED,
  type DeviceRegistryEvent,
} from './deviceRegistryAbi.js'
import { loadReading } from './telemetryStore.js'
import { TELEMETRY_PROOF_FORMAT, TELEMETRY_PROOF_VERSION, type RegistryEvidence, type TelemetryProofBundle } from './verifyTelemetryProof.js'

/**
 * Builds the proof of one stored reading (docs/spec/telemetry.md): its anchor proof plus the registry events
 * that prove the key (registration or rotation), the key's end if rotated, ownership and any revocation.
 * Throws NOT_FOUND when the reading is unknown or its hash is not anchored yet.
 */
export async function buildTelemetryProof(reader: ProofChainReader, store: KvStore, deviceId: Uint8Array, seq: number): Promise<TelemetryProofBundle> {
  const stored = loadReading(store, deviceId, seq)
  if (!stored) throw new SteleError(ErrorCode.NotFound, `no reading ${seq} of device ${bytesToHex(deviceId)}`)
  const anchor = buildAnchorProof(reader, hexToBytes(stored.hash))
  const anchorBlock = reader.anchorLocation(hexToBytes(stored.hash))?.blockNumber ?? reader.headNumber()

  const entries = reader.logs({
    fromBlock: 0n,
    toBlock: reader.headNumber(),
    addresses: [DEVICE_REGISTRY_ADDRESS],
    topics: [[TOPIC_DEVICE_REGISTERED, TOPIC_KEY_ROTATED, TOPIC_DEVICE_REVOKED, TOPIC_DEVICE_TRANSFERRED], [deviceId]],
  })
  const events = entries.flatMap((entry) => {
    const event = decodeDeviceRegistryLog(entry)
    return event ? [{ entry, event }] : []
  })
  const find = (match: (e: DeviceRegistryEvent) => boolean) => events.find((e) => match(e.event))
  const registration = find((e) => e.kind === 'registered')
  if (!registration) throw new SteleError(ErrorCode.NotFound, `device ${bytesToHex(deviceId)} has no registration on chain`)
  const keyIndex = stored.keyIndex
  const key = keyIndex === 0 ? registration : find((e) => e.kind === 'keyRotated' && e.keyIndex === keyIndex)
  if (!key) throw new SteleError(ErrorCode.NotFound, `the rotation to key ${keyIndex} is not on chain`)
  const keyEnd = find((e) => e.kind === 'keyRotated' && e.keyIndex === keyIndex + 1)
  const revocation = find((e) => e.kind === 'revoked')
  const transfers = events.filter((e) => e.event.kind === 'transferred' && e.entry.blockNumber <= anchorBlock)

  const evidence = async (entry: LogEntry): Promise<RegistryEvidence> => ({ proof: await buildTxProof(reader, entry.transactionHash), logIndex: logIndexInReceipt(reader, entry) })
  const registrationEvidence = await evidence(registration.entry)
  const bundle: TelemetryProofBundle = {
    format: TELEMETRY_PROOF_FORMAT,
    version: TELEMETRY_PROOF_VERSION,
    chainId: anchor.chainId,
    reading: {
      deviceId: stored.deviceId,
      seq: stored.seq,
      time: stored.time,
      payload: stored.payload,
      ...(stored.firmware === undefined ? {} : { firmware: stored.firmware }),
      sig: stored.sig,
    },
    keyIndex,
    key: key === registration ? registrationEvidence : await evidence(key.entry),
    registration: registrationEvidence,
    transfers: await Promise.all(transfers.map((t) => evidence(t.entry))),
    anchor,
  }
  if (keyEnd) bundle.keyEnd = await evidence(keyEnd.entry)
  if (revocation) bundle.revocation = await evidence(revocation.entry)
  return bundle
}

/** LogEntry.logIndex counts across the block; the proof names the log within its receipt. */
function logIndexInReceipt(reader: ProofChainReader, entry: LogEntry): number {
  const receipts = reader.receipts(entry.blockHash)
  if (!receipts) throw new SteleError(ErrorCode.NotFound, `receipts of block ${entry.blockNumber} are not available`)
  let before = 0
  for (let i = 0; i < entry.transactionIndex; i++) before += (receipts[i] as ConsensusReceipt).logs.length
  const index = entry.logIndex - before
  const log = receipts[entry.transactionIndex]?.logs[index]
  if (!log || !equalBytes(log.data, entry.data)) throw new SteleError(ErrorCode.Internal, 'the log index disagrees with the block receipts')
  return index
}
