import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Block } from '../chain/types.js'
import { keccak256 } from '../crypto/keccak.js'
import type { RpcBackend } from './backend.js'
import { blockTransactionHashes, formatBlockResult, formatTransactionInBlock } from './blockTransactions.js'
import { formatBlock, formatTransaction } from './format.js'
import { toHex } from './hex.js'
import { getTransactionByHash } from './methods/eth/getTransactionByHash.js'
import type { RpcContext } from './context.js'
import { createFakeRpcBackend } from './testing/fakeRpcBackend.js'

/** What the RPC answered before: every transaction decoded through @ethereumjs, hashes by keccak. */
function referenceBlock(backend: RpcBackend, block: Block, full: boolean) {
  const location = (index: number) => ({ blockHash: block.hash, blockNumber: block.header.number, index })
  const transactions = full
    ? backend.blockTransactions(block).map((tx, index) => formatTransaction(tx, location(index), block.header.baseFeePerGas))
    : block.transactions.map((raw) => toHex(keccak256(raw)))
  return formatBlock(block, transactions)
}

/** The fake backend, counting how often the @ethereumjs path is asked for; optionally without receipts. */
function instrumented(receipts: boolean) {
  const fake = createFakeRpcBackend()
  let decodes = 0
  const backend: RpcBackend = {
    ...fake,
    blockTransactions(block) {
      decodes++
      return fake.blockTransactions(block)
    },
    blockReceipts: receipts ? fake.blockReceipts : () => undefined,
  }
  return { fake, backend, decodes: () => decodes }
}

test('blocks answer the same as the @ethereumjs path, from receipts and without decoding a transaction', () => {
  const { fake, backend, decodes } = instrumented(true)
  for (const block of fake.blocks) {
    for (const full of [false, true]) {
      assert.equal(JSON.stringify(formatBlockResult(backend, block, full)), JSON.stringify(referenceBlock(fake, block, full)), `block ${block.header.number} full=${full}`)
    }
    assert.deepEqual(blockTransactionHashes(backend, block), block.transactions.map((raw) => toHex(keccak256(raw))))
  }
  assert.equal(decodes(), 0)
})

test('without receipts, block answers fall back to keccak and @ethereumjs, and are the same', () => {
  const { fake, backend, decodes } = instrumented(false)
  const withTransactions = fake.blocks.filter((b) => b.transactions.length > 0)
  assert.ok(withTransactions.length >= 2)
  for (const block of withTransactions) {
    for (const full of [false, true]) {
      assert.equal(JSON.stringify(formatBlockResult(backend, block, full)), JSON.stringify(referenceBlock(fake, block, full)))
    }
  }
  assert.equal(decodes(), withTransactions.length)
})

test('single transactions (by block and index, by hash) match the @ethereumjs formatting', () => {
  const { fake, backend, decodes } = instrumented(true)
  const context = { backend, filters: undefined, subscriptions: undefined } as unknown as RpcContext
  for (const [b, block] of fake.blocks.entries()) {
    const signed = fake.signed[b] ?? []
    signed.forEach((tx, index) => {
      const expected = JSON.stringify(formatTransaction(tx, { blockHash: block.hash, blockNumber: block.header.number, index }, block.header.baseFeePerGas))
      assert.equal(JSON.stringify(formatTransactionInBlock(backend, block, index)), expected)
      assert.equal(JSON.stringify(getTransactionByHash([toHex(tx.hash)], context)), expected)
    })
    assert.equal(formatTransactionInBlock(backend, block, signed.length), null)
  }
  assert.equal(decodes(), 0)
})
