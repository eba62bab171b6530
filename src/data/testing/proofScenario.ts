import { createFeeMarket1559Tx, createAccessList2930Tx, createLegacyTx } from '@ethereumjs/tx'
import { createAddressFromString } from '@ethereumjs/util'
import type { ConsensusReceipt, Log } from '../../chain/types.js'
import { createChainCommon } from '../../execution/common.js'
import { keccak256 } from '../../crypto/keccak.js'
import { privateKeyToAddress } from '../../crypto/secp256k1.js'
import { bigintToBytes, bytesToHex, padBytes, utf8ToBytes } from '../../primitives/bytes.js'
import { buildAnchorProof, buildRegistrationProof, buildTxProof } from '../proofs.js'
import type { AnchorProofBundle, RegistrationProofBundle, TransactionProofBundle } from '../verify/proofBundle.js'
import {
  DATA_REGISTRY_ADDRESS,
  encodeRegisterCall,
  encodeRegisteredData,
  encodeTransferCall,
  TOPIC_ERC20_TRANSFER,
  TOPIC_REGISTERED,
  TOPIC_TRANSFERRED,
} from '../verify/registryAbi.js'
import { createFakeChain, type FakeChain } from './fakeChain.js'

/**
 * A small chain with every kind of provable event, for the proof tests and the data bench:
 *   1: alice registers FILE (and the block anchors five hashes)
 *   2: an ERC-20 transfer (type 2) and an ETH transfer (legacy, EIP-155), an access-list tx (type 1)
 *   3: alice transfers FILE to bob
 *   4: the set grows by one validator (sealed by the old set)
 *   5: anchors one more hash (sealed by the new set)
 */
export const SCENARIO_FILE = utf8ToBytes('Stele proof scenario: the registered file.\n')
export const SCENARIO_LICENCE = 'CC-BY-4.0'
export const SCENARIO_METADATA = '{"title":"scenario file","mime":"text/plain"}'

export function testKey(label: string): Uint8Array {
  return keccak256(utf8ToBytes(`stele test key ${label}`))
}

export interface ProofScenario {
  chain: FakeChain
  validatorKeys: Uint8Array[]
  extraValidator: Uint8Array
  alice: Uint8Array
  bob: Uint8Array
  token: Uint8Array
  anchored: Uint8Array[]
  lateAnchor: Uint8Array
  txHashes: { erc20: Uint8Array; legacy: Uint8Array; accessList: Uint8Array }
  registration: RegistrationProofBundle
  anchorEarly: AnchorProofBundle
  anchorLate: AnchorProofBundle
  erc20Transfer: TransactionProofBundle
  legacyTransfer: TransactionProofBundle
  accessListTx: TransactionProofBundle
}

