import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { RLP } from '@ethereumjs/rlp'
import { fundedTestGenesis } from '../chain/testing/fundedGenesis.js'
import type { Block, SignedTx } from '../chain/types.js'
import { createSignerRecovery, MAX_BATCH, SMALL_BATCH } from '../crypto/recoveryWorkers.js'
import { createChainCommon } from '../execution/common.js'
import { bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { createFlatStateDb } from '../state/flatStateDb.js'
import { createMemoryStore } from '../state/kvStore.js'
import { createFakeState, DEV_KEYS, signTestTx } from '../txpool/testTransactions.js'
import { createTxPool } from '../txpool/txPool.js'
import { openLedger, type LedgerOptions } from './ledger.js'

const CHAIN_ID = 1337n
const common = createChainCommon(CHAIN_ID)
const VALIDATOR = hexToBytes(DEV_KEYS[0].address)

const genesis = fundedTestGenesis(CHAIN_ID, VALIDATOR, DEV_KEYS.map((k) => k.address))

const recovery = createSignerRecovery({ threads: 1 })
after(() => recovery.close())

/** 4 senders × 5 nonces, as raw txs. */
const raws = DEV_KEYS.flatMap((k) => [0n, 1n, 2n, 3n, 4n].map((nonce) => signTestTx(common, k.key, { nonce, feeCap: 0n, tip: 0n })))

async function proposedBlock(): Promise<{ block: Block; senders: Uint8Array[] }> {
  const store = createMemoryStore()
  const ledger = await openLedger(store, createFlatStateDb(store), genesis, common)
  const pool = createTxPool({ common, chainId: CHAIN_ID, account: createFakeState().account.bind(createFakeState()), baseFee: () => 0n, blockGasLimit: () => 30_000_000n })
  for (const raw of raws) await pool.add(raw)
  const candidates = pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n })
  const proposed = await ledger.propose({ candidates, anchors: [], anchorRoot: new Uint8Array(32), timestamp: 1n, proposer: VALIDATOR, round: 0, validators: [VALIDATOR] })
  assert.equal(proposed.block.transactions.length, raws.length)
  return { block: proposed.block, senders: proposed.senders }
}

async function validatorLedger(options: LedgerOptions) {
  const store = createMemoryStore()
  return openLedger(store, createFlatStateDb(store), genesis, common, options)
}

describe('ledger.execute: senders of a proposed block', () => {
  test('pooled txs are reused as the pool holds them; only the rest are recovered, in the worker batches of one event-loop turn', async () => {
    const { block, senders } = await proposedBlock()
    // This validator's pool saw every other tx of the block.
    const validatorPool = createTxPool({ common, chainId: CHAIN_ID, account: (a) => createFakeState().account(a), baseFee: () => 0n, blockGasLimit: () => 30_000_000n })
    const pooledRaws = block.transactions.filter((_, i) => i % 2 === 0)
    for (const raw of pooledRaws) await validatorPool.add(raw)
    let lookups = 0
    const reused: SignedTx[] = []
    const before = recovery.stats()
    const ledger = await validatorLedger({
      pooledTx: (hash) => {
        lookups++
        const pooled = validatorPool.get(hash)
        if (pooled) reused.push(pooled)
        return pooled
      },
      recovery,
    })
    const executed = await ledger.execute(block)
    assert.equal(lookups, block.transactions.length)
    assert.equal(reused.length, pooledRaws.length)
    assert.deepEqual(executed.senders.map(bytesToHex), senders.map(bytesToHex))
    for (const tx of reused) assert.ok(executed.outcome.included.includes(tx), 'the pooled object itself was executed')
    const after = recovery.stats()
    const recovered = block.transactions.length - pooledRaws.length
    assert.equal(after.recovered - before.recovered, recovered)
    // Requested together: fewer than MAX_BATCH travel in messages of SMALL_BATCH, none alone.
    assert.ok(recovered < MAX_BATCH)
    assert.equal(after.batches - before.batches, Math.ceil(recovered / SMALL_BATCH))
    // And it commits like any other executed block.
    await ledger.commit(executed, block.header)
    assert.equal(ledger.head().header.number, 1n)
  })

  test('without a pool or workers, every sender is recovered on this thread, with the same result', async () => {
    const { block, senders } = await proposedBlock()
    const ledger = await validatorLedger({})
    const executed = await ledger.execute(block)
    assert.deepEqual(executed.senders.map(bytesToHex), senders.map(bytesToHex))
    assert.deepEqual(executed.outcome.stateRoot, block.header.stateRoot)
  })

  test('a block tx whose signature does not recover its sender makes the block invalid', async () => {
    const { block } = await proposedBlock()
    const good = block.transactions[3] as Uint8Array
    const fields = RLP.decode(good.subarray(1)) as Uint8Array[]
    // r = 1: well-formed, and whatever it recovers (if anything) is not the funded sender of nonce 3.
    const broken = Uint8Array.of(2, ...RLP.encode([...fields.slice(0, 10), Uint8Array.of(1), fields[11] as Uint8Array]))
    const tampered: Block = { ...block, transactions: block.transactions.map((t, i) => (i === 3 ? broken : t)) }
    const ledger = await validatorLedger({ recovery })
    await assert.rejects(ledger.execute(tampered))
  })
})

describe('ledger.startProposal: a block built in steps', () => {
  test('adding candidates in steps gives the block propose() gives, and skips candidates added before', async () => {
    const { block } = await proposedBlock()
    const store = createMemoryStore()
    const ledger = await openLedger(store, createFlatStateDb(store), genesis, common)
    const pool = createTxPool({ common, chainId: CHAIN_ID, account: (a) => createFakeState().account(a), baseFee: () => 0n, blockGasLimit: () => 30_000_000n })
    const proposal = await ledger.startProposal({ timestamp: 1n, proposer: VALIDATOR })
    assert.equal(proposal.parent.header.number, 0n)
    // Arrivals in three waves; each step offers the whole selection again, as the node does.
    for (const wave of [raws.slice(0, 7), raws.slice(7, 15), raws.slice(15)]) {
      for (const raw of wave) await pool.add(raw)
      const selection = pool.selectForBlock({ gasLimit: 30_000_000n, baseFee: 0n })
      const fresh = selection.filter((tx) => !proposal.has(tx))
      assert.equal(fresh.length, wave.length, 'what was added before is known')
      await proposal.add(selection)
    }
    assert.equal(proposal.includedBytes, raws.reduce((n, r) => n + r.length, 0))
    const built = await proposal.finish({ anchors: [], anchorRoot: new Uint8Array(32), round: 0, validators: [VALIDATOR] })
    assert.equal(bytesToHex(built.block.header.stateRoot), bytesToHex(block.header.stateRoot))
    assert.equal(built.block.transactions.length, raws.length)
    assert.equal(built.outcome.rejected.length, 0)
    await ledger.commit(built, built.block.header)
    assert.equal(ledger.head().header.number, 1n)
  })
})
