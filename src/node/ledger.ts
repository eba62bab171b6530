import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Account as EthAccount, Address } from '@ethereumjs/util'
import { openBlockStore, type BlockStore } from '../chain/blockStore.js'
import type { Genesis } from '../chain/genesis.js'
import { EMPTY_OMMERS_HASH, EMPTY_TRIE_ROOT, QBFT_MIX_HASH, type BlockHeader } from '../chain/header.js'
import type { QbftExtraData } from '../chain/qbftExtraData.js'
import { blockHash } from '../chain/seal.js'
import type { Block, SignedTx, TxReceipt } from '../chain/types.js'
import { checkExecutedHeader, executeTransactions, nextBaseFee, startBlockExecution, type BlockEnv, type ExecutionOutcome } from '../execution/blockExecution.js'
import { createExecutionVmPool } from '../execution/vmPool.js'
import { bytesToHex, equalBytes, hexToBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { WriteBatch, type KvStore } from '../state/kvStore.js'
import type { StateDb } from '../state/stateDb.js'
import { keccak256 } from '../crypto/keccak.js'
import type { SignerRecovery } from '../crypto/recoveryWorkers.js'
import { createSharedTxCommon, decodeBlockTransaction, recoverSender, recoverSenderWith, rememberSender } from '../txpool/decodeRawTransaction.js'

/** A block whose transactions have been executed but which is not yet committed. */
export interface ExecutedBlock {
  block: Block
  senders: Uint8Array[]
  outcome: ExecutionOutcome
}

export interface ProposeOptions extends ProposalStart, ProposalSeal {
  candidates: SignedTx[]
}

export interface ProposalStart {
  timestamp: bigint
  proposer: Uint8Array
}

/** What a proposal's header takes once its transactions are in. */
export interface ProposalSeal {
  anchors: Uint8Array[]
  anchorRoot: Uint8Array
  round: number
  validators: Uint8Array[]
}

/**
 * A proposal built in steps, on the head at its start: candidates are executed as they are added, and
 * `finish` makes the block. Candidates that do not fit or fail are left out, as in `propose`.
 */
export interface ProposalInProgress {
  /** The head this proposal builds on. */
  readonly parent: Block
  /** Executes these candidates after those added so far. A candidate (the same object) added before is skipped. */
  add(candidates: readonly SignedTx[]): Promise<void>
  /** Whether this candidate (the same object) was added before. */
  has(candidate: SignedTx): boolean
  /** Encoded bytes of the transactions included so far. */
  readonly includedBytes: number
  finish(seal: ProposalSeal): Promise<ExecutedBlock>
  /** Drops the proposal (the head moved, or consensus moved on). */
  abandon(): void
}

export interface CommitHooks {
  /** Adds module-owned writes (anchor index, …) to the block's batch. */
  beforeWrite?: (batch: WriteBatch, block: Block, receipts: TxReceipt[]) => void
}

/**
 * The chain of executed, committed blocks: block store + world state + execution, committed one
 * write transaction per block. Consensus decides *which* block; the ledger builds, checks and stores it.
 */
export interface Ledger {
  readonly common: Common
  readonly blocks: BlockStore
  readonly state: StateDb
  head(): Block
  propose(options: ProposeOptions): Promise<ExecutedBlock>
  /** Starts a proposal on the current head, to be built in steps. */
  startProposal(options: ProposalStart): Promise<ProposalInProgress>
  /** Executes a block proposed by someone else (or synced) and checks its header against the result. */
  execute(block: Block): Promise<ExecutedBlock>
  /** Commits an executed block with its final (sealed) header, atomically. */
  commit(executed: ExecutedBlock, sealedHeader: BlockHeader, hooks?: CommitHooks): Promise<TxReceipt[]>
  decodeTransactions(block: Block, senders?: Uint8Array[]): SignedTx[]
  /** Settles once every block committed so far is durable (rejects if the store failed to write one). */
  durable(): Promise<void>
}

export interface LedgerOptions {
  /**
   * The pool's tx with this hash (keccak of its bytes), if any. execute() reuses its decoded form and
   * recovered sender: the same hash means the same bytes, hence the same sender.
   */
  pooledTx?: (hash: Uint8Array) => SignedTx | undefined
  /** Recovers the senders of the other txs of a block (worker threads, one batch); absent, on this thread. */
  recovery?: SignerRecovery
  /** Plain value transfers skip the EVM (see applyPlainTransfer); default true. */
  plainTransfers?: boolean
  /** Calls to contracts that make no call of their own run in the frame interpreter (see applyContractCall); default true. */
  contractCalls?: boolean
}

export async function openLedger(store: KvStore, state: StateDb, genesis: Genesis, common: Common, options: LedgerOptions = {}): Promise<Ledger> {
  const blocks = openBlockStore(store)
  const vms = createExecutionVmPool(common)
  const execution = { plainTransfers: options.plainTransfers ?? true, contractCalls: options.contractCalls ?? true }
  /** The last block batch written behind (ADR 0009); each is queued after the one before. */
  let lastWrite: Promise<void> = Promise.resolve()
  // Decoding with a Common each tx shares, rather than a copy per tx (see createSharedTxCommon).
  const txCommon = createSharedTxCommon(common)
  if (blocks.headNumber() < 0n) await writeGenesis(store, blocks, state, genesis)
  else checkGenesisMatches(blocks, genesis)

  function decodeTransactions(block: Block, senders?: Uint8Array[]): SignedTx[] {
    return block.transactions.map((serialized, i) => {
      const tx = decodeBlockTransaction(serialized, txCommon)
      const known = senders?.[i]
      if (known !== undefined) rememberSender(tx, known)
      const from = known ?? recoverSender(tx)
      return { tx, hash: tx.hash(), from, serialized }
    })
  }

  /**
   * A block's txs for execution: pooled ones as the pool holds them (decoded, sender known), the others
   * decoded here with their senders recovered in one batch.
   */
  async function decodeForExecution(block: Block): Promise<SignedTx[]> {
    const txs: SignedTx[] = new Array(block.transactions.length)
    const unknown: number[] = []
    block.transactions.forEach((serialized, i) => {
      const pooled = options.pooledTx?.(keccak256(serialized))
      if (pooled !== undefined) txs[i] = pooled
      else unknown.push(i)
    })
    if (unknown.length === 0) return txs
    const decoded = unknown.map((i) => decodeBlockTransaction(block.transactions[i] as Uint8Array, txCommon))
    const { recovery } = options
    const senders = recovery === undefined ? decoded.map((tx) => recoverSender(tx)) : await Promise.all(decoded.map((tx) => recoverSenderWith(recovery, tx)))
    unknown.forEach((at, k) => {
      const tx = decoded[k] as TypedTransaction
      txs[at] = { tx, hash: tx.hash(), from: senders[k] as Uint8Array, serialized: block.transactions[at] as Uint8Array }
    })
    return txs
  }

  function envFor(parent: BlockHeader, timestamp: bigint, coinbase: Uint8Array): BlockEnv {
    return {
      number: parent.number + 1n,
      timestamp: timestamp > parent.timestamp ? timestamp : parent.timestamp,
      gasLimit: parent.gasLimit,
      baseFeePerGas: nextBaseFee(parent),
      coinbase,
      mixHash: QBFT_MIX_HASH,
    }
  }

  async function startProposal(options: ProposalStart): Promise<ProposalInProgress> {
    const parent = blocks.head()
    const env = envFor(parent.header, options.timestamp, options.proposer)
    const run = await startBlockExecution(common, state.overlay(parent.header.stateRoot), env, 'build', vms, execution)
    const added = new Set<SignedTx>()
    return {
      parent,
      get includedBytes() {
        return run.includedBytes
      },
      has: (candidate) => added.has(candidate),
      async add(candidates) {
        const fresh = candidates.filter((c) => !added.has(c))
        for (const c of fresh) added.add(c)
        await run.run(fresh)
      },
      async finish(seal) {
        const outcome = await run.finish()
        const extraData: QbftExtraData = { vanity: seal.anchorRoot, validators: seal.validators, vote: undefined, round: seal.round, seals: [] }
        const header = headerFrom(parent, env, outcome, extraData)
        const block: Block = { header, hash: blockHash(header), transactions: outcome.included.map((t) => t.serialized), anchors: seal.anchors }
        return { block, senders: outcome.included.map((t) => t.from), outcome }
      },
      abandon: () => run.abandon(),
    }
  }

  return {
    common,
    blocks,
    state,
    head: () => blocks.head(),
    durable: () => lastWrite,
    decodeTransactions,
    async propose(options) {
      const proposal = await startProposal(options)
      try {
        await proposal.add(options.candidates)
      } catch (error) {
        proposal.abandon()
        throw error
      }
      return proposal.finish(options)
    },
    startProposal,
    async execute(block) {
      const parent = blocks.head()
      if (block.header.number !== parent.header.number + 1n) {
        throw new SteleError(ErrorCode.InvalidBlock, `block ${block.header.number} does not follow head ${parent.header.number}`)
      }
      if (!equalBytes(block.header.parentHash, parent.hash)) throw new SteleError(ErrorCode.InvalidBlock, 'parentHash does not match the head')
      const env = envFor(parent.header, block.header.timestamp, block.header.coinbase)
      if (block.header.timestamp < parent.header.timestamp) throw new SteleError(ErrorCode.InvalidBlock, 'timestamp goes backwards')
      if (block.header.baseFeePerGas !== env.baseFeePerGas) throw new SteleError(ErrorCode.InvalidBlock, 'wrong baseFeePerGas')
      if (block.header.gasLimit !== env.gasLimit) throw new SteleError(ErrorCode.InvalidBlock, 'wrong gasLimit')
      const txs = await decodeForExecution(block)
      const outcome = await executeTransactions(common, state.overlay(parent.header.stateRoot), env, txs, 'validate', vms, execution)
      checkExecutedHeader(block.header, outcome)
      return { block, senders: txs.map((t) => t.from), outcome }
    },
    async commit(executed, sealedHeader, hooks = {}) {
      const block: Block = { ...executed.block, header: sealedHeader }
      if (!equalBytes(blockHash(sealedHeader), executed.block.hash)) {
        throw new SteleError(ErrorCode.InvalidBlock, 'the sealed header is not the executed block')
      }
      if (sealedHeader.number !== blocks.headNumber() + 1n) {
        throw new SteleError(ErrorCode.InvalidBlock, `block ${sealedHeader.number} does not follow head ${blocks.headNumber()}`)
      }
      const receipts: TxReceipt[] = executed.outcome.receipts.map((r) => ({ ...r, blockHash: block.hash }))
      const batch = new WriteBatch()
      const { apply } = await executed.outcome.overlay.prepareCommit(batch)
      blocks.putBlock(batch, block, executed.senders, receipts)
      hooks.beforeWrite?.(batch, block, receipts)
      // Visible at once, durable in the background while the next block is built (LMDB's write thread does the
      // B-tree writes and the flush). A failure makes the store refuse every later write: the next commit or
      // consensus step reports it. The consensus WAL waits for durability, and queues behind this batch.
      lastWrite = store.writeBehind(batch)
      lastWrite.catch(() => {})
      apply()
      blocks.onCommitted(block, executed.senders, receipts)
      return receipts
    },
  }
}

function headerFrom(parent: Block, env: BlockEnv, outcome: ExecutionOutcome, extraData: QbftExtraData): BlockHeader {
  return {
    parentHash: parent.hash,
    ommersHash: EMPTY_OMMERS_HASH,
    coinbase: env.coinbase,
    stateRoot: outcome.stateRoot,
    transactionsRoot: outcome.transactionsRoot,
    receiptsRoot: outcome.receiptsRoot,
    logsBloom: outcome.logsBloom,
    difficulty: 1n,
    number: env.number,
    gasLimit: env.gasLimit,
    gasUsed: outcome.gasUsed,
    timestamp: env.timestamp,
    extraData,
    mixHash: env.mixHash,
    nonce: new Uint8Array(8),
    baseFeePerGas: env.baseFeePerGas,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
  }
}

const GENESIS_HASH_META = 'genesisHash'

async function writeGenesis(store: KvStore, blocks: BlockStore, state: StateDb, genesis: Genesis): Promise<void> {
  const overlay = state.overlay(EMPTY_TRIE_ROOT)
  const sm = overlay.stateManager
  for (const [hex, account] of genesis.alloc) {
    const address = new Address(hexToBytes(hex))
    await sm.putAccount(address, new EthAccount(account.nonce, account.balance))
    if (account.code) await sm.putCode(address, account.code)
    for (const [slot, value] of account.storage) await sm.putStorage(address, padTo32(hexToBytes(slot)), stripZeros(hexToBytes(value)))
  }
  const batch = new WriteBatch()
  const { root, apply } = await overlay.prepareCommit(batch)
  const header = genesisHeader(genesis, root)
  const block: Block = { header, hash: blockHash(header), transactions: [], anchors: [] }
  blocks.putBlock(batch, block, [], [])
  blocks.putMeta(batch, GENESIS_HASH_META, block.hash)
  store.write(batch)
  apply()
  blocks.onCommitted(block, [], [])
}

export function genesisHeader(genesis: Genesis, stateRoot: Uint8Array): BlockHeader {
  return {
    parentHash: new Uint8Array(32),
    ommersHash: EMPTY_OMMERS_HASH,
    coinbase: new Uint8Array(20),
    stateRoot,
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 1n,
    number: 0n,
    gasLimit: genesis.gasLimit,
    gasUsed: 0n,
    timestamp: genesis.timestamp,
    extraData: { vanity: new Uint8Array(32), validators: genesis.validators, vote: undefined, round: 0, seals: [] },
    mixHash: QBFT_MIX_HASH,
    nonce: new Uint8Array(8),
    baseFeePerGas: genesis.baseFeePerGas,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
  }
}

function checkGenesisMatches(blocks: BlockStore, genesis: Genesis) {
  const stored = blocks.blockByNumber(0n)
  if (!stored) throw new SteleError(ErrorCode.Storage, 'the data directory has a head but no genesis block')
  const expected = genesisHeader(genesis, stored.header.stateRoot)
  if (!equalBytes(blockHash(expected), stored.hash)) {
    throw new SteleError(ErrorCode.Config, `the data directory holds another chain (genesis ${bytesToHex(stored.hash)}); use another --data-dir or --reset`)
  }
}

function padTo32(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  out.set(b.subarray(Math.max(0, b.length - 32)), Math.max(0, 32 - b.length))
  return out
}

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0
  while (i < b.length && b[i] === 0) i++
  return b.subarray(i)
}

