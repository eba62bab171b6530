import { decodeFunctionResult, encodeFunctionData } from 'viem'
import { keccak256 } from '../../../crypto/keccak.js'
import { bytesToHex, hexToBytes, type Hex } from '../../../primitives/bytes.js'
import type { GenesisContractAccount } from '../../registry/dataRegistry.js'
import { DEVICE_REGISTRY_ADDRESS, DEVICE_REGISTRY_ADDRESS_HEX, KEY_TYPE_CODES, type KeyType } from '../deviceRegistryAbi.js'
import { DEVICE_REGISTRY_ABI, DEVICE_REGISTRY_RUNTIME_BYTECODE } from './deviceRegistryArtifact.js'

export { DEVICE_REGISTRY_ADDRESS, DEVICE_REGISTRY_ADDRESS_HEX, DEVICE_REGISTRY_ABI, DEVICE_REGISTRY_RUNTIME_BYTECODE }
export { decodeRevertReason } from '../../verify/registryAbi.js'

/**
 * The device registry as a genesis account (code only, empty storage, nonce 1 per EIP-161), like
 * dataRegistryGenesisAccount: alloc[acct.addressHex] = { code: bytesToHex(acct.code), balance: '0x0', nonce: '0x1' }.
 */
export function deviceRegistryGenesisAccount(): GenesisContractAccount {
  const code = hexToBytes(DEVICE_REGISTRY_RUNTIME_BYTECODE)
  return { address: DEVICE_REGISTRY_ADDRESS.slice(), addressHex: DEVICE_REGISTRY_ADDRESS_HEX, code, codeHash: keccak256(code), storage: new Map(), balance: 0n, nonce: 1n }
}

const abi = DEVICE_REGISTRY_ABI
const call = (data: Hex) => hexToBytes(data)

export function encodeRegisterDeviceCall(p: { deviceId: Uint8Array; keyType: KeyType; publicKey: Uint8Array; firmwareHash?: Uint8Array; metadata?: string }): Uint8Array {
  return call(
    encodeFunctionData({
      abi,
      functionName: 'register',
      args: [bytesToHex(p.deviceId), KEY_TYPE_CODES[p.keyType], bytesToHex(p.publicKey), bytesToHex(p.firmwareHash ?? new Uint8Array(32)), p.metadata ?? ''],
    }),
  )
}

export function encodeRotateKeyCall(deviceId: Uint8Array, keyType: KeyType, publicKey: Uint8Array): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'rotateKey', args: [bytesToHex(deviceId), KEY_TYPE_CODES[keyType], bytesToHex(publicKey)] }))
}

export function encodeRevokeCall(deviceId: Uint8Array): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'revoke', args: [bytesToHex(deviceId)] }))
}

export function encodeTransferDeviceCall(deviceId: Uint8Array, newOwner: Uint8Array): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'transfer', args: [bytesToHex(deviceId), bytesToHex(newOwner)] }))
}

export function encodeSetDeviceFirmwareCall(deviceId: Uint8Array, firmwareHash: Uint8Array): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'setDeviceFirmware', args: [bytesToHex(deviceId), bytesToHex(firmwareHash)] }))
}

export function encodeApproveFirmwareCall(firmwareHash: Uint8Array, approved: boolean): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'approveFirmware', args: [bytesToHex(firmwareHash), approved] }))
}

export function encodeSetFirmwareRequiredCall(required: boolean): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'setFirmwareRequired', args: [required] }))
}

export function encodeGetDeviceCall(deviceId: Uint8Array): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'getDevice', args: [bytesToHex(deviceId)] }))
}

export function encodeIsFirmwareApprovedCall(owner: Uint8Array, firmwareHash: Uint8Array): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'isFirmwareApproved', args: [bytesToHex(owner), bytesToHex(firmwareHash)] }))
}

export function encodeDeviceCountCall(): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'deviceCount', args: [] }))
}

export function encodeListDevicesCall(offset: bigint, limit: bigint): Uint8Array {
  return call(encodeFunctionData({ abi, functionName: 'listDevices', args: [offset, limit] }))
}

export function decodeDeviceCountResult(out: Uint8Array): bigint {
  return decodeFunctionResult({ abi, functionName: 'deviceCount', data: bytesToHex(out) })
}

export function decodeListDevicesResult(out: Uint8Array): Uint8Array[] {
  return decodeFunctionResult({ abi, functionName: 'listDevices', data: bytesToHex(out) }).map((h) => hexToBytes(h))
}

export function decodeIsFirmwareApprovedResult(out: Uint8Array): boolean {
  return decodeFunctionResult({ abi, functionName: 'isFirmwareApproved', data: bytesToHex(out) })
}

export { decodeGetDevice } from '../deviceReader.js'
