import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseGenesis, type GenesisJson } from '../../../chain/genesis.js'
import { deriveDevKeys } from '../../../crypto/hdKeys.js'
import { keccak256 } from '../../../crypto/keccak.js'
import { privateKeyToAddress } from '../../../crypto/secp256k1.js'
import { startNode } from '../../../node/node.js'
import { systemGenesisAccounts } from '../../../node/systemContracts.js'
import { bigintToHex, bytesToHex, utf8ToBytes } from '../../../primitives/bytes.js'
import { isSteleError } from '../../../primitives/errors.js'
import { silentLogger } from '../../../primitives/logger.js'
import { createMemoryStore } from '../../../state/kvStore.js'
import { startIotService } from '../iotService.js'
import { deviceRegistryGenesisAccount } from '../registry/deviceRegistry.js'
import { testDeviceKey } from '../testing/deviceFixtures.js'
import { iotList, iotRegister, iotRevoke, iotRotate } from './deviceCommands.js'
import { createRpcClient } from './rpcClient.js'
import { iotSimulate } from './simulateCommand.js'

test('stele iot commands against a dev node: register, rotate, list, revoke; simulate sends accepted readings', async () => {
  const nodeKey = keccak256(utf8ToBytes('iot cli node key'))
  const [owner, stranger] = deriveDevKeys(2)
  const registry = deviceRegistryGenesisAccount()
  const json: GenesisJson = {
    chainId: 1337,
    gasLimit: bigintToHex(100_000_000n),
    baseFeePerGas: bigintToHex(1_000_000_000n),
    timestamp: bigintToHex(BigInt(Math.floor(Date.now() / 1000)) - 5n),
    validators: [bytesToHex(privateKeyToAddress(nodeKey))],
    // The lead adds the device registry to systemGenesisAccounts(); until then (or twice, harmlessly) we add it here.
    alloc: { ...systemGenesisAccounts(), [registry.addressHex]: { code: bytesToHex(registry.code), balance: '0x0', nonce: '0x1' } },
  }
  for (const k of [owner!, stranger!]) json.alloc![bytesToHex(k.address)] = { balance: bigintToHex(10n ** 22n) }
  const node = await startNode({ genesis: parseGenesis(json), nodeKey, dataDir: undefined, rpc: { host: '127.0.0.1', port: 0 }, blockPeriodMs: 0, clientVersion: 'stele/test', logger: silentLogger })
  const rpcUrl = node.rpc.url
  const privateKey = bytesToHex(owner!.privateKey)
  try {
    const k0 = testDeviceKey('p256', 'cli 0')
    const k1 = testDeviceKey('secp256k1', 'cli 1')
    const deviceId = bytesToHex(keccak256(utf8ToBytes('cli device')))
    const reg = await iotRegister({ rpcUrl, privateKey, deviceId, keyType: 'p256', pubkey: bytesToHex(k0.publicKey), metadata: '{"room":1}' })
    assert.equal(reg.deviceId, deviceId)
    await assert.rejects(iotRegister({ rpcUrl, privateKey, deviceId, keyType: 'p256', pubkey: bytesToHex(k0.publicKey) }), (e) => isSteleError(e) && /already registered/.test(e.message))
    await assert.rejects(
      iotRotate({ rpcUrl, privateKey: bytesToHex(stranger!.privateKey), deviceId, keyType: 'secp256k1', pubkey: bytesToHex(k1.publicKey) }),
      (e) => isSteleError(e) && /not the owner/.test(e.message),
    )
    await iotRotate({ rpcUrl, privateKey, deviceId, keyType: 'secp256k1', pubkey: bytesToHex(k1.publicKey) })
    let listed = await iotList({ rpcUrl, owner: bytesToHex(owner!.address) })
    assert.equal(listed.total, 1)
    assert.deepEqual(listed.devices[0]!.keys.map((k) => [k.keyType, k.publicKey, k.validUntil === undefined]), [
      ['p256', bytesToHex(k0.publicKey), false],
      ['secp256k1', bytesToHex(k1.publicKey), true],
    ])
    assert.equal(listed.devices[0]!.metadata, '{"room":1}')
    await iotRevoke({ rpcUrl, privateKey, deviceId })
    listed = await iotList({ rpcUrl })
    assert.ok(listed.devices[0]!.revokedAt)
    assert.equal((await iotList({ rpcUrl, owner: bytesToHex(stranger!.address) })).devices.length, 0)

    // simulate: the IoT service on its own server (the node mounts it on the RPC port), reading the
    // registry through the node's eth_call, verifying on a worker thread.
    const rpc = createRpcClient(rpcUrl)
    const iot = await startIotService({ store: createMemoryStore(), call: (to, data) => rpc.call(to, data), anchor: () => undefined, proofReader: undefined as never, verifierThreads: 1 })
    const server = createServer((req, res) => void iot.handleHttp(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const telemetryUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/telemetry`
      const result = await iotSimulate({ rpcUrl, privateKey, devices: 6, rate: 60, durationS: 1.5, telemetryUrl, keyType: 'mixed', seed: 'cli test' })
      assert.equal(result.registered, 6)
      assert.ok(result.sent >= 60, `sent ${result.sent}`)
      assert.equal(result.accepted, result.sent, JSON.stringify(result.rejected))
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await iot.stop()
    }
  } finally {
    await node.stop()
  }
})
