import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { defineCommandGroup, type CommandSpec, type FlagSpec } from '../../../cli/args.js'
import type { Command } from '../../../cli/main.js'
import { bytesToHex } from '../../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../../primitives/errors.js'
import { parseKeyType } from '../deviceRegistryAbi.js'
import { devicePublicKey } from '../telemetrySignatures.js'
import { deviceIdBytes, iotApproveFirmware, iotList, iotRegister, iotRevoke, iotRotate, iotTransfer } from './deviceCommands.js'
import { iotSimulate } from './simulateCommand.js'
import { iotVerify } from './verifyCommand.js'

/** `stele iot …`: the lead adds `iotCommand` to src/cli/main.ts COMMANDS. */
const RPC: Record<string, FlagSpec> = { rpc: { type: 'string', default: 'http://127.0.0.1:8545', value: 'URL', description: 'Node JSON-RPC endpoint (telemetry is served on the same port)' } }
const KEY: Record<string, FlagSpec> = { key: { type: 'string', value: 'HEX', description: "The owner account's private key (or STELE_KEY)" } }
const DEVICE: Record<string, FlagSpec> = { 'device-id': { type: 'string', value: 'ID', description: 'Device id: 0x and 64 hex digits' } }
const DEVICE_KEY: Record<string, FlagSpec> = {
  'key-type': { type: 'string', default: 'p256', value: 'TYPE', description: 'p256, ed25519 or secp256k1' },
  pubkey: { type: 'string', value: 'HEX', description: 'The device public key (SEC1 33/65 bytes, or 32 for Ed25519)' },
}

const SUBCOMMANDS: Record<string, CommandSpec> = {
  keygen: { name: 'iot keygen', summary: 'Make a device key pair (prints secret and public key)', usage: 'stele iot keygen [--key-type p256]', flags: { 'key-type': DEVICE_KEY['key-type'] as FlagSpec } },
  register: { name: 'iot register', summary: 'Register a device with its public key', usage: 'stele iot register --device-id ID --key-type p256 --pubkey HEX [--firmware HASH] [--meta JSON] --key HEX', flags: { ...RPC, ...KEY, ...DEVICE, ...DEVICE_KEY, firmware: { type: 'string', value: 'HASH', description: 'Firmware hash the device runs' }, meta: { type: 'string', default: '', value: 'JSON', description: 'Metadata' } } },
  rotate: { name: 'iot rotate', summary: "Replace a device's key (the old key stays valid for earlier readings)", usage: 'stele iot rotate --device-id ID --key-type TYPE --pubkey HEX --key HEX', flags: { ...RPC, ...KEY, ...DEVICE, ...DEVICE_KEY } },
  revoke: { name: 'iot revoke', summary: 'Revoke a device for good', usage: 'stele iot revoke --device-id ID --key HEX', flags: { ...RPC, ...KEY, ...DEVICE } },
  transfer: { name: 'iot transfer', summary: 'Transfer a device to another owner', usage: 'stele iot transfer --device-id ID --to ADDRESS --key HEX', flags: { ...RPC, ...KEY, ...DEVICE, to: { type: 'string', value: 'ADDRESS', description: 'The new owner' } } },
  'approve-firmware': { name: 'iot approve-firmware', summary: 'Approve (or --revoke) a firmware hash for your devices; --required sets the policy', usage: 'stele iot approve-firmware --firmware HASH [--revoke] [--required true|false] --key HEX', flags: { ...RPC, ...KEY, firmware: { type: 'string', value: 'HASH', description: 'Firmware hash' }, revoke: { type: 'boolean', description: 'Withdraw the approval' }, required: { type: 'string', value: 'BOOL', description: 'Accept readings only from approved firmware' } } },
  list: { name: 'iot list', summary: 'List registered devices and their key histories', usage: 'stele iot list [--owner ADDRESS]', flags: { ...RPC, owner: { type: 'string', value: 'ADDRESS', description: 'Only devices of this owner' }, offset: { type: 'integer', default: 0, value: 'N', description: 'Skip this many' }, limit: { type: 'integer', default: 1000, value: 'N', description: 'At most this many' } } },
  proof: { name: 'iot proof', summary: 'Fetch the proof of a reading', usage: 'stele iot proof --device-id ID --seq N --out P', flags: { ...RPC, ...DEVICE, seq: { type: 'integer', value: 'N', description: 'The reading seq' }, out: { type: 'string', value: 'P', description: 'Where to write the proof (JSON)' } } },
  verify: { name: 'iot verify', summary: 'Verify a reading proof offline against genesis; exit 0 with the claims, or 1 naming the failed step', usage: 'stele iot verify READING.json --proof P --genesis G', positionals: [1, 1], flags: { proof: { type: 'string', value: 'P', description: 'The proof bundle' }, genesis: { type: 'string', value: 'G', description: "The chain's genesis.json" } } },
  simulate: { name: 'iot simulate', summary: 'Register N simulated devices and send signed readings at R/s for S seconds', usage: 'stele iot simulate --devices N --rate R --duration S [--mqtt URL] --key HEX', flags: { ...RPC, ...KEY, devices: { type: 'integer', default: 10, value: 'N', description: 'Devices' }, rate: { type: 'number', default: 100, value: 'R', description: 'Readings per second, all devices together' }, duration: { type: 'number', default: 10, value: 'S', description: 'Seconds' }, mqtt: { type: 'string', value: 'URL', description: 'Send over MQTT (mqtt://host:port) instead of HTTP' }, 'key-type': { type: 'string', default: 'p256', value: 'TYPE', description: 'p256, ed25519, secp256k1 or mixed' }, seed: { type: 'string', default: 'stele simulate', value: 'TEXT', description: 'Device keys derive from it: the same seed reuses the devices' } } },
}

