import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBlock } from '@ethereumjs/block'
import { createVM } from '@ethereumjs/vm'
import { Account, createAddressFromString, type Address } from '@ethereumjs/util'
import { toEventSelector } from 'viem'
import { keccak256 } from '../../../crypto/keccak.js'
import { createChainCommon } from '../../../execution/common.js'
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../../primitives/bytes.js'
import { compileDeviceRegistry } from './compileDeviceRegistry.js'
import {
  DEVICE_REGISTRY_ABI,
  DEVICE_REGISTRY_RUNTIME_BYTECODE,
  decodeDeviceCountResult,
  decodeGetDevice,
  decodeIsFirmwareApprovedResult,
  decodeListDevicesResult,
  decodeRevertReason,
  deviceRegistryGenesisAccount,
  encodeApproveFirmwareCall,
  encodeDeviceCountCall,
  encodeGetDeviceCall,
  encodeIsFirmwareApprovedCall,
  encodeListDevicesCall,
  encodeRegisterDeviceCall,
  encodeRevokeCall,
  encodeRotateKeyCall,
  encodeSetDeviceFirmwareCall,
  encodeSetFirmwareRequiredCall,
  encodeTransferDeviceCall,
} from './deviceRegistry.js'
import {
  decodeDeviceRegistryLog,
  DEVICE_REGISTRY_ADDRESS_HEX,
  keyValidAt,
  TOPIC_DEVICE_FIRMWARE_CHANGED,
  TOPIC_DEVICE_REGISTERED,
  TOPIC_DEVICE_REVOKED,
  TOPIC_DEVICE_TRANSFERRED,
  TOPIC_FIRMWARE_APPROVAL_CHANGED,
  TOPIC_FIRMWARE_POLICY_CHANGED,
  TOPIC_KEY_ROTATED,
} from '../deviceRegistryAbi.js'
import { devicePublicKey } from '../telemetrySignatures.js'

