import { bytesToBigint, hexToBytes } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { readAddress, readString, readUint } from '../verify/registryAbi.js'

/**
 * The device registry's address, key types, records and event codecs (docs/spec/devices.md). Browser-safe:
 * the telemetry proof verifier decodes registry logs with it. Topics are checked against keccak in tests.
 */
export const DEVICE_REGISTRY_ADDRESS_HEX = '0x0000000000000000000000000000000000005702' as const
export const DEVICE_REGISTRY_ADDRESS: Uint8Array = hexToBytes(DEVICE_REGISTRY_ADDRESS_HEX)

/** keccak256("DeviceRegistered(bytes32,address,uint8,bytes,bytes32,string)") */
export const TOPIC_DEVICE_REGISTERED = hexToBytes('0x58777f721104a866e95123529639d4790a5c5baa0d822646c85e9375591bd4d3')
/** keccak256("KeyRotated(bytes32,uint256,uint8,bytes)") */
export const TOPIC_KEY_ROTATED = hexToBytes('0xa6b67c52d1a9ed2db9f374766db7f544617dd58435b2290c981c7f9f99505be0')
/** keccak256("DeviceRevoked(bytes32,address)") */
export const TOPIC_DEVICE_REVOKED = hexToBytes('0x4cef02b2246fc579652de0a1b4d789cd9e1e6e9b6a6b36be68787c70d9edbb62')
/** keccak256("DeviceTransferred(bytes32,address,address)") */
export const TOPIC_DEVICE_TRANSFERRED = hexToBytes('0xf05e25b6d66c4aee036d736d6792ee5190cae20cf9d84cd2baf6782e6b0811e6')
/** keccak256("DeviceFirmwareChanged(bytes32,bytes32)") */
export const TOPIC_DEVICE_FIRMWARE_CHANGED = hexToBytes('0x6e746dbcdbda89381666212e3467472a4b9e96e0c144a9dc33fe4711b6906c71')
/** keccak256("FirmwareApprovalChanged(address,bytes32,bool)") */
export const TOPIC_FIRMWARE_APPROVAL_CHANGED = hexToBytes('0x7fe0001f228617a3eeb56370331b8193f85817714c99ebec6af88dcdde8e90fc')
/** keccak256("FirmwarePolicyChanged(address,bool)") */
export const TOPIC_FIRMWARE_POLICY_CHANGED = hexToBytes('0x572446cd4ab4a6b027683c836ce8cd9407bfded9ba7e8f7dac53f5e1707e6d62')

export type KeyType = 'p256' | 'ed25519' | 'secp256k1'
/** The contract's uint8 key type codes. */
export const KEY_TYPE_CODES: Record<KeyType, number> = { p256: 1, ed25519: 2, secp256k1: 3 }

export function keyTypeFromCode(code: number | bigint): KeyType {
  const n = Number(code)
  if (n === 1) return 'p256'
  if (n === 2) return 'ed25519'
  if (n === 3) return 'secp256k1'
  throw new SteleError(ErrorCode.InvalidInput, `unknown key type code ${code}`)
}

export function parseKeyType(value: string): KeyType {
  const v = value.toLowerCase().replace(/[-_]/g, '')
  if (v === 'p256' || v === 'secp256r1' || v === 'prime256v1') return 'p256'
  if (v === 'ed25519') return 'ed25519'
  if (v === 'secp256k1' || v === 'k256') return 'secp256k1'
  throw new SteleError(ErrorCode.InvalidInput, `unknown key type "${value}" (p256, ed25519 or secp256k1)`)
}

/** A key and the interval it signs for, in block-timestamp seconds: validFrom <= t < validUntil. */
export interface KeyRecord {
  index: number
  keyType: KeyType
  publicKey: Uint8Array
  validFrom: bigint
  /** undefined while the key is current. */
  validUntil: bigint | undefined
  blockNumber: bigint
}

