import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fundedTestGenesis } from './testing/fundedGenesis.js'
import { openBlockStore } from './blockStore.js'
import { createChainCommon } from '../execution/common.js'
import { openLedger } from '../node/ledger.js'
import { bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { createFlatStateDb } from '../state/flatStateDb.js'
import { createMemoryStore } from '../state/kvStore.js'
import { createFakeState, DEV_KEYS, signTestTx } from '../txpool/testTransactions.js'
import { createTxPool } from '../txpool/txPool.js'

const CHAIN_ID = 1337n
const common = createChainCommon(CHAIN_ID)
const VALIDATOR = hexToBytes(DEV_KEYS[0].address)
const genesis = fundedTestGenesis(CHAIN_ID, VALIDATOR, DEV_KEYS.map((k) => k.address))

/** Six committed blocks of four transfers each (one per dev sender), in one memory store. */
async function chainOfSixBlocks() {
  const store = createMemoryStore()
  const ledger = await openLedger(store, createFlatStateDb(store), genesis, common)
  const state = createFakeState()
  for (let height = 1n; height <= 6n; height++) {
    const pool = createTxPool({ common, chainId: CHAIN_ID, account: (a) => state.account(a), baseFee: () => 0n, blockGasLimit: () => 30_000_000n })
    for (const k of DEV_KEYS) await pool.add(signTestTx(common, k.key, { nonce: height - 1n, feeCap: 0n, tip: 0n }))
    const candidates = pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n })
    const executed = await ledger.propose({ candidates, anchors: [], anchorRoot: new Uint8Array(32), timestamp: height, proposer: VALIDATOR, round: 0, validators: [VALIDATOR] })
    assert.equal(executed.block.transactions.length, 4)
    await ledger.commit(executed, executed.block.header)
    for (const k of DEV_KEYS) state.set(k.address, { nonce: height })
  }
  return { store, ledger }
}

const summary = (receipts: { transactionHash: Uint8Array; cumulativeGasUsed: bigint; from: Uint8Array }[]) =>
  receipts.map((r) => [bytesToHex(r.transactionHash), r.cumulativeGasUsed, bytesToHex(r.from)])

test('the block cache is bounded by transactions as well as blocks, and evicted blocks read back the same', async () => {
  const { store, ledger } = await chainOfSixBlocks()
  const bounded = openBlockStore(store, { cacheTransactions: 10 })
  // Read everything twice, oldest to newest: each read evicts the oldest entries to stay within 10 transactions.
  for (let round = 0; round < 2; round++) {
    for (let n = 0n; n <= 6n; n++) {
      const expected = ledger.blocks.blockByNumber(n)!
      const block = bounded.blockByNumber(n)!
      assert.equal(bytesToHex(block.hash), bytesToHex(expected.hash))
      assert.deepEqual(block.transactions.map(bytesToHex), expected.transactions.map(bytesToHex))
      assert.deepEqual(bounded.senders(n).map(bytesToHex), ledger.blocks.senders(n).map(bytesToHex))
      assert.deepEqual(summary(bounded.receipts(n)), summary(ledger.blocks.receipts(n)))
      const size = bounded.cacheSize()
      assert.ok(size.transactions <= 10, `cache holds ${size.transactions} transactions`)
      assert.ok(size.blocks >= 1)
    }
  }
  // With only the block bound, all seven blocks fit.
  const byBlocks = openBlockStore(store, { cacheBlocks: 3 })
  for (let n = 0n; n <= 6n; n++) byBlocks.blockByNumber(n)
  assert.deepEqual(byBlocks.cacheSize(), { blocks: 3, transactions: 12 })
  // The newest block is kept even when it alone is over the transaction bound.
  const tiny = openBlockStore(store, { cacheTransactions: 1 })
  tiny.blockByNumber(6n)
  assert.deepEqual(tiny.cacheSize(), { blocks: 1, transactions: 4 })
})
