import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileErc20 } from '../fixtures/compile.js'
import { deriveDevKeys } from '../fixtures/devAccounts.js'
import { signEip1559Tx } from '../fixtures/rawTx.js'
import { hexToBytes } from '../../src/primitives/bytes.js'
import { rpc, startStele, waitUntil } from './processHarness.js'

// stele dev as a real process: send transactions, kill -9 it, restart on the same data dir, and
// everything committed is back: head, balances, nonces, code and storage.
test('kill -9 and restart on the same data dir loses nothing committed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-crash-'))
  const args = ['dev', '--data-dir', dir, '--port', '0', '--accounts', '4', '--quiet']
  try {
    const first = await startStele(args)
    const [sender, receiver] = deriveDevKeys(2)
    const erc20 = compileErc20()
    const hashes: string[] = []
    const fees = { maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, chainId: 1337n }
    // A deploy (code + storage) and 20 transfers.
    const deployData = hexToBytes(erc20.bytecode + encodeCtorArgs())
    const deploy = signEip1559Tx({ ...fees, nonce: 0n, gas: 2_000_000n, to: undefined, value: 0n, data: deployData }, sender!.privateKey)
    hashes.push(await rpc<string>(first.url, 'eth_sendRawTransaction', [deploy.raw]))
    for (let i = 1n; i <= 20n; i++) {
      const tx = signEip1559Tx({ ...fees, nonce: i, gas: 21_000n, to: receiver!.address, value: 1000n + i, data: new Uint8Array() }, sender!.privateKey)
      hashes.push(await rpc<string>(first.url, 'eth_sendRawTransaction', [tx.raw]))
    }
    const receipts = await waitUntil('all receipts', async () => {
      const all = await Promise.all(hashes.map((h) => rpc<{ status: string; contractAddress: string | null } | null>(first.url, 'eth_getTransactionReceipt', [h])))
      return all.every((r) => r !== null) ? all : undefined
    })
    assert.ok(receipts.every((r) => r!.status === '0x1'))
    const token = receipts[0]!.contractAddress!
    const before = await snapshot(first.url, token, receiver!.address)

    first.child.kill('SIGKILL')
    await first.exited()

    const second = await startStele(args)
    try {
      const after = await snapshot(second.url, token, receiver!.address)
      assert.deepEqual(after, before)
      // The chain goes on from the same head.
      const tx = signEip1559Tx({ ...fees, nonce: 21n, gas: 21_000n, to: receiver!.address, value: 1n, data: new Uint8Array() }, sender!.privateKey)
      const hash = await rpc<string>(second.url, 'eth_sendRawTransaction', [tx.raw])
      const receipt = await waitUntil('receipt after restart', () => rpc<{ blockNumber: string } | null>(second.url, 'eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined))
      assert.ok(BigInt(receipt.blockNumber) > BigInt(before.blockNumber))
    } finally {
      second.child.kill('SIGTERM')
      assert.equal(await second.exited(), 0, 'a clean shutdown on SIGTERM exits 0')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

// Transactions and anchor hashes the node accepted but had not yet put in a block are journaled: after
// kill -9 they are back in the pools and end up in a block, exactly once.
test('kill -9 does not lose transactions or anchors that were accepted but not yet in a block', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-journal-'))
  const base = ['dev', '--data-dir', dir, '--port', '0', '--accounts', '2', '--quiet']
  try {
    const [sender, receiver] = deriveDevKeys(2)
    const fees = { maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, chainId: 1337n, gas: 21_000n, data: new Uint8Array() }
    // First run: one block with the first transfer, then blocks only every 10 minutes.
    const first = await startStele([...base, '--block-time', '600000'])
    const txs = [0n, 1n, 2n].map((nonce) => signEip1559Tx({ ...fees, nonce, to: receiver!.address, value: 7n + nonce }, sender!.privateKey))
    const hashes: string[] = []
    for (const tx of txs) hashes.push(await rpc<string>(first.url, 'eth_sendRawTransaction', [tx.raw]))
    const anchored = ['0x' + 'ab'.repeat(32), '0x' + 'cd'.repeat(32)]
    const anchorStatuses = await rpc<{ status: string }[]>(first.url, 'stele_anchor', [anchored])
    assert.deepEqual(anchorStatuses.map((s) => s.status), ['pending', 'pending'])
    assert.equal(await rpc(first.url, 'eth_getTransactionReceipt', [hashes[0]]), null, 'nothing is mined before the block period')
    first.child.kill('SIGKILL')
    await first.exited()

    const second = await startStele([...base, '--block-time', '0'])
    try {
      const receipts = await waitUntil('the journaled transactions mined after the restart', async () => {
        const all = await Promise.all(hashes.map((h) => rpc<{ status: string; blockNumber: string } | null>(second.url, 'eth_getTransactionReceipt', [h])))
        return all.every((r) => r !== null) ? all : undefined
      })
      assert.ok(receipts.every((r) => r!.status === '0x1'))
      await waitUntil('the journaled anchors anchored after the restart', async () => {
        const statuses = await rpc<{ status: string }[]>(second.url, 'stele_getAnchorStatus', [anchored])
        return statuses.every((s) => s.status === 'anchored') ? true : undefined
      })
      assert.equal(await rpc<string>(second.url, 'eth_getTransactionCount', [`0x${Buffer.from(sender!.address).toString('hex')}`, 'latest']), '0x3', 'each mined once')
    } finally {
      second.child.kill('SIGTERM')
      assert.equal(await second.exited(), 0)
    }
    // A third start replays nothing stale: the journal was rewritten with only what is still pooled.
    const third = await startStele([...base, '--block-time', '0'])
    try {
      assert.equal(await rpc<string>(third.url, 'eth_getTransactionCount', [`0x${Buffer.from(sender!.address).toString('hex')}`, 'latest']), '0x3')
      assert.equal(statSync(join(dir, 'txpool.journal')).size, 0, 'nothing left to replay')
      assert.equal(statSync(join(dir, 'anchors.journal')).size, 0, 'no anchor left to replay')
    } finally {
      third.child.kill('SIGTERM')
      await third.exited()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

async function snapshot(url: string, token: string, receiver: Uint8Array) {
  const receiverHex = `0x${Buffer.from(receiver).toString('hex')}`
  const blockNumber = await rpc<string>(url, 'eth_blockNumber')
  const head = await rpc<{ hash: string; stateRoot: string }>(url, 'eth_getBlockByNumber', [blockNumber, false])
  return {
    blockNumber,
    headHash: head.hash,
    stateRoot: head.stateRoot,
    balance: await rpc<string>(url, 'eth_getBalance', [receiverHex, 'latest']),
    nonce: await rpc<string>(url, 'eth_getTransactionCount', ['0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', 'latest']),
    code: await rpc<string>(url, 'eth_getCode', [token, 'latest']),
    // Slot 2 of the fixture ERC-20 is totalSupply.
    storage: await rpc<string>(url, 'eth_getStorageAt', [token, '0x2', 'latest']),
  }
}

function encodeCtorArgs(): string {
  // constructor(string name, string symbol, uint256 supply) = ("T", "T", 1000)
  const word = (n: number | bigint) => BigInt(n).toString(16).padStart(64, '0')
  const str = (s: string) => word(s.length) + Buffer.from(s).toString('hex').padEnd(64, '0')
  return word(0x60) + word(0xa0) + word(1000) + str('T') + str('T')
}
