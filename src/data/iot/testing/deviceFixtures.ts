import { ed25519 } from '@noble/curves/ed25519.js'
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak256 } from '../../../crypto/keccak.js'
import { bytesToHex, utf8ToBytes, type Hex } from '../../../primitives/bytes.js'
import type { DeviceRecord, KeyRecord, KeyType } from '../deviceRegistryAbi.js'
import { createDeviceSigner } from '../deviceSignatures.js'
import { readingMessage, type Reading } from '../telemetryCodec.js'
import { devicePublicKey } from '../telemetrySignatures.js'

/** A device key derived from a label (deterministic), with a native signer. For tests, the simulator and the bench. */
export interface TestDeviceKey {
  keyType: KeyType
  secretKey: Uint8Array
  /** What the device registers: compressed SEC1 (EC) or 32 bytes (Ed25519). */
  publicKey: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

export function deviceKeyFromSeed(keyType: KeyType, seed: Uint8Array): TestDeviceKey {
  // keccak of the seed is a valid scalar for both curves with overwhelming probability; retry otherwise.
  let secretKey = keccak256(seed)
  const valid = (k: Uint8Array) => (keyType === 'p256' ? p256.utils.isValidSecretKey(k) : keyType === 'secp256k1' ? secp256k1.utils.isValidSecretKey(k) : true)
  while (!valid(secretKey)) secretKey = keccak256(secretKey)
  const uncompressed = keyType === 'p256' ? p256.getPublicKey(secretKey, false) : keyType === 'secp256k1' ? secp256k1.getPublicKey(secretKey, false) : ed25519.getPublicKey(secretKey)
  return { keyType, secretKey, publicKey: devicePublicKey(keyType, secretKey), sign: createDeviceSigner(keyType, secretKey, uncompressed) }
}

export function testDeviceKey(keyType: KeyType, label: string): TestDeviceKey {
  return deviceKeyFromSeed(keyType, utf8ToBytes(`stele test device key ${keyType} ${label}`))
}

export function testDeviceId(label: string): Uint8Array {
  return keccak256(utf8ToBytes(`stele test device ${label}`))
}

/** A signed reading as a device would send it. */
export function signReading(key: TestDeviceKey, fields: { deviceId: Uint8Array | Hex; seq: number; time: number; payload: unknown; firmware?: Hex }): Reading {
  const deviceId = typeof fields.deviceId === 'string' ? fields.deviceId : bytesToHex(fields.deviceId)
  const unsigned = { deviceId, seq: fields.seq, time: fields.time, payload: fields.payload, ...(fields.firmware === undefined ? {} : { firmware: fields.firmware }) }
  return { ...unsigned, sig: bytesToHex(key.sign(readingMessage(unsigned))) }
}

/** A device record as the registry would return it, for ingestion tests without a chain. */
export function testDeviceRecord(deviceId: Uint8Array, keys: { key: TestDeviceKey; validFrom: bigint; validUntil?: bigint }[], extra: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    deviceId,
    owner: new Uint8Array(20).fill(0xaa),
    registeredAt: keys[0]?.validFrom ?? 0n,
    revokedAt: undefined,
    firmwareHash: new Uint8Array(32),
    firmwareRequired: false,
    metadata: '',
    keys: keys.map(
      (k, index): KeyRecord => ({ index, keyType: k.key.keyType, publicKey: k.key.publicKey, validFrom: k.validFrom, validUntil: k.validUntil, blockNumber: BigInt(index + 1) }),
    ),
    ...extra,
  }
}
