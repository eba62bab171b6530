import { bytesToHex, hexToBytes, hexToFixedBytes, type Hex } from '../../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../../primitives/errors.js'
import { createDeviceReader } from '../deviceReader.js'
import { DEVICE_REGISTRY_ADDRESS, parseKeyType, type DeviceRecord } from '../deviceRegistryAbi.js'
import {
  decodeDeviceCountResult,
  decodeListDevicesResult,
  encodeApproveFirmwareCall,
  encodeDeviceCountCall,
  encodeListDevicesCall,
  encodeRegisterDeviceCall,
  encodeRevokeCall,
  encodeRotateKeyCall,
  encodeSetFirmwareRequiredCall,
  encodeTransferDeviceCall,
} from '../registry/deviceRegistry.js'
import { createRpcClient, createTxSender, type SentTx } from './rpcClient.js'

/**
 * `stele iot register|rotate|revoke|transfer|approve-firmware|list`: each takes parsed options and an RPC URL and
 * returns a JSON-able result for the CLI to print. Transactions are signed with `privateKey` (the owner).
 */
export interface TxCommandBase {
  rpcUrl: string
  /** The owner account's secp256k1 key, 0x hex. */
  privateKey: string
}

export interface TxCommandResult {
  transactionHash: Hex
  blockNumber: string
  deviceId?: Hex
}

export async function iotRegister(o: TxCommandBase & { deviceId: string; keyType: string; pubkey: string; firmware?: string; metadata?: string }): Promise<TxCommandResult> {
  const deviceId = deviceIdBytes(o.deviceId)
  const data = encodeRegisterDeviceCall({
    deviceId,
    keyType: parseKeyType(o.keyType),
    publicKey: hexToBytes(o.pubkey),
    ...(o.firmware === undefined ? {} : { firmwareHash: hexToFixedBytes(o.firmware, 32, '--firmware') }),
    ...(o.metadata === undefined ? {} : { metadata: o.metadata }),
  })
  return { ...(await send(o, data)), deviceId: bytesToHex(deviceId) }
}

export async function iotRotate(o: TxCommandBase & { deviceId: string; keyType: string; pubkey: string }): Promise<TxCommandResult> {
  const deviceId = deviceIdBytes(o.deviceId)
  return { ...(await send(o, encodeRotateKeyCall(deviceId, parseKeyType(o.keyType), hexToBytes(o.pubkey)))), deviceId: bytesToHex(deviceId) }
}

export async function iotRevoke(o: TxCommandBase & { deviceId: string }): Promise<TxCommandResult> {
  const deviceId = deviceIdBytes(o.deviceId)
  return { ...(await send(o, encodeRevokeCall(deviceId))), deviceId: bytesToHex(deviceId) }
}

export async function iotTransfer(o: TxCommandBase & { deviceId: string; to: string }): Promise<TxCommandResult> {
  const deviceId = deviceIdBytes(o.deviceId)
  return { ...(await send(o, encodeTransferDeviceCall(deviceId, hexToFixedBytes(o.to, 20, '--to')))), deviceId: bytesToHex(deviceId) }
}

/** Approves (or with approved false, withdraws) a firmware hash; `required` also sets the owner's policy. */
export async function iotApproveFirmware(o: TxCommandBase & { firmware: string; approved?: boolean; required?: boolean }): Promise<TxCommandResult[]> {
  const out = [await send(o, encodeApproveFirmwareCall(hexToFixedBytes(o.firmware, 32, '--firmware'), o.approved ?? true))]
  if (o.required !== undefined) out.push(await send(o, encodeSetFirmwareRequiredCall(o.required)))
  return out
}

export interface ListedDevice {
  deviceId: Hex
  owner: Hex
  registeredAt: string
  revokedAt?: string
  firmwareHash: Hex
  firmwareRequired: boolean
  metadata: string
  keys: { index: number; keyType: string; publicKey: Hex; validFrom: string; validUntil?: string }[]
}

/** Lists registered devices (optionally only one owner's), in registration order, via eth_call. */
export async function iotList(o: { rpcUrl: string; owner?: string; offset?: number; limit?: number }): Promise<{ total: number; devices: ListedDevice[] }> {
  const rpc = createRpcClient(o.rpcUrl)
  const total = decodeDeviceCountResult(await rpc.call(DEVICE_REGISTRY_ADDRESS, encodeDeviceCountCall()))
  const ids = decodeListDevicesResult(await rpc.call(DEVICE_REGISTRY_ADDRESS, encodeListDevicesCall(BigInt(o.offset ?? 0), BigInt(o.limit ?? 1_000))))
  const reader = createDeviceReader({ call: (to, data) => rpc.call(to, data) })
  const owner = o.owner?.toLowerCase()
  const devices: ListedDevice[] = []
  for (const id of ids) {
    const record = await reader.readDevice(id)
    if (record && (owner === undefined || bytesToHex(record.owner) === owner)) devices.push(listed(record))
  }
  return { total: Number(total), devices }
}

function listed(d: DeviceRecord): ListedDevice {
  return {
    deviceId: bytesToHex(d.deviceId),
    owner: bytesToHex(d.owner),
    registeredAt: new Date(Number(d.registeredAt) * 1000).toISOString(),
    ...(d.revokedAt === undefined ? {} : { revokedAt: new Date(Number(d.revokedAt) * 1000).toISOString() }),
    firmwareHash: bytesToHex(d.firmwareHash),
    firmwareRequired: d.firmwareRequired,
    metadata: d.metadata,
    keys: d.keys.map((k) => ({
      index: k.index,
      keyType: k.keyType,
      publicKey: bytesToHex(k.publicKey),
      validFrom: new Date(Number(k.validFrom) * 1000).toISOString(),
      ...(k.validUntil === undefined ? {} : { validUntil: new Date(Number(k.validUntil) * 1000).toISOString() }),
    })),
  }
}

async function send(o: TxCommandBase, data: Uint8Array): Promise<TxCommandResult> {
  const rpc = createRpcClient(o.rpcUrl)
  const sender = await createTxSender(rpc, hexToFixedBytes(o.privateKey, 32, '--private-key'))
  const sent: SentTx = await sender.sendAndWait(DEVICE_REGISTRY_ADDRESS, data)
  return { transactionHash: sent.hash, blockNumber: sent.blockNumber.toString() }
}

/** A device id is 32 bytes of hex. */
export function deviceIdBytes(text: string): Uint8Array {
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return hexToBytes(text.toLowerCase())
  if (text.length === 0) throw new SteleError(ErrorCode.InvalidInput, '--device-id is empty')
  throw new SteleError(ErrorCode.InvalidInput, '--device-id must be 0x and 64 hex digits (hash a serial number with keccak256 first)')
}
