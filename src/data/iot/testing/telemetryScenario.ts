import { createBlock } from '@ethereumjs/block'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Account, createAddressFromString } from '@ethereumjs/util'
import { createVM, type VM } from '@ethereumjs/vm'
import { createChainCommon } from '../../../execution/common.js'
import { privateKeyToAddress } from '../../../crypto/secp256k1.js'
import { bytesToHex } from '../../../primitives/bytes.js'
import { createMemoryStore, type KvStore } from '../../../state/kvStore.js'
import { createFakeChain, type FakeChain } from '../../testing/fakeChain.js'
import { testKey } from '../../testing/proofScenario.js'
import { createDeviceReader, type DeviceReader } from '../deviceReader.js'
import { createTelemetryIngestor, type TelemetryIngestor } from '../ingest.js'
import { DEVICE_REGISTRY_ADDRESS_HEX } from '../deviceRegistryAbi.js'
import { decodeRevertReason, deviceRegistryGenesisAccount, encodeRegisterDeviceCall, encodeRevokeCall, encodeRotateKeyCall, encodeTransferDeviceCall } from '../registry/deviceRegistry.js'
import { signReading, testDeviceId, testDeviceKey, type TestDeviceKey } from './deviceFixtures.js'

/**
 * A sealed chain whose registry events come from the real contract run in @ethereumjs/vm (each call at its
 * block's timestamp), with readings ingested against that contract's state and anchored in later blocks:
 *   1 register (P-256 key 0)       3 anchors reading A (key 0)    4 rotate to Ed25519 key 1
 *   5 transfer to bob              6 anchors reading B (key 1)    7 revoke
 * Fake-chain block n has timestamp 1_760_000_000 + 2n.
 */
export interface TelemetryScenario {
  chain: FakeChain
  store: KvStore
  ingestor: TelemetryIngestor
  reader: DeviceReader
  deviceId: Uint8Array
  keys: [TestDeviceKey, TestDeviceKey]
  org: Uint8Array
  bob: Uint8Array
  /** Seqs of the two ingested readings. */
  seqA: number
  seqB: number
  /** Anchors a hash in a new block (for hand-made bundles). */
  anchorBlock(hashes: Uint8Array[]): Promise<void>
  clock: { now: number }
}

export const SCENARIO_BASE_TIME = 1_760_000_000n
export const blockTime = (n: bigint) => SCENARIO_BASE_TIME + 2n * n

export async function buildTelemetryScenario(): Promise<TelemetryScenario> {
  const chainId = 1337n
  const validatorKeys = [testKey('validator 0'), testKey('validator 1'), testKey('validator 2'), testKey('validator 3')]
  const chain = createFakeChain({ chainId, validatorKeys })
  const common = createChainCommon(chainId)
  const vm: VM = await createVM({ common })
  const registry = createAddressFromString(DEVICE_REGISTRY_ADDRESS_HEX)
  const acct = deviceRegistryGenesisAccount()
  await vm.stateManager.putAccount(registry, new Account(acct.nonce, acct.balance))
  await vm.stateManager.putCode(registry, acct.code)

  const orgKey = testKey('iot org')
  const bobKey = testKey('iot bob')
  const org = privateKeyToAddress(orgKey)
  const bob = privateKeyToAddress(bobKey)
  const nonces = new Map<string, bigint>()
  const head = () => chain.blocks[chain.blocks.length - 1]!.header.number

  /** Runs a registry call as the next block's only transaction and seals that block with the real logs. */
  const registryBlock = async (senderKey: Uint8Array, data: Uint8Array) => {
    const sender = privateKeyToAddress(senderKey)
    const nonce = nonces.get(bytesToHex(sender)) ?? 0n
    nonces.set(bytesToHex(sender), nonce + 1n)
    const tx = createFeeMarket1559Tx({ chainId, nonce, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n, gasLimit: 500_000n, to: registry, data }, { common }).sign(senderKey)
    const number = head() + 1n
    const block = createBlock({ header: { number, timestamp: blockTime(number) } }, { common })
    const result = await vm.evm.runCall({ caller: createAddressFromString(bytesToHex(sender)), to: registry, data, gasLimit: 500_000n, block })
    if (result.execResult.exceptionError) throw new Error(`registry call failed: ${decodeRevertReason(result.execResult.returnValue)}`)
    const logs = (result.execResult.logs ?? []).map(([address, topics, logData]) => ({ address, topics, data: logData }))
    await chain.addBlock({ transactions: [tx.serialize()], receipts: [{ type: 2, status: 1, cumulativeGasUsed: 100_000n, logsBloom: new Uint8Array(256), logs }] })
    reader.onBlockCommitted(logs)
  }

  const reader = createDeviceReader({
    call: async (to, data) => {
      const number = head()
      const block = createBlock({ header: { number, timestamp: blockTime(number) } }, { common })
      const r = await vm.evm.runCall({ to: createAddressFromString(bytesToHex(to)), data, gasLimit: 10_000_000n, block })
      if (r.execResult.exceptionError) throw new Error('eth_call reverted')
      return r.execResult.returnValue
    },
  })
  const store = createMemoryStore()
  const clock = { now: 0 }
  let pendingAnchors: Uint8Array[] = []
  const ingestor = createTelemetryIngestor({
    store,
    readDevice: (id) => reader.readDevice(id),
    isFirmwareApproved: (o, f) => reader.isFirmwareApproved(o, f),
    anchor: (hashes) => pendingAnchors.push(...hashes),
    clock: { now: () => clock.now },
  })
  const anchorBlock = async (hashes: Uint8Array[]) => {
    await chain.addBlock({ anchors: hashes })
  }
  const flushAnchors = async () => {
    const hashes = pendingAnchors
    pendingAnchors = []
    await anchorBlock(hashes)
  }

  const deviceId = testDeviceId('scenario')
  const keys: [TestDeviceKey, TestDeviceKey] = [testDeviceKey('p256', 'scenario 0'), testDeviceKey('ed25519', 'scenario 1')]
  await registryBlock(orgKey, encodeRegisterDeviceCall({ deviceId, keyType: 'p256', publicKey: keys[0].publicKey, metadata: '{"model":"T-1000"}' })) // 1
  await chain.addBlock() // 2
  clock.now = Number(blockTime(2n)) * 1000 + 500
  const a = await ingestor.ingest(signReading(keys[0], { deviceId, seq: 1, time: clock.now, payload: { temp: 20.5 } }))
  if (a.accepted !== 1) throw new Error(`reading A rejected: ${JSON.stringify(a.results)}`)
  await flushAnchors() // 3
  await registryBlock(orgKey, encodeRotateKeyCall(deviceId, 'ed25519', keys[1].publicKey)) // 4
  await registryBlock(orgKey, encodeTransferDeviceCall(deviceId, bob)) // 5
  clock.now = Number(blockTime(5n)) * 1000 + 700
  const b = await ingestor.ingest(signReading(keys[1], { deviceId, seq: 2, time: clock.now, payload: { temp: 21 } }))
  if (b.accepted !== 1) throw new Error(`reading B rejected: ${JSON.stringify(b.results)}`)
  await flushAnchors() // 6
  await registryBlock(bobKey, encodeRevokeCall(deviceId)) // 7
  return { chain, store, ingestor, reader, deviceId, keys, org, bob, seqA: 1, seqB: 2, anchorBlock, clock }
}

