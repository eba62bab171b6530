import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { waitUntil } from './processHarness.js'
import { devGenesis } from '../../src/cli/dev/devCommand.js'
import { deriveDevKeys } from '../../src/crypto/hdKeys.js'
import { keccak256 } from '../../src/crypto/keccak.js'
import { privateKeyToAddress } from '../../src/crypto/secp256k1.js'
import { iotRegister, iotRotate } from '../../src/data/iot/cli/deviceCommands.js'
import { createRpcClient } from '../../src/data/iot/cli/rpcClient.js'
import { DEVICE_REGISTRY_ADDRESS_HEX } from '../../src/data/iot/deviceRegistryAbi.js'
import { signReading, testDeviceKey } from '../../src/data/iot/testing/deviceFixtures.js'
import { verifyTelemetryProof } from '../../src/data/iot/verifyTelemetryProof.js'
import { startNode, type SteleNode } from '../../src/node/node.js'
import { bytesToHex, utf8ToBytes } from '../../src/primitives/bytes.js'
import { silentLogger } from '../../src/primitives/logger.js'

// A dev node as users run it: the device registry in genesis, telemetry on the RPC port, readings anchored
// by the node's own blocks, proofs verified offline against the genesis the node reports.
const [owner] = deriveDevKeys(1)
let node: SteleNode
let wired = false

before(async () => {
  const nodeKey = keccak256(utf8ToBytes('iot e2e node'))
  const genesis = devGenesis({ chainId: 1337n, validator: privateKeyToAddress(nodeKey), funded: [owner!.address], balanceWei: 10n ** 22n, gasLimit: 100_000_000n, baseFee: 1_000_000_000n })
  node = await startNode({ genesis, nodeKey, dataDir: undefined, rpc: { host: '127.0.0.1', port: 0 }, blockPeriodMs: 0, clientVersion: 'stele/test', logger: silentLogger })
  const code = await createRpcClient(node.rpc.url).request<string>('eth_getCode', [DEVICE_REGISTRY_ADDRESS_HEX, 'latest'])
  const route = await fetch(`${node.rpc.url}/v1/telemetry/${bytesToHex(new Uint8Array(32))}`)
  wired = code !== '0x' && route.status === 200
  if (!wired) console.log('# the node does not serve the device registry and /v1/telemetry yet (lead wiring pending): skipping the IoT e2e test')
})
after(async () => node?.stop())

test('e2e: register and rotate over RPC, post readings over HTTP, fetch proofs once anchored, verify them offline', async (t) => {
  if (!wired) return t.skip('node not wired for IoT yet')
  const rpcUrl = node.rpc.url
  const rpc = createRpcClient(rpcUrl)
  const privateKey = bytesToHex(owner!.privateKey)
  const deviceId = keccak256(utf8ToBytes('e2e device'))
  const k0 = testDeviceKey('p256', 'e2e 0')
  const k1 = testDeviceKey('ed25519', 'e2e 1')
  await iotRegister({ rpcUrl, privateKey, deviceId: bytesToHex(deviceId), keyType: 'p256', pubkey: bytesToHex(k0.publicKey) })
  // Readings must not predate the registration block's timestamp (whole seconds).
  const registeredAt = Date.now()
  const post = async (readings: unknown[]) => {
    const response = await fetch(`${rpcUrl}/v1/telemetry`, { method: 'POST', body: JSON.stringify(readings) })
    assert.equal(response.status, 200)
    return (await response.json()) as { results: { status: string; reason?: string }[] }
  }
  const first = await post([1, 2].map((seq) => signReading(k0, { deviceId, seq, time: registeredAt, payload: { seq } })))
  assert.deepEqual(first.results.map((r) => r.reason ?? r.status), ['accepted', 'accepted'])

  // Key validity is per second: the rotation must land in a later second than reading 2.
  await waitUntil('the clock to pass into the next second', async () => (Math.floor(Date.now() / 1000) > Math.floor(registeredAt / 1000) ? true : undefined), 2_000, 20)
  await iotRotate({ rpcUrl, privateKey, deviceId: bytesToHex(deviceId), keyType: 'ed25519', pubkey: bytesToHex(k1.publicKey) })
  const now = Date.now()
  const second = await post([signReading(k0, { deviceId, seq: 3, time: now, payload: 3 }), signReading(k1, { deviceId, seq: 4, time: now, payload: 4 })])
  assert.deepEqual(second.results.map((r) => r.reason ?? r.status), ['BAD_SIGNATURE', 'accepted'])

  const genesis = await rpc.request('stele_getGenesis')
  for (const [seq, keyIndex] of [[2, 0], [4, 1]] as const) {
    const deadline = Date.now() + 30_000
    let response: Response
    for (;;) {
      response = await fetch(`${rpcUrl}/v1/telemetry/${bytesToHex(deviceId)}/${seq}/proof`)
      if (response.status !== 409 || Date.now() > deadline) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.equal(response.status, 200, `proof of reading ${seq}: ${await response.clone().text()}`)
    const result = verifyTelemetryProof(await response.text(), genesis)
    assert.ok(result.valid, result.valid ? '' : `${result.failedStep}: ${result.reason}`)
    assert.equal(result.claims.key.index, keyIndex)
    assert.equal(result.claims.owner, bytesToHex(owner!.address))
  }
})
