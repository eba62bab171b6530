import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEVM } from '@ethereumjs/evm'
import { Account, createAddressFromString } from '@ethereumjs/util'
import { keccak256 } from '../crypto/keccak.js'
import { createChainCommon } from '../execution/common.js'
import { bytesToHex, utf8ToBytes } from '../primitives/bytes.js'
import { isSteleError } from '../primitives/errors.js'
import { createAnchorPool } from './anchorPool.js'
import { nativeVerifierCrypto } from './nativeVerifierCrypto.js'
import { dataRegistryGenesisAccount, DATA_REGISTRY_ADDRESS_HEX, encodeRegisterCall } from './registry/dataRegistry.js'
import { createDataRpcMethods } from './rpcMethods.js'
import { buildProofScenario, SCENARIO_FILE } from './testing/proofScenario.js'
import { verifyProofBundle } from './verify/verifyProof.js'

test('stele_* data methods: anchor, status, proofs and records', async () => {
  const s = await buildProofScenario(4)
  const pool = createAnchorPool({ lookup: (h) => s.chain.reader.anchorLocation(h) })
  const evm = await createEVM({ common: createChainCommon(1337n) })
  const registry = createAddressFromString(DATA_REGISTRY_ADDRESS_HEX)
  const acct = dataRegistryGenesisAccount()
  await evm.stateManager.putAccount(registry, new Account(acct.nonce))
  await evm.stateManager.putCode(registry, acct.code)
  const callRegistry = async (data: Uint8Array) => (await evm.runCall({ to: registry, data, gasLimit: 3_000_000n })).execResult.returnValue
  const methods = createDataRpcMethods({ pool, reader: s.chain.reader, callRegistry })
  const call = (name: string, ...params: unknown[]) => methods[name]!(params)

  const fresh = keccak256(utf8ToBytes('fresh'))
  const statuses = (await call('stele_anchor', [bytesToHex(fresh), bytesToHex(s.anchored[0]!)])) as { status: string; blockNumber?: string; index?: number }[]
  assert.equal(statuses[0]!.status, 'pending')
  assert.deepEqual(statuses[1], { hash: bytesToHex(s.anchored[0]!), status: 'anchored', blockNumber: '0x1', blockHash: bytesToHex(s.chain.blocks[1]!.hash), index: 0 })
  await assert.rejects(call('stele_anchor', Array(10_001).fill(bytesToHex(fresh))), (e) => isSteleError(e, 'OVERSIZED_DATA'))
  await assert.rejects(call('stele_anchor', [bytesToHex(keccak256(utf8ToBytes('x'))), '0x12']), (e) => isSteleError(e, 'INVALID_INPUT'))
  assert.equal(pool.pendingCount, 1)
  const unknown = (await call('stele_getAnchorStatus', [bytesToHex(keccak256(utf8ToBytes('never')))])) as { status: string }[]
  assert.equal(unknown[0]!.status, 'unknown')

  await assert.rejects(call('stele_getAnchorProof', bytesToHex(fresh)), (e) => isSteleError(e, 'NOT_FOUND') && /pending/.test(e.message))
  await assert.rejects(call('stele_getAnchorProof', '0x1234'), (e) => isSteleError(e, 'INVALID_HEX'))
  const anchorProof = await call('stele_getAnchorProof', bytesToHex(s.anchored[2]!))
  assert.equal(verifyProofBundle(JSON.stringify(anchorProof), s.chain.genesis, { crypto: nativeVerifierCrypto }).valid, true)

  const dataProof = await call('stele_getDataProof', bytesToHex(keccak256(SCENARIO_FILE)))
  assert.equal(verifyProofBundle(JSON.stringify(dataProof), s.chain.genesis, { crypto: nativeVerifierCrypto, file: SCENARIO_FILE }).valid, true)
  await assert.rejects(call('stele_getDataProof', bytesToHex(fresh)), (e) => isSteleError(e, 'NOT_FOUND'))

  const txProof = await call('stele_getTransactionProof', bytesToHex(s.txHashes.legacy))
  assert.equal(verifyProofBundle(JSON.stringify(txProof), s.chain.genesis, { crypto: nativeVerifierCrypto }).valid, true)

  assert.equal(await call('stele_getDataRecord', bytesToHex(fresh)), null)
  const alice = createAddressFromString(bytesToHex(s.alice))
  await evm.runCall({ caller: alice, to: registry, data: encodeRegisterCall(fresh, 'MIT', 'm'), gasLimit: 3_000_000n })
  const record = (await call('stele_getDataRecord', bytesToHex(fresh))) as Record<string, unknown>
  assert.equal(record.owner, bytesToHex(s.alice))
  assert.equal(record.licence, 'MIT')
  assert.deepEqual((record.history as { kind: string }[]).map((h) => h.kind), ['registration'])
})
