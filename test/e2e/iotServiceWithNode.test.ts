import { test } from 'node:test'
import assert from 'node:assert/strict'
import { waitUntil } from './processHarness.js'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { genesisToJson, parseGenesis } from '../../src/chain/genesis.js'
import { devGenesis } from '../../src/cli/dev/devCommand.js'
import { deriveDevKeys } from '../../src/crypto/hdKeys.js'
import { keccak256 } from '../../src/crypto/keccak.js'
import { privateKeyToAddress } from '../../src/crypto/secp256k1.js'
import { iotRegister, iotRotate } from '../../src/data/iot/cli/deviceCommands.js'
import { createRpcClient } from '../../src/data/iot/cli/rpcClient.js'
import { startIotService } from '../../src/data/iot/iotService.js'
import { deviceRegistryGenesisAccount } from '../../src/data/iot/registry/deviceRegistry.js'
import { signReading, testDeviceKey } from '../../src/data/iot/testing/deviceFixtures.js'
import { verifyTelemetryProof } from '../../src/data/iot/verifyTelemetryProof.js'
import { startNode } from '../../src/node/node.js'
import { createProofChainReader } from '../../src/node/proofChainReader.js'
import { bytesToHex, equalBytes, utf8ToBytes } from '../../src/primitives/bytes.js'
import { silentLogger } from '../../src/primitives/logger.js'
import { createMemoryStore } from '../../src/state/kvStore.js'

/**
 * The IoT service wired to a real dev node from outside it, the way the node will wire it inside: registry
 * reads through eth_call, anchoring through stele_anchor, proofs from the node's blocks and receipts.
 * (test/e2e/iotNode.test.ts covers the node's own wiring once it exists.)
 */
test('IoT service on a real dev node: rotation honoured, readings anchored by real blocks, proofs verify offline', async () => {
  const [owner] = deriveDevKeys(1)
  const nodeKey = keccak256(utf8ToBytes('iot service e2e node'))
  const json = genesisToJson(devGenesis({ chainId: 1337n, validator: privateKeyToAddress(nodeKey), funded: [owner!.address], balanceWei: 10n ** 22n, gasLimit: 100_000_000n, baseFee: 1_000_000_000n }))
  const registry = deviceRegistryGenesisAccount()
  json.alloc = { ...json.alloc, [registry.addressHex]: { code: bytesToHex(registry.code), balance: '0x0', nonce: '0x1' } }
  const genesis = parseGenesis(json)
  const node = await startNode({ genesis, nodeKey, dataDir: undefined, rpc: { host: '127.0.0.1', port: 0 }, blockPeriodMs: 0, clientVersion: 'stele/test', logger: silentLogger })
  const rpcUrl = node.rpc.url
  const rpc = createRpcClient(rpcUrl)
  // The node's reader answers anchor locations from its store's index; from outside we scan its blocks.
  const chain = createProofChainReader(node.ledger, createMemoryStore(), genesis)
  const proofReader = {
    ...chain,
    anchorLocation(hash: Uint8Array) {
      for (let n = 1n; n <= chain.headNumber(); n++) {
        const block = chain.blockByNumber(n)
        const index = block?.anchors.findIndex((a) => equalBytes(a, hash)) ?? -1
        if (block && index >= 0) return { blockNumber: n, blockHash: block.hash, index }
      }
      return undefined
    },
  }
  const iot = await startIotService({
    store: createMemoryStore(),
    call: (to, data) => rpc.call(to, data),
    anchor: (hashes) => void rpc.request('stele_anchor', [hashes.map(bytesToHex)]),
    proofReader,
  })
  const server = createServer((req, res) => void iot.handleHttp(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const telemetry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/telemetry`
  try {
    const privateKey = bytesToHex(owner!.privateKey)
    const deviceId = keccak256(utf8ToBytes('service e2e device'))
    const k0 = testDeviceKey('p256', 'service e2e 0')
    const k1 = testDeviceKey('ed25519', 'service e2e 1')
    const post = async (readings: unknown[]) => {
      const response = await fetch(telemetry, { method: 'POST', body: JSON.stringify(readings) })
      assert.equal(response.status, 200)
      return ((await response.json()) as { results: { status: string; reason?: string }[] }).results.map((r) => r.reason ?? r.status)
    }
    await iotRegister({ rpcUrl, privateKey, deviceId: bytesToHex(deviceId), keyType: 'p256', pubkey: bytesToHex(k0.publicKey) })
    const registeredAt = Date.now()
    assert.deepEqual(await post([1, 2].map((seq) => signReading(k0, { deviceId, seq, time: registeredAt, payload: { seq } }))), ['accepted', 'accepted'])

    // Key validity is per second: the rotation must land in a later second than reading 2.
    await waitUntil('the clock to pass into the next second', async () => (Math.floor(Date.now() / 1000) > Math.floor(registeredAt / 1000) ? true : undefined), 2_000, 20)
    await iotRotate({ rpcUrl, privateKey, deviceId: bytesToHex(deviceId), keyType: 'ed25519', pubkey: bytesToHex(k1.publicKey) })
    // Stands in for the node calling onBlockCommitted with the rotation block's receipts.
    iot.reader.invalidateAll()
    const now = Date.now()
    assert.deepEqual(await post([signReading(k0, { deviceId, seq: 3, time: now, payload: 3 }), signReading(k1, { deviceId, seq: 4, time: now, payload: 4 })]), ['BAD_SIGNATURE', 'accepted'])

    const genesisJson = await rpc.request('stele_getGenesis')
    for (const [seq, keyIndex] of [[2, 0], [4, 1]] as const) {
      const deadline = Date.now() + 30_000
      let response: Response
      for (;;) {
        response = await fetch(`${telemetry}/${bytesToHex(deviceId)}/${seq}/proof`)
        if (response.status !== 409 || Date.now() > deadline) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const text = await response.text()
      assert.equal(response.status, 200, text)
      const result = verifyTelemetryProof(text, genesisJson)
      assert.ok(result.valid, result.valid ? '' : `${result.failedStep}: ${result.reason}`)
      assert.equal(result.claims.key.index, keyIndex)
      assert.equal(result.claims.owner, bytesToHex(owner!.address))
      assert.equal(result.claims.blockHash, bytesToHex(chain.blockByNumber(result.claims.blockNumber)!.hash))
    }
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await iot.stop()
    await node.stop()
  }
})
