import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseAbi,
  webSocket,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { bytesToHex } from '../primitives/bytes.js'
import { createRpcServer, type RpcServer } from './server.js'
import { ADDRESS_A, ADDRESS_B, KEY_A, REVERTER, TOKEN, TRANSFER_TOPIC, createFakeRpcBackend, type FakeRpcBackend } from './testing/fakeRpcBackend.js'

/** Proves a real client library parses what we serve: viem's own formatters run on every answer. */
describe('viem against the RPC server', () => {
  let backend: FakeRpcBackend
  let server: RpcServer
  const chain = defineChain({
    id: 1337,
    name: 'stele-test',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: ['http://127.0.0.1'] } },
  })

  before(async () => {
    backend = createFakeRpcBackend()
    server = await createRpcServer({ backend, port: 0, logger: { error: () => {} } })
  })
  after(() => server.close())

  it('reads blocks, transactions and receipts', async () => {
    const client = createPublicClient({ chain, transport: http(server.url) })
    assert.equal(await client.getChainId(), 1337)
    assert.equal(await client.getBlockNumber({ cacheTime: 0 }), 2n)
    const block = await client.getBlock({ blockNumber: 1n, includeTransactions: true })
    assert.equal(block.hash, bytesToHex(backend.blocks[1]!.hash))
    assert.equal(block.number, 1n)
    assert.equal(block.baseFeePerGas, 8n)
    assert.equal(block.transactions.length, 2)
    const [legacy, dynamic] = block.transactions
    assert.equal(legacy!.type, 'legacy')
    assert.equal(legacy!.from, bytesToHex(ADDRESS_A))
    assert.equal(legacy!.value, 1000n)
    assert.equal(legacy!.chainId, 1337)
    assert.equal(dynamic!.type, 'eip1559')
    assert.equal(dynamic!.maxFeePerGas, 100n)
    assert.equal(dynamic!.gasPrice, 10n)
    assert.equal((dynamic as { yParity?: number }).yParity, Number(backend.signed[1]![1]!.tx.v))

    const latest = await client.getBlock({ blockTag: 'latest' })
    assert.equal(latest.number, 2n)
    assert.equal(latest.transactions.length, 2)

    const tx = await client.getTransaction({ hash: bytesToHex(backend.signed[2]![0]!.hash) })
    assert.equal(tx.type, 'eip2930')
    assert.equal(tx.accessList?.[0]?.address, bytesToHex(TOKEN))

    const receipt = await client.getTransactionReceipt({ hash: bytesToHex(backend.signed[1]![1]!.hash) })
    assert.equal(receipt.status, 'success')
    assert.equal(receipt.type, 'eip1559')
    assert.equal(receipt.logs.length, 2)
    assert.equal(receipt.logs[1]!.logIndex, 1)
    assert.equal(receipt.effectiveGasPrice, 10n)
    const creation = await client.getTransactionReceipt({ hash: bytesToHex(backend.signed[2]![1]!.hash) })
    assert.equal(creation.to, null)
    assert.equal(creation.contractAddress, bytesToHex(backend.receiptsByBlock[2]![1]!.contractAddress!))

    const logs = await client.getLogs({ address: bytesToHex(TOKEN), fromBlock: 0n, toBlock: 'latest' })
    assert.equal(logs.length, 3)
    assert.equal(logs[0]!.topics[0], bytesToHex(TRANSFER_TOPIC))
    const history = await client.getFeeHistory({ blockCount: 2, rewardPercentiles: [50] })
    assert.deepEqual(history.baseFeePerGas, [8n, 9n, 8n])
    const fees = await client.estimateFeesPerGas()
    assert.ok(fees.maxFeePerGas > fees.maxPriorityFeePerGas)
    assert.equal(await client.getBalance({ address: bytesToHex(ADDRESS_B), blockNumber: 0n }), 5n * 10n ** 20n)
    const proof = await client.getProof({ address: bytesToHex(ADDRESS_B), storageKeys: [`0x${'00'.repeat(32)}`] })
    assert.equal(proof.storageProof.length, 1)
  })

  it('a revert surfaces its reason in viem errors', async () => {
    const client = createPublicClient({ chain, transport: http(server.url) })
    const abi = parseAbi(['function withdraw() view returns (uint256)'])
    const error = await client.readContract({ address: bytesToHex(REVERTER), abi, functionName: 'withdraw' }).then(
      () => assert.fail('should revert'),
      (e: unknown) => e,
    )
    assert.ok(error instanceof BaseError)
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError)
    assert.ok(reverted instanceof ContractFunctionRevertedError, 'viem decoded a ContractFunctionRevertedError')
    assert.equal(reverted.reason, 'nope')
    assert.match(error.message, /nope/)
  })

  it('signs and sends a transaction through a wallet client, then waits for its receipt', async () => {
    const account = privateKeyToAccount(bytesToHex(KEY_A) as Hex)
    const wallet = createWalletClient({ account, chain, transport: http(server.url) })
    const client = createPublicClient({ chain, transport: http(server.url), pollingInterval: 20 })
    const hash = await wallet.sendTransaction({ to: bytesToHex(ADDRESS_B) as Hex, value: 7n })
    const pending = await client.getTransaction({ hash })
    assert.equal(pending.nonce, 3)
    assert.equal(pending.blockNumber, null)
    const block = backend.mine()
    const receipt = await client.waitForTransactionReceipt({ hash, timeout: 5_000 })
    assert.equal(receipt.blockHash, bytesToHex(block.hash))
    assert.equal(receipt.from, bytesToHex(ADDRESS_A))
  })

  it('watches blocks over the WebSocket transport', async () => {
    const client = createPublicClient({ chain, transport: webSocket(server.wsUrl) })
    let resolveSeen: (number: bigint) => void = () => {}
    let rejectSeen: (error: Error) => void = () => {}
    const seen = new Promise<bigint>((resolve, reject) => {
      resolveSeen = resolve
      rejectSeen = reject
    })
    const unwatch = client.watchBlocks({ onBlock: (block) => resolveSeen(block.number), onError: (e) => rejectSeen(e) })
    // The subscription is set up asynchronously: mine until viem reports, bounded.
    let mined: bigint | undefined
    const timer = setInterval(() => (mined = backend.mine([]).header.number), 25)
    const timeout = setTimeout(() => rejectSeen(new Error('no block within 5 s')), 5_000)
    try {
      const number = await seen
      assert.ok(mined !== undefined && number <= mined)
    } finally {
      clearInterval(timer)
      clearTimeout(timeout)
      unwatch()
      const transport = await client.transport.getRpcClient()
      transport.close()
    }
  })
})
