import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Contract, ContractFactory, JsonRpcProvider, Wallet, parseEther } from 'ethers'
import { compileErc20 } from '../fixtures/compile.js'
import { deriveDevKeys } from '../fixtures/devAccounts.js'
import { bytesToHex } from '../../src/primitives/bytes.js'
import { startStele, type SteleProcess } from './processHarness.js'

// Ethereum tools used exactly as against anvil or geth: ethers v6 and Foundry's cast, against a real `stele dev`.
const CAST = fileURLToPath(new URL('../../node_modules/@foundry-rs/cast-linux-amd64/bin/cast', import.meta.url))
const run = promisify(execFile)
const HARDHAT_CLI = fileURLToPath(new URL('../../node_modules/hardhat/internal/cli/cli.js', import.meta.url))
const HARDHAT_PROJECT = fileURLToPath(new URL('../fixtures/hardhat/', import.meta.url))

let node: SteleProcess
const [alice, bob] = deriveDevKeys(2)
const aliceKey = bytesToHex(alice!.privateKey)
const bobAddress = bytesToHex(bob!.address)

before(async () => {
  node = await startStele(['dev', '--ephemeral', '--port', '0', '--accounts', '2', '--quiet'])
})

after(async () => {
  node.child.kill('SIGTERM')
  await node.exited()
})

test('ethers v6: network, balance, transfer, deploy, contract calls, events and revert reasons', async () => {
  // cacheTimeout -1: ethers otherwise answers a repeated call made within 250 ms from its cache, and a transfer
  // here is mined and its receipt seen within that window, so the balance read after it would be the one before.
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
  try {
    assert.equal((await provider.getNetwork()).chainId, 1337n)
    const wallet = new Wallet(aliceKey, provider)
    const before = await provider.getBalance(bobAddress)
    const sent = await wallet.sendTransaction({ to: bobAddress, value: parseEther('1.5') })
    const receipt = await sent.wait(1, 20_000)
    assert.equal(receipt?.status, 1)
    assert.equal(await provider.getBalance(bobAddress), before + parseEther('1.5'))

    const erc20 = compileErc20()
    const factory = new ContractFactory(erc20.abi as never, erc20.bytecode, wallet)
    const deployed = await factory.deploy('Token', 'TOK', 1_000_000n)
    await deployed.waitForDeployment()
    const token = new Contract(await deployed.getAddress(), erc20.abi as never, wallet)
    assert.equal(await token.getFunction('symbol')(), 'TOK')
    const transfer = await token.getFunction('transfer')(bobAddress, 250n)
    await transfer.wait(1, 20_000)
    assert.equal(await token.getFunction('balanceOf')(bobAddress), 250n)
    const events = await token.queryFilter(token.filters.Transfer!(undefined, bobAddress))
    assert.equal(events.length, 1)
    assert.equal((events[0] as unknown as { args: unknown[] }).args[2], 250n)
    // A revert: ethers runs eth_estimateGas first and must surface the reason string.
    await assert.rejects(token.getFunction('transfer')(bobAddress, 10n ** 30n), (error: unknown) => /ERC20: insufficient balance/.test(String((error as { reason?: string }).reason ?? error)))
  } finally {
    provider.destroy()
  }
})

test('Foundry cast: chain id, block number, send with receipt, balance, deploy, call and logs', { skip: !existsSync(CAST) && 'cast binary not installed' }, async () => {
  const rpc = ['--rpc-url', node.url]
  const cast = async (...args: string[]) => (await run(CAST, args, { timeout: 60_000 })).stdout.trim()
  assert.equal(await cast('chain-id', ...rpc), '1337')
  assert.match(await cast('block-number', ...rpc), /^\d+$/)
  const before = BigInt(await cast('balance', bobAddress, ...rpc))
  const sent = JSON.parse(await cast('send', '--private-key', aliceKey, bobAddress, '--value', '2ether', '--json', ...rpc)) as { status: string; transactionHash: string }
  assert.equal(sent.status, '0x1')
  assert.equal(BigInt(await cast('balance', bobAddress, ...rpc)), before + 2n * 10n ** 18n)
  const receipt = JSON.parse(await cast('receipt', sent.transactionHash, '--json', ...rpc)) as { status: string; gasUsed: string }
  assert.equal(BigInt(receipt.gasUsed), 21_000n)

  const erc20 = compileErc20()
  const deploy = JSON.parse(await cast('send', '--private-key', aliceKey, '--json', ...rpc, '--create', erc20.bytecode, 'constructor(string,string,uint256)', 'Cast', 'CST', '777')) as { status: string; contractAddress: string }
  assert.equal(deploy.status, '0x1')
  const token = deploy.contractAddress
  assert.equal(await cast('call', token, 'totalSupply()(uint256)', ...rpc), '777')
  await cast('send', '--private-key', aliceKey, token, 'transfer(address,uint256)', bobAddress, '77', ...rpc)
  assert.equal(await cast('call', token, 'balanceOf(address)(uint256)', bobAddress, ...rpc), '77')
  const logs = JSON.parse(await cast('logs', '--json', '--from-block', '0', '--address', token, 'Transfer(address indexed,address indexed,uint256)', ...rpc)) as unknown[]
  assert.equal(logs.length, 2, 'the mint and the transfer')
  // A revert is reported with its reason, and nothing is sent.
  await assert.rejects(cast('send', '--private-key', aliceKey, token, 'transfer(address,uint256)', bobAddress, '1000000', ...rpc), /ERC20: insufficient balance/)
})

test('Hardhat 2: a local signer sends a transfer and deploys a contract through `hardhat run`', async () => {
  const erc20 = compileErc20()
  const word = (n: bigint) => n.toString(16).padStart(64, '0')
  const text = (t: string) => word(BigInt(t.length)) + Buffer.from(t).toString('hex').padEnd(64, '0')
  const deployData = erc20.bytecode + word(0x60n) + word(0xa0n) + word(4242n) + text('H') + text('H')
  const { stdout } = await run(process.execPath, [HARDHAT_CLI, 'run', '--no-compile', '--network', 'stele', '--config', `${HARDHAT_PROJECT}hardhat.config.cjs`, `${HARDHAT_PROJECT}script.cjs`], {
    timeout: 120_000,
    cwd: HARDHAT_PROJECT,
    env: { ...process.env, STELE_URL: node.url, STELE_KEY: aliceKey, STELE_TO: bobAddress, STELE_DEPLOY_DATA: deployData, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
  })
  const seen = JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, string>
  assert.deepEqual(seen, { chainId: '0x539', from: bytesToHex(alice!.address), transferStatus: '0x1', deployStatus: '0x1', supply: `0x${word(4242n)}` })
})

test('stele_getGenesis serves the whole genesis, allocation included, for another node or a verifier to use', async () => {
  const response = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'stele_getGenesis', params: [] }) })
  const { result } = (await response.json()) as { result: { chainId: number; alloc: Record<string, { balance: string }> } }
  assert.equal(result.chainId, 1337)
  const funded = Object.entries(result.alloc).find(([address]) => address.toLowerCase() === bytesToHex(alice!.address))
  assert.ok(funded, 'the first dev account is in the allocation')
  assert.equal(BigInt(funded[1].balance), 10_000n * 10n ** 18n)
})