export async function buildProofScenario(validatorCount: number, chainId = 1337n): Promise<ProofScenario> {
  const validatorKeys = Array.from({ length: validatorCount }, (_, i) => testKey(`validator ${i}`))
  const extraKey = testKey('validator extra')
  const chain = createFakeChain({ chainId, validatorKeys: [...validatorKeys, extraKey], genesisValidators: validatorKeys.map(privateKeyToAddress) })
  const common = createChainCommon(chainId)
  const aliceKey = testKey('alice')
  const bobKey = testKey('bob')
  const alice = privateKeyToAddress(aliceKey)
  const bob = privateKeyToAddress(bobKey)
  const token = padBytes(Uint8Array.of(0x70, 0x4e), 20)
  const contentHash = keccak256(SCENARIO_FILE)
  const word = (a: Uint8Array) => padBytes(a, 32)
  const receipt = (type: number, logs: Log[], gas = 50_000n): ConsensusReceipt => ({ type, status: 1, cumulativeGasUsed: gas, logsBloom: new Uint8Array(256), logs })
  const fee = { maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n, gasLimit: 200_000n }

  const registerTx = createFeeMarket1559Tx(
    { ...fee, chainId, nonce: 0n, to: createAddressFromString(bytesToHex(DATA_REGISTRY_ADDRESS)), data: encodeRegisterCall(contentHash, SCENARIO_LICENCE, SCENARIO_METADATA) },
    { common },
  ).sign(aliceKey)
  const anchored = Array.from({ length: 5 }, (_, i) => keccak256(utf8ToBytes(`anchored document ${i}`)))
  // A padding transaction first, so the registration is at index 1 and its log is not the block's first.
  const padTx = createFeeMarket1559Tx({ ...fee, chainId, nonce: 0n, to: createAddressFromString(bytesToHex(bob)), value: 1n }, { common }).sign(bobKey)
  await chain.addBlock({
    transactions: [padTx.serialize(), registerTx.serialize()],
    receipts: [
      receipt(2, [{ address: token, topics: [TOPIC_ERC20_TRANSFER, word(bob), word(alice)], data: word(Uint8Array.of(1)) }], 21_000n),
      receipt(2, [{ address: DATA_REGISTRY_ADDRESS, topics: [TOPIC_REGISTERED, contentHash, word(alice)], data: encodeRegisteredData(SCENARIO_LICENCE, SCENARIO_METADATA) }], 120_000n),
    ],
    anchors: anchored,
  })

  const erc20Tx = createFeeMarket1559Tx(
    { ...fee, chainId, nonce: 1n, to: createAddressFromString(bytesToHex(token)), data: new Uint8Array([0xa9, 0x05, 0x9c, 0xbb, ...word(bob), ...word(bigintToBytes(300n))]) },
    { common },
  ).sign(aliceKey)
  const legacyTx = createLegacyTx({ nonce: 1n, gasPrice: 2_000_000_000n, gasLimit: 21_000n, to: createAddressFromString(bytesToHex(alice)), value: 10n ** 18n }, { common }).sign(bobKey)
  const accessListTx = createAccessList2930Tx(
    { chainId, nonce: 2n, gasPrice: 2_000_000_000n, gasLimit: 30_000n, to: createAddressFromString(bytesToHex(bob)), value: 7n, accessList: [{ address: bytesToHex(token), storageKeys: [bytesToHex(new Uint8Array(32))] }] },
    { common },
  ).sign(aliceKey)
  await chain.addBlock({
    transactions: [erc20Tx.serialize(), legacyTx.serialize(), accessListTx.serialize()],
    receipts: [
      receipt(2, [{ address: token, topics: [TOPIC_ERC20_TRANSFER, word(alice), word(bob)], data: word(bigintToBytes(300n)) }], 40_000n),
      receipt(0, [], 61_000n),
      receipt(1, [], 90_000n),
    ],
  })

  const transferTx = createFeeMarket1559Tx(
    { ...fee, chainId, nonce: 3n, to: createAddressFromString(bytesToHex(DATA_REGISTRY_ADDRESS)), data: encodeTransferCall(contentHash, bob) },
    { common },
  ).sign(aliceKey)
  await chain.addBlock({
    transactions: [transferTx.serialize()],
    receipts: [receipt(2, [{ address: DATA_REGISTRY_ADDRESS, topics: [TOPIC_TRANSFERRED, contentHash, word(alice), word(bob)], data: new Uint8Array() }])],
  })

  const extraValidator = privateKeyToAddress(extraKey)
  const genesisSet = validatorKeys.map(privateKeyToAddress)
  await chain.addBlock({ validators: [...genesisSet, extraValidator] })
  const lateAnchor = keccak256(utf8ToBytes('anchored after the validator-set change'))
  await chain.addBlock({ anchors: [lateAnchor] })

  return {
    chain,
    validatorKeys,
    extraValidator,
    alice,
    bob,
    token,
    anchored,
    lateAnchor,
    txHashes: { erc20: erc20Tx.hash(), legacy: legacyTx.hash(), accessList: accessListTx.hash() },
    registration: await buildRegistrationProof(chain.reader, contentHash),
    anchorEarly: buildAnchorProof(chain.reader, anchored[3] as Uint8Array),
    anchorLate: buildAnchorProof(chain.reader, lateAnchor),
    erc20Transfer: await buildTxProof(chain.reader, erc20Tx.hash()),
    legacyTransfer: await buildTxProof(chain.reader, legacyTx.hash()),
    accessListTx: await buildTxProof(chain.reader, accessListTx.hash()),
  }
}