export const iotCommand: Command = defineCommandGroup('iot', 'Devices and telemetry (keygen, register, rotate, revoke, transfer, approve-firmware, list, proof, verify, simulate)', SUBCOMMANDS, async (sub, args) => {
  const f = args.flags
  const rpcUrl = String(f.rpc)
  const need = (name: string): string => {
    const v = f[name] ?? (name === 'key' ? process.env.STELE_KEY : undefined)
    if (v === undefined || v === '') throw new SteleError(ErrorCode.InvalidInput, `--${name} is required`)
    return String(v)
  }
  const print = (value: unknown) => console.log(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2))
  switch (sub) {
    case 'keygen': {
      const keyType = parseKeyType(String(f['key-type']))
      const secretKey = new Uint8Array(randomBytes(32))
      print({ keyType, secretKey: bytesToHex(secretKey), publicKey: bytesToHex(devicePublicKey(keyType, secretKey)) })
      return 0
    }
    case 'register':
      print(await iotRegister({ rpcUrl, privateKey: need('key'), deviceId: need('device-id'), keyType: String(f['key-type']), pubkey: need('pubkey'), ...(f.firmware === undefined ? {} : { firmware: String(f.firmware) }), metadata: String(f.meta) }))
      return 0
    case 'rotate':
      print(await iotRotate({ rpcUrl, privateKey: need('key'), deviceId: need('device-id'), keyType: String(f['key-type']), pubkey: need('pubkey') }))
      return 0
    case 'revoke':
      print(await iotRevoke({ rpcUrl, privateKey: need('key'), deviceId: need('device-id') }))
      return 0
    case 'transfer':
      print(await iotTransfer({ rpcUrl, privateKey: need('key'), deviceId: need('device-id'), to: need('to') }))
      return 0
    case 'approve-firmware': {
      const required = f.required === undefined ? undefined : String(f.required) === 'true'
      print(await iotApproveFirmware({ rpcUrl, privateKey: need('key'), firmware: need('firmware'), approved: f.revoke !== true, ...(required === undefined ? {} : { required }) }))
      return 0
    }
    case 'list':
      print(await iotList({ rpcUrl, ...(f.owner === undefined ? {} : { owner: String(f.owner) }), offset: Number(f.offset), limit: Number(f.limit) }))
      return 0
    case 'proof': {
      const id = bytesToHex(deviceIdBytes(need('device-id')))
      const url = `${new URL(rpcUrl).origin}/v1/telemetry/${id}/${need('seq')}/proof`
      const response = await fetch(url)
      const text = await response.text()
      if (!response.ok) throw new SteleError(response.status === 404 ? ErrorCode.NotFound : ErrorCode.Network, `GET ${url}: ${response.status} ${text}`)
      writeFileSync(need('out'), text)
      console.log(`wrote ${need('out')}`)
      return 0
    }
    case 'verify': {
      const result = iotVerify({ readingFile: args.positionals[0] as string, proofFile: need('proof'), genesisFile: need('genesis') })
      print(result)
      return result.valid ? 0 : 1
    }
    case 'simulate':
      print(
        await iotSimulate({
          rpcUrl,
          privateKey: need('key'),
          devices: Number(f.devices),
          rate: Number(f.rate),
          durationS: Number(f.duration),
          ...(f.mqtt === undefined ? {} : { mqttUrl: String(f.mqtt) }),
          keyType: String(f['key-type']),
          seed: String(f.seed),
          log: (line) => console.error(line),
        }),
      )
      return 0
    default:
      return 2
  }
})