const org = createAddressFromString('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
const other = createAddressFromString('0x70997970c51812dc3a010c7d01b50e0d17dc79c8')
const registry = createAddressFromString(DEVICE_REGISTRY_ADDRESS_HEX)
const T0 = 1_700_000_000n

test('recompiling DeviceRegistry.sol gives the committed runtime bytecode and ABI', () => {
  const compiled = compileDeviceRegistry()
  assert.match(compiled.solcVersion, /^0\.8\.30\+/)
  assert.equal(compiled.runtimeBytecode, DEVICE_REGISTRY_RUNTIME_BYTECODE)
  assert.deepEqual(compiled.abi, JSON.parse(JSON.stringify(DEVICE_REGISTRY_ABI)))
})

test('hand-coded topics match the event signatures, and the genesis account sits at 0x…5702', () => {
  assert.equal(bytesToHex(TOPIC_DEVICE_REGISTERED), toEventSelector('DeviceRegistered(bytes32,address,uint8,bytes,bytes32,string)'))
  assert.equal(bytesToHex(TOPIC_KEY_ROTATED), toEventSelector('KeyRotated(bytes32,uint256,uint8,bytes)'))
  assert.equal(bytesToHex(TOPIC_DEVICE_REVOKED), toEventSelector('DeviceRevoked(bytes32,address)'))
  assert.equal(bytesToHex(TOPIC_DEVICE_TRANSFERRED), toEventSelector('DeviceTransferred(bytes32,address,address)'))
  assert.equal(bytesToHex(TOPIC_DEVICE_FIRMWARE_CHANGED), toEventSelector('DeviceFirmwareChanged(bytes32,bytes32)'))
  assert.equal(bytesToHex(TOPIC_FIRMWARE_APPROVAL_CHANGED), toEventSelector('FirmwareApprovalChanged(address,bytes32,bool)'))
  assert.equal(bytesToHex(TOPIC_FIRMWARE_POLICY_CHANGED), toEventSelector('FirmwarePolicyChanged(address,bool)'))
  const acct = deviceRegistryGenesisAccount()
  assert.equal(acct.addressHex, '0x0000000000000000000000000000000000005702')
  assert.equal(bytesToHex(acct.code), DEVICE_REGISTRY_RUNTIME_BYTECODE)
  assert.deepEqual(acct.codeHash, keccak256(acct.code))
  assert.equal(acct.nonce, 1n)
})

test('the registry in @ethereumjs/vm: register, rotate, revoke, transfer, firmware, key history, permission reverts', async () => {
  const common = createChainCommon(1337n)
  const vm = await createVM({ common })
  const acct = deviceRegistryGenesisAccount()
  await vm.stateManager.putAccount(registry, new Account(acct.nonce, acct.balance))
  await vm.stateManager.putCode(registry, acct.code)
  const run = async (caller: Address, data: Uint8Array, number = 1n) => {
    const block = createBlock({ header: { number, timestamp: T0 + number * 10n } }, { common })
    return (await vm.evm.runCall({ caller, to: registry, data, gasLimit: 3_000_000n, block })).execResult
  }
  const ok = async (caller: Address, data: Uint8Array, number?: bigint) => {
    const r = await run(caller, data, number)
    assert.equal(r.exceptionError, undefined, decodeRevertReason(r.returnValue))
    return r
  }
  const reverts = async (caller: Address, data: Uint8Array, reason: string) => {
    const r = await run(caller, data)
    assert.equal(r.exceptionError?.error, 'revert')
    assert.equal(decodeRevertReason(r.returnValue), `DeviceRegistry: ${reason}`)
  }
  const id = keccak256(utf8ToBytes('device 1'))
  const p256Key = devicePublicKey('p256', hexToBytes('0x' + '11'.repeat(32)))
  const edKey = devicePublicKey('ed25519', hexToBytes('0x' + '22'.repeat(32)))
  const k1Key = devicePublicKey('secp256k1', hexToBytes('0x' + '33'.repeat(32)))
  const firmware = keccak256(utf8ToBytes('firmware 1.0'))

  assert.equal(decodeGetDevice(id, (await run(org, encodeGetDeviceCall(id))).returnValue), undefined)
  await reverts(org, encodeRegisterDeviceCall({ deviceId: new Uint8Array(32), keyType: 'p256', publicKey: p256Key }), 'zero device id')
  await reverts(org, encodeRegisterDeviceCall({ deviceId: id, keyType: 'ed25519', publicKey: p256Key }), 'Ed25519 keys are 32 bytes')
  await reverts(org, encodeRegisterDeviceCall({ deviceId: id, keyType: 'p256', publicKey: edKey }), 'EC keys are SEC1, 33 or 65 bytes')
  const badType = encodeRegisterDeviceCall({ deviceId: id, keyType: 'p256', publicKey: p256Key })
  badType[4 + 63] = 9
  await reverts(org, badType, 'unknown key type')

  const registered = await ok(org, encodeRegisterDeviceCall({ deviceId: id, keyType: 'p256', publicKey: p256Key, firmwareHash: firmware, metadata: '{"site":"A"}' }), 2n)
  const regEvent = decodeDeviceRegistryLog({ address: registered.logs![0]![0], topics: registered.logs![0]![1], data: registered.logs![0]![2] })
  assert.deepEqual(regEvent, { kind: 'registered', deviceId: id, owner: org.bytes, keyType: 'p256', publicKey: p256Key, firmwareHash: firmware, metadata: '{"site":"A"}' })
  await reverts(other, encodeRegisterDeviceCall({ deviceId: id, keyType: 'p256', publicKey: p256Key }), 'already registered')

  await reverts(other, encodeRotateKeyCall(id, 'ed25519', edKey), 'caller is not the owner')
  await reverts(org, encodeRotateKeyCall(keccak256(utf8ToBytes('nope')), 'ed25519', edKey), 'unknown device')
  const rotated = await ok(org, encodeRotateKeyCall(id, 'ed25519', edKey), 5n)
  const rotEvent = decodeDeviceRegistryLog({ address: rotated.logs![0]![0], topics: rotated.logs![0]![1], data: rotated.logs![0]![2] })
  assert.deepEqual(rotEvent, { kind: 'keyRotated', deviceId: id, keyIndex: 1, keyType: 'ed25519', publicKey: edKey })
  await ok(org, encodeRotateKeyCall(id, 'secp256k1', k1Key), 7n)

  await reverts(org, encodeApproveFirmwareCall(new Uint8Array(32), true), 'zero firmware hash')
  await ok(org, encodeApproveFirmwareCall(firmware, true))
  await ok(org, encodeSetFirmwareRequiredCall(true))
  assert.equal(decodeIsFirmwareApprovedResult((await run(org, encodeIsFirmwareApprovedCall(org.bytes, firmware))).returnValue), true)
  assert.equal(decodeIsFirmwareApprovedResult((await run(org, encodeIsFirmwareApprovedCall(other.bytes, firmware))).returnValue), false)
  const firmware2 = keccak256(utf8ToBytes('firmware 2.0'))
  await reverts(other, encodeSetDeviceFirmwareCall(id, firmware2), 'caller is not the owner')
  await ok(org, encodeSetDeviceFirmwareCall(id, firmware2), 8n)

  let record = decodeGetDevice(id, (await run(org, encodeGetDeviceCall(id))).returnValue)!
  assert.deepEqual(record.owner, org.bytes)
  assert.equal(record.registeredAt, T0 + 20n)
  assert.equal(record.revokedAt, undefined)
  assert.equal(record.firmwareRequired, true)
  assert.deepEqual(record.firmwareHash, firmware2)
  assert.equal(record.metadata, '{"site":"A"}')
  assert.deepEqual(
    record.keys.map((k) => [k.index, k.keyType, bytesToHex(k.publicKey), k.validFrom, k.validUntil, k.blockNumber]),
    [
      [0, 'p256', bytesToHex(p256Key), T0 + 20n, T0 + 50n, 2n],
      [1, 'ed25519', bytesToHex(edKey), T0 + 50n, T0 + 70n, 5n],
      [2, 'secp256k1', bytesToHex(k1Key), T0 + 70n, undefined, 7n],
    ],
  )
  // Readings are timed in milliseconds; a rotation's second belongs to the new key.
  assert.equal(keyValidAt(record.keys, Number(T0 + 50n) * 1000 - 1)?.index, 0)
  assert.equal(keyValidAt(record.keys, Number(T0 + 50n) * 1000)?.index, 1)
  assert.equal(keyValidAt(record.keys, Number(T0 + 999n) * 1000)?.index, 2)
  assert.equal(keyValidAt(record.keys, Number(T0 + 19n) * 1000), undefined)

  await reverts(org, encodeTransferDeviceCall(id, new Uint8Array(20)), 'new owner is the zero address')
  const moved = await ok(org, encodeTransferDeviceCall(id, other.bytes), 9n)
  assert.deepEqual(decodeDeviceRegistryLog({ address: moved.logs![0]![0], topics: moved.logs![0]![1], data: moved.logs![0]![2] }), {
    kind: 'transferred',
    deviceId: id,
    from: org.bytes,
    to: other.bytes,
  })
  await reverts(org, encodeRevokeCall(id), 'caller is not the owner')
  record = decodeGetDevice(id, (await run(org, encodeGetDeviceCall(id))).returnValue)!
  // The firmware policy is the current owner's.
  assert.equal(record.firmwareRequired, false)

  const revoked = await ok(other, encodeRevokeCall(id), 10n)
  assert.deepEqual(decodeDeviceRegistryLog({ address: revoked.logs![0]![0], topics: revoked.logs![0]![1], data: revoked.logs![0]![2] }), { kind: 'revoked', deviceId: id, owner: other.bytes })
  await reverts(other, encodeRotateKeyCall(id, 'p256', p256Key), 'device is revoked')
  await reverts(other, encodeRevokeCall(id), 'device is revoked')
  await reverts(other, encodeTransferDeviceCall(id, org.bytes), 'device is revoked')
  record = decodeGetDevice(id, (await run(org, encodeGetDeviceCall(id))).returnValue)!
  assert.equal(record.revokedAt, T0 + 100n)

  const id2 = keccak256(utf8ToBytes('device 2'))
  await ok(other, encodeRegisterDeviceCall({ deviceId: id2, keyType: 'secp256k1', publicKey: k1Key }))
  assert.equal(decodeDeviceCountResult((await run(org, encodeDeviceCountCall())).returnValue), 2n)
  assert.deepEqual(decodeListDevicesResult((await run(org, encodeListDevicesCall(0n, 10n))).returnValue), [id, id2])
  assert.deepEqual(decodeListDevicesResult((await run(org, encodeListDevicesCall(1n, 1n))).returnValue), [id2])
  assert.deepEqual(decodeListDevicesResult((await run(org, encodeListDevicesCall(5n, 2n ** 256n - 1n))).returnValue), [])
})