export interface DeviceRecord {
  deviceId: Uint8Array
  owner: Uint8Array
  registeredAt: bigint
  /** Block timestamp (seconds) of the revocation; undefined while active. */
  revokedAt: bigint | undefined
  firmwareHash: Uint8Array
  /** The owner's policy: readings only from approved firmware. */
  firmwareRequired: boolean
  metadata: string
  /** Oldest first; the last one is current. */
  keys: KeyRecord[]
}

/** The key whose interval contains timeMs (a reading's time, in milliseconds). */
export function keyValidAt(keys: readonly KeyRecord[], timeMs: number): KeyRecord | undefined {
  const t = BigInt(Math.floor(timeMs))
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i] as KeyRecord
    if (k.validFrom * 1000n <= t && (k.validUntil === undefined || t < k.validUntil * 1000n)) return k
  }
  return undefined
}

/** A decoded device-registry log: the evidence the telemetry proof carries. */
export type DeviceRegistryEvent =
  | { kind: 'registered'; deviceId: Uint8Array; owner: Uint8Array; keyType: KeyType; publicKey: Uint8Array; firmwareHash: Uint8Array; metadata: string }
  | { kind: 'keyRotated'; deviceId: Uint8Array; keyIndex: number; keyType: KeyType; publicKey: Uint8Array }
  | { kind: 'revoked'; deviceId: Uint8Array; owner: Uint8Array }
  | { kind: 'transferred'; deviceId: Uint8Array; from: Uint8Array; to: Uint8Array }

const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i])

/** Decodes a device-record log of the registry; undefined for other logs (other contracts or events). */
export function decodeDeviceRegistryLog(log: { address: Uint8Array; topics: readonly Uint8Array[]; data: Uint8Array }): DeviceRegistryEvent | undefined {
  if (!same(log.address, DEVICE_REGISTRY_ADDRESS)) return undefined
  const [topic, t1, t2, t3] = log.topics
  if (t1 === undefined) return undefined
  if (same(topic, TOPIC_DEVICE_REGISTERED) && t2 !== undefined && log.topics.length === 3) {
    return {
      kind: 'registered',
      deviceId: t1,
      owner: topicAddress(t2),
      keyType: keyTypeFromCode(readUint(log.data, 0)),
      publicKey: readBytes(log.data, 32),
      firmwareHash: log.data.slice(64, 96),
      metadata: readString(log.data, 0, 96),
    }
  }
  if (same(topic, TOPIC_KEY_ROTATED) && t2 !== undefined && log.topics.length === 3) {
    const index = bytesToBigint(t2)
    if (index > 0xffff_ffffn) throw new SteleError(ErrorCode.InvalidInput, 'key index out of range')
    return { kind: 'keyRotated', deviceId: t1, keyIndex: Number(index), keyType: keyTypeFromCode(readUint(log.data, 0)), publicKey: readBytes(log.data, 32) }
  }
  if (same(topic, TOPIC_DEVICE_REVOKED) && t2 !== undefined && log.topics.length === 3) return { kind: 'revoked', deviceId: t1, owner: topicAddress(t2) }
  if (same(topic, TOPIC_DEVICE_TRANSFERRED) && t2 !== undefined && t3 !== undefined && log.topics.length === 4) {
    return { kind: 'transferred', deviceId: t1, from: topicAddress(t2), to: topicAddress(t3) }
  }
  return undefined
}

/** Reads the `bytes` whose offset is stored at headAt (ABI dynamic bytes). */
export function readBytes(data: Uint8Array, headAt: number): Uint8Array {
  const offset = readUint(data, headAt)
  if (offset > BigInt(data.length)) throw new SteleError(ErrorCode.InvalidInput, 'ABI: bytes offset past the data')
  const at = Number(offset)
  const length = readUint(data, at)
  if (BigInt(at) + 32n + length > BigInt(data.length)) throw new SteleError(ErrorCode.InvalidInput, 'ABI: bytes run past the data')
  return data.slice(at + 32, at + 32 + Number(length))
}

function topicAddress(topic: Uint8Array): Uint8Array {
  const word = new Uint8Array(32)
  word.set(topic.subarray(0, 32))
  return readAddress(word, 0)
}
