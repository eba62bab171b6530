import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startNode, type SteleNode } from '../../src/node/node.js'
import { devGenesis } from '../../src/cli/dev/devCommand.js'
import { deriveDevKeys } from '../../src/crypto/hdKeys.js'
import { keccak256 } from '../../src/crypto/keccak.js'
import { privateKeyToAddress } from '../../src/crypto/secp256k1.js'
import { bytesToHex } from '../../src/primitives/bytes.js'
import { silentLogger } from '../../src/primitives/logger.js'
import { DATA_REGISTRY_ADDRESS, encodeRegisterCall } from '../../src/data/registry/dataRegistry.js'
import { verifyProofBundle } from '../../src/data/verify/verifyProof.js'
import { signEip1559Tx } from '../fixtures/rawTx.js'
import { rpc, waitUntil } from './processHarness.js'

// Trusted data through a dev node: register a file, anchor hashes, fetch proof bundles over RPC, and
// verify them offline against nothing but genesis.
let node: SteleNode
let genesisJson: unknown
const [owner] = deriveDevKeys(1)

before(async () => {
  const nodeKey = deriveDevKeys(2)[1]!.privateKey
  const genesis = devGenesis({ chainId: 1337n, validator: privateKeyToAddress(nodeKey), funded: [owner!.address], balanceWei: 10n ** 22n, gasLimit: 100_000_000n, baseFee: 1_000_000_000n })
  node = await startNode({ genesis, nodeKey, dataDir: undefined, rpc: { host: '127.0.0.1', port: 0 }, clientVersion: 'stele/test', logger: silentLogger })
  genesisJson = await rpc(node.rpc.url, 'stele_getGenesis')
})
after(async () => node?.stop())

test('a registered file proves who registered it, when and under what licence, offline', async () => {
  const file = new TextEncoder().encode('the quarterly sensor dataset, v1')
  const contentHash = keccak256(file)
  const tx = signEip1559Tx(
    { chainId: 1337n, nonce: 0n, maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1n, gas: 500_000n, to: DATA_REGISTRY_ADDRESS, value: 0n, data: encodeRegisterCall(contentHash, 'CC-BY-4.0', '{"title":"sensors"}') },
    owner!.privateKey,
  )
  await rpc(node.rpc.url, 'eth_sendRawTransaction', [tx.raw])
  const receipt = await waitUntil('registration receipt', () => rpc<{ status: string } | null>(node.rpc.url, 'eth_getTransactionReceipt', [tx.hash]).then((r) => r ?? undefined))
  assert.equal(receipt.status, '0x1')

  const record = await rpc<{ owner: string; licence: string }>(node.rpc.url, 'stele_getDataRecord', [bytesToHex(contentHash)])
  assert.equal(record.owner, bytesToHex(owner!.address))
  assert.equal(record.licence, 'CC-BY-4.0')

  const bundle = await rpc(node.rpc.url, 'stele_getDataProof', [bytesToHex(contentHash)])
  const result = verifyProofBundle(JSON.parse(JSON.stringify(bundle)), genesisJson, { file })
  assert.equal(result.valid, true, JSON.stringify(result, (_, v) => (typeof v === "bigint" ? v.toString() : v)))
  if (result.valid) {
    assert.equal(result.claims.owner, bytesToHex(owner!.address))
    assert.equal(result.claims.registrant, bytesToHex(owner!.address))
    assert.equal(result.claims.licence, 'CC-BY-4.0')
  }
  const tampered = file.slice()
  tampered[0] = (tampered[0] as number) ^ 1
  const bad = verifyProofBundle(bundle, genesisJson, { file: tampered })
  assert.equal(bad.valid, false)
  if (!bad.valid) assert.equal(bad.failedStep, 'contentHash')
})

test('anchored hashes become final with a proof every node could serve', async () => {
  const hashes = [1, 2, 3].map((i) => bytesToHex(keccak256(Uint8Array.of(i, 7, 7))))
  const statuses = await rpc<{ status: string }[]>(node.rpc.url, 'stele_anchor', [hashes])
  assert.equal(statuses.length, 3)
  await waitUntil('anchored', async () => {
    const now = await rpc<{ status: string }[]>(node.rpc.url, 'stele_getAnchorStatus', [hashes])
    return now.every((s) => s.status === 'anchored') ? true : undefined
  })
  const again = await rpc<{ status: string; blockNumber: string }[]>(node.rpc.url, 'stele_anchor', [[hashes[0]]])
  assert.equal(again[0]!.status, 'anchored', 'anchoring twice returns the first anchoring')
  for (const hash of hashes) {
    const bundle = await rpc(node.rpc.url, 'stele_getAnchorProof', [hash])
    const result = verifyProofBundle(bundle, genesisJson)
    assert.equal(result.valid, true, JSON.stringify(result, (_, v) => (typeof v === "bigint" ? v.toString() : v)))
  }
})

test('stele_anchor refuses a batch over 10,000, malformed hex and wrong lengths, anchoring none of it', async () => {
  const tooMany = Array.from({ length: 10_001 }, (_, i) => bytesToHex(keccak256(Uint8Array.of(i & 255, i >> 8, 9))))
  await assert.rejects(rpc(node.rpc.url, 'stele_anchor', [tooMany]), /10,?000/)
  const good = bytesToHex(keccak256(Uint8Array.of(42)))
  await assert.rejects(rpc(node.rpc.url, 'stele_anchor', [[good, '0xzz']]))
  await assert.rejects(rpc(node.rpc.url, 'stele_anchor', [[good, '0x1234']]))
  const status = await rpc<{ status: string }[]>(node.rpc.url, 'stele_getAnchorStatus', [[good]])
  assert.equal(status[0]!.status, 'unknown', 'nothing of a refused batch is anchored')
})
