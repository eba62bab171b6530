import { decodeFunctionResult, encodeFunctionData } from 'viem'
import type { Log } from '../../chain/types.js'
import { bytesToHex, equalBytes, hexToBytes, type Hex } from '../../primitives/bytes.js'
import { DEVICE_REGISTRY_ABI } from './registry/deviceRegistryArtifact.js'
import {
  DEVICE_REGISTRY_ADDRESS,
  keyTypeFromCode,
  TOPIC_FIRMWARE_APPROVAL_CHANGED,
  TOPIC_FIRMWARE_POLICY_CHANGED,
  type DeviceRecord,
} from './deviceRegistryAbi.js'

/**
 * Reads device records from the registry contract's state through an eth_call-like function, with a cache.
 * The node calls onBlockCommitted with each block's logs: only the devices (and owners' firmware
 * policies) the block touched are re-read, so a steady stream of readings costs no EVM calls.
 */
export interface DeviceReader {
  readDevice(deviceId: Uint8Array): Promise<DeviceRecord | undefined>
  isFirmwareApproved(owner: Uint8Array, firmwareHash: Uint8Array): Promise<boolean>
  /** Drops cached entries the block's registry logs change. */
  onBlockCommitted(logs: Iterable<Pick<Log, 'address' | 'topics'>>): void
  /** Drops everything (e.g. after a reorg-like reset or in tests). */
  invalidateAll(): void
}

export interface DeviceReaderOptions {
  /** eth_call against the head state: `to` is the registry, returns the output or throws on revert. */
  call(to: Uint8Array, data: Uint8Array): Promise<Uint8Array>
  /** Cached entries at most; the oldest go first. */
  maxEntries?: number
}

type RawKey = { keyType: number; validFrom: bigint; validUntil: bigint; blockNumber: bigint; publicKey: Hex }

export function createDeviceReader(options: DeviceReaderOptions): DeviceReader {
  const maxEntries = options.maxEntries ?? 200_000
  const devices = new Map<string, Promise<DeviceRecord | undefined>>()
  const firmware = new Map<string, Promise<boolean>>()
  // Bumped on invalidation so a read that started before it does not repopulate the cache with stale data.
  let epoch = 0

  const remember = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key)
    if (hit) return hit
    const started = epoch
    const promise = load()
    cache.set(key, promise)
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string)
    promise.then(
      () => {
        if (epoch !== started && cache.get(key) === promise) cache.delete(key)
      },
      () => {
        if (cache.get(key) === promise) cache.delete(key)
      },
    )
    return promise
  }

  return {
    readDevice(deviceId) {
      const idHex = bytesToHex(deviceId)
      return remember(devices, idHex, async () => {
        const data = encodeFunctionData({ abi: DEVICE_REGISTRY_ABI, functionName: 'getDevice', args: [idHex] })
        const out = await options.call(DEVICE_REGISTRY_ADDRESS, hexToBytes(data))
        return decodeGetDevice(deviceId, out)
      })
    },
    isFirmwareApproved(owner, firmwareHash) {
      const key = bytesToHex(owner) + bytesToHex(firmwareHash).slice(2)
      return remember(firmware, key, async () => {
        const data = encodeFunctionData({ abi: DEVICE_REGISTRY_ABI, functionName: 'isFirmwareApproved', args: [bytesToHex(owner), bytesToHex(firmwareHash)] })
        const out = await options.call(DEVICE_REGISTRY_ADDRESS, hexToBytes(data))
        return decodeFunctionResult({ abi: DEVICE_REGISTRY_ABI, functionName: 'isFirmwareApproved', data: bytesToHex(out) })
      })
    },
    onBlockCommitted(logs) {
      for (const log of logs) {
        if (!equalBytes(log.address, DEVICE_REGISTRY_ADDRESS)) continue
        const [topic, t1] = log.topics
        if (!topic || !t1) continue
        epoch++
        if (equalBytes(topic, TOPIC_FIRMWARE_APPROVAL_CHANGED)) {
          const t2 = log.topics[2]
          if (t2) firmware.delete(bytesToHex(t1.subarray(12)) + bytesToHex(t2).slice(2))
        } else if (equalBytes(topic, TOPIC_FIRMWARE_POLICY_CHANGED)) {
          // The policy is part of each device record of that owner; owners are few, so drop all records.
          devices.clear()
        } else {
          devices.delete(bytesToHex(t1))
        }
      }
    },
    invalidateAll() {
      epoch++
      devices.clear()
      firmware.clear()
    },
  }
}

/** Decodes getDevice's return data; undefined when the device was never registered. */
export function decodeGetDevice(deviceId: Uint8Array, out: Uint8Array): DeviceRecord | undefined {
  const [owner, registeredAt, revokedAt, firmwareHash, firmwareRequired, metadata, keys] = decodeFunctionResult({
    abi: DEVICE_REGISTRY_ABI,
    functionName: 'getDevice',
    data: bytesToHex(out),
  }) as unknown as [Hex, bigint, bigint, Hex, boolean, string, readonly RawKey[]]
  if (/^0x0{40}$/.test(owner)) return undefined
  return {
    deviceId: deviceId.slice(),
    owner: hexToBytes(owner),
    registeredAt,
    revokedAt: revokedAt === 0n ? undefined : revokedAt,
    firmwareHash: hexToBytes(firmwareHash),
    firmwareRequired,
    metadata,
    keys: keys.map((k, index) => ({
      index,
      keyType: keyTypeFromCode(k.keyType),
      publicKey: hexToBytes(k.publicKey),
      validFrom: k.validFrom,
      validUntil: k.validUntil === 0n ? undefined : k.validUntil,
      blockNumber: k.blockNumber,
    })),
  }
}
