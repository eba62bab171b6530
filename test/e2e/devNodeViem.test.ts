import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicClient, createWalletClient, http, webSocket, parseEther, BaseError, ContractFunctionRevertedError, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { compileErc20 } from '../fixtures/compile.js'
import { devAccounts } from '../fixtures/devAccounts.js'
import { devChain, startDevNode } from '../fixtures/devNode.js'
import type { SteleNode } from '../../src/node/node.js'

// Drives an in-process dev node with viem exactly as a user would: deploy, transfer, read, logs, revert.
const accounts = devAccounts(3)
const chain = devChain
let node: SteleNode

before(async () => {
  node = await startDevNode({ accounts: 3, balanceWei: parseEther('10000') })
})
after(async () => node?.stop())

test('viem deploys an ERC-20, transfers it, reads balances, logs, a WebSocket log subscription and a revert reason', async () => {
  const transport = http(node.rpc.url)
  const publicClient = createPublicClient({ chain, transport })
  const owner = privateKeyToAccount(accounts[0]!.privateKey)
  const wallet = createWalletClient({ chain, transport, account: owner })
  const erc20 = compileErc20()

  assert.equal(await publicClient.getChainId(), 1337)
  assert.equal(await publicClient.getBalance({ address: accounts[1]!.address }), parseEther('10000'))

  const deployHash = await wallet.deployContract({ abi: erc20.abi, bytecode: erc20.bytecode, args: ['Token', 'TKN', 1_000_000n] })
  const deployReceipt = await publicClient.waitForTransactionReceipt({ hash: deployHash, pollingInterval: 20, timeout: 20_000 })
  assert.equal(deployReceipt.status, 'success')
  const token = deployReceipt.contractAddress as Hex
  assert.ok(token)

  const wsClient = createPublicClient({ chain, transport: webSocket(node.rpc.wsUrl) })
  const seenByWs: bigint[] = []
  const wsSeen = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no WebSocket log within 20 s')), 20_000)
    const unwatch = wsClient.watchContractEvent({
      address: token,
      abi: erc20.abi,
      eventName: 'Transfer',
      onLogs: (logs) => {
        for (const log of logs) seenByWs.push((log as unknown as { args: { value: bigint } }).args.value)
        clearTimeout(timer)
        unwatch()
        resolve()
      },
      onError: reject,
    })
  })
  // Give the subscription a chance to register before the transfer; the wait is on the server's ack.
  await waitFor(async () => (await wsClient.getBlockNumber()) >= 0n)

  const transferHash = await wallet.writeContract({ address: token, abi: erc20.abi, functionName: 'transfer', args: [accounts[1]!.address, 250n] })
  const transferReceipt = await publicClient.waitForTransactionReceipt({ hash: transferHash, pollingInterval: 20, timeout: 20_000 })
  assert.equal(transferReceipt.status, 'success')

  const balance = await publicClient.readContract({ address: token, abi: erc20.abi, functionName: 'balanceOf', args: [accounts[1]!.address] })
  assert.equal(balance, 250n)

  const logs = await publicClient.getContractEvents({ address: token, abi: erc20.abi, eventName: 'Transfer', fromBlock: 0n })
  assert.equal(logs.length, 2, 'the mint and the transfer')
  assert.equal((logs[1] as unknown as { args: { value: bigint } }).args.value, 250n)

  await wsSeen
  assert.deepEqual(seenByWs, [250n])
  await wsClient.transport.getRpcClient?.().then((c: { close(): void }) => c.close()).catch(() => {})

  const poor = createWalletClient({ chain, transport, account: privateKeyToAccount(accounts[2]!.privateKey) })
  await assert.rejects(
    poor.writeContract({ address: token, abi: erc20.abi, functionName: 'transfer', args: [accounts[0]!.address, 1n] }),
    (error: unknown) => {
      assert.ok(error instanceof BaseError)
      const revert = error.walk((e) => e instanceof ContractFunctionRevertedError)
      assert.ok(revert instanceof ContractFunctionRevertedError, `expected a decoded revert, got ${String(error)}`)
      assert.equal(revert.reason, 'ERC20: insufficient balance')
      return true
    },
  )
})

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('condition not met in time')
}
