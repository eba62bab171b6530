import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fundedTestGenesis } from '../../src/chain/testing/fundedGenesis.js'
import { deriveDevKeys } from '../../src/crypto/hdKeys.js'
import { privateKeyToAddress } from '../../src/crypto/secp256k1.js'
import { startNode, type SteleNode } from '../../src/node/node.js'
import { createLibp2pNetwork } from '../../src/p2p/libp2pNetwork.js'
import { peerIdFromNodeKey } from '../../src/p2p/peerIdentity.js'
import { bytesToHex } from '../../src/primitives/bytes.js'
import { silentLogger } from '../../src/primitives/logger.js'
import { signEip1559Tx } from '../fixtures/rawTx.js'
import { rpc, waitUntil } from './processHarness.js'

// CI found this: an observer took a transaction before it had a gossip peer, the publish went nowhere, and
// since an observer never proposes, the transaction stayed in its pool forever. A peer joining the topic
// must get what the node holds, over real libp2p: gossipsub marks even a publish that reached nobody as
// seen, so the re-offer must not be taken for a duplicate.
test('a transaction and an anchor taken while cut off reach the validator once the link comes up', async () => {
  const [validatorKey, observerKey, sender, recipient] = deriveDevKeys(4)
  const genesis = fundedTestGenesis(1337n, privateKeyToAddress(validatorKey!.privateKey), [bytesToHex(sender!.address)])
  const permitted = [validatorKey!, observerKey!].map((k) => peerIdFromNodeKey(k.privateKey))
  // No static peers: the two stay apart until the test connects them.
  const networkFor = (privateKey: Uint8Array) => createLibp2pNetwork({ privateKey, listen: { host: '127.0.0.1', port: 0 }, permittedPeerIds: permitted, heartbeatIntervalMs: 100 })
  const validatorNetwork = await networkFor(validatorKey!.privateKey)
  const observerNetwork = await networkFor(observerKey!.privateKey)
  const common = { genesis, dataDir: undefined, rpc: { host: '127.0.0.1', port: 0 }, clientVersion: 'stele/test', logger: silentLogger, recoveryThreads: 0 }
  const nodes: SteleNode[] = []
  try {
    const validator = await startNode({ ...common, nodeKey: validatorKey!.privateKey, network: validatorNetwork, role: 'validator' })
    nodes.push(validator)
    const observer = await startNode({ ...common, nodeKey: observerKey!.privateKey, network: observerNetwork, role: 'observer' })
    nodes.push(observer)

    const tx = signEip1559Tx(
      { chainId: 1337n, nonce: 0n, maxFeePerGas: 1_000_000_000n, maxPriorityFeePerGas: 0n, gas: 21_000n, to: recipient!.address, value: 5n, data: new Uint8Array() },
      sender!.privateKey,
    )
    assert.equal(await rpc(observer.rpc.url, 'eth_sendRawTransaction', [tx.raw]), tx.hash)
    const anchor = bytesToHex(new Uint8Array(32).fill(7))
    await rpc(observer.rpc.url, 'stele_anchor', [[anchor]])
    assert.equal(validator.pool.size(), 0, 'cut off: the validator has not heard of the transaction')

    assert.equal(observerNetwork.peers().length, 0)
    await observerNetwork.connect({ peerId: validatorNetwork.peerId, host: '127.0.0.1', port: validatorNetwork.listenPort() })
    const receipt = await waitUntil('receipt on the validator', () => rpc<{ status: string } | null>(validator.rpc.url, 'eth_getTransactionReceipt', [tx.hash]).then((r) => r ?? undefined), 15_000, 50)
    assert.equal(receipt.status, '0x1')
    const status = await waitUntil(
      'anchor committed on the validator',
      () => rpc<{ status: string }[]>(validator.rpc.url, 'stele_getAnchorStatus', [[anchor]]).then(([s]) => (s?.status === 'anchored' ? s : undefined)),
      15_000,
      50,
    )
    assert.equal(status.status, 'anchored')
  } finally {
    for (const node of nodes.reverse()) await node.stop()
  }
})
