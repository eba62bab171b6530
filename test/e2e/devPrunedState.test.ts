import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicClient, createWalletClient, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { devAccounts } from '../fixtures/devAccounts.js'
import { devChain, startDevNode } from '../fixtures/devNode.js'
import type { SteleNode } from '../../src/node/node.js'

// A dev node keeping the state of two blocks besides the head (ADR 0013), read over JSON-RPC with viem.
const accounts = devAccounts(2)
const chain = devChain
let node: SteleNode

before(async () => {
  node = await startDevNode({ accounts: 2, balanceWei: parseEther('100'), stateHistory: 2 })
})
after(async () => node?.stop())

test('with --state-history 2, the last three blocks answer eth_getBalance and eth_getProof; pruned blocks answer a clear error', async () => {
  const transport = http(node.rpc.url)
  const client = createPublicClient({ chain, transport })
  const wallet = createWalletClient({ chain, transport, account: privateKeyToAccount(accounts[0]!.privateKey) })
  const to = accounts[1]!.address
  // One transfer per block: each block changes the state.
  for (let i = 1n; i <= 6n; i++) {
    const hash = await wallet.sendTransaction({ to, value: i })
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 10, timeout: 20_000 })
    assert.equal(receipt.blockNumber, i)
  }
  // viem caches eth_blockNumber for a few seconds unless told not to.
  const head = await client.getBlockNumber({ cacheTime: 0 })
  assert.equal(head, 6n)
  const start = parseEther('100')
  assert.equal(await client.getBalance({ address: to }), start + 21n)
  for (const number of [head, head - 1n, head - 2n]) {
    const { transactions } = await client.getBlock({ blockNumber: number })
    assert.equal(transactions.length, 1)
    const balance: bigint = await client.getBalance({ address: to, blockNumber: number })
    assert.equal(balance, start + (number * (number + 1n)) / 2n, `block ${number}`)
    const proof = await client.getProof({ address: to, storageKeys: [], blockNumber: number })
    assert.equal(proof.balance, balance)
  }
  await assert.rejects(client.getBalance({ address: to, blockNumber: 1n }), (error: Error) => {
    assert.match(error.message, /state of block 1 is not available \(pruned/)
    return true
  })
  await assert.rejects(client.getProof({ address: to, storageKeys: [], blockNumber: 0n }), /state of block 0 is not available/)
  await assert.rejects(client.call({ to, blockNumber: 2n }), /state of block 2 is not available \(pruned/)
  await client.call({ to, blockNumber: head - 2n })
  // The node keeps working after the errors.
  await assert.rejects(client.getBalance({ address: to, blockNumber: 3n }), /state of block 3 is not available \(pruned/)
  assert.equal(await client.getBalance({ address: to, blockNumber: head }), start + 21n)
})
