import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Genesis } from '../chain/genesis.js'
import { signCommitSeal } from '../chain/seal.js'
import type { Block, TxReceipt } from '../chain/types.js'
import { privateKeyToAddress } from '../crypto/secp256k1.js'
import { createChainCommon } from '../execution/common.js'
import { nextBaseFee } from '../execution/blockExecution.js'
import { errorMessage } from '../primitives/errors.js'
import type { Logger } from '../primitives/logger.js'
import { createRpcServer, type RpcServer } from '../rpc/server.js'
import { createMemoryStore, openLmdbStore, type KvStore } from '../state/kvStore.js'
import { createFlatStateDb } from '../state/flatStateDb.js'
import { createTxPool, type TxPool } from '../txpool/txPool.js'
import { createBlockProducer, type BlockProducer } from './blockProducer.js'
import { openLedger, type Ledger } from './ledger.js'
import { createRpcBackend } from './rpcBackend.js'

export interface NodeConfig {
  genesis: Genesis
  /** The validator's secp256k1 key (also its p2p identity). */
  nodeKey: Uint8Array
  /** Where the store lives; undefined keeps everything in memory (--ephemeral). */
  dataDir: string | undefined
  rpc: { host: string; port: number }
  /** Overrides genesis.blockPeriodMs (stele dev --block-time). */
  blockPeriodMs?: number
  clientVersion: string
  logger: Logger
}

export interface SteleNode {
  readonly ledger: Ledger
  readonly pool: TxPool
  readonly rpc: RpcServer
  readonly address: Uint8Array
  stop(): Promise<void>
}

/** The composition root: opens storage, wires ledger, pool, block production and RPC, and stops them in order. */
export async function startNode(config: NodeConfig): Promise<SteleNode> {
  const { genesis, logger } = config
  const log = logger.child('node')
  let store: KvStore
  if (config.dataDir === undefined) store = createMemoryStore()
  else {
    mkdirSync(config.dataDir, { recursive: true })
    store = openLmdbStore(join(config.dataDir, 'db'))
  }
  const common = createChainCommon(genesis.chainId)
  const state = createFlatStateDb(store)
  const ledger = await openLedger(store, state, genesis, common)
  const address = privateKeyToAddress(config.nodeKey)
  const blocks = ledger.blocks

  const blockListeners = new Set<(block: Block, receipts: TxReceipt[]) => void>()
  const pool = createTxPool({
    common,
    chainId: genesis.chainId,
    account: async (a) => {
      const account = await state.reader(state.headRoot())?.account(a)
      return { nonce: account?.nonce ?? 0n, balance: account?.balance ?? 0n }
    },
    baseFee: () => nextBaseFee(blocks.head().header),
    blockGasLimit: () => blocks.head().header.gasLimit,
    onListenerError: (error) => log.warn('pending-transaction listener failed', { error: errorMessage(error) }),
  })

  const periodMs = config.blockPeriodMs ?? genesis.blockPeriodMs
  const producer: BlockProducer = createBlockProducer({
    periodMs,
    logger: log,
    hasPending: () => pool.counts().pending > 0,
    produce: async () => {
      const head = blocks.head().header
      const candidates = pool.selectForBlock({ gasLimit: head.gasLimit, baseFee: nextBaseFee(head) })
      if (candidates.length === 0 && periodMs === 0) return
      const started = performance.now()
      const executed = await ledger.propose({
        candidates,
        anchors: [],
        anchorRoot: new Uint8Array(32),
        timestamp: BigInt(Math.floor(Date.now() / 1000)),
        proposer: address,
        round: 0,
        validators: genesis.validators,
      })
      const dropped = executed.outcome.rejected.filter((r) => !r.retry).map((r) => r.tx.hash)
      if (dropped.length > 0) pool.remove(dropped)
      const unsealed = executed.block.header
      const sealed = { ...unsealed, extraData: { ...unsealed.extraData, seals: [signCommitSeal(unsealed, config.nodeKey)] } }
      const receipts = await ledger.commit(executed, sealed)
      pool.onBlockCommitted(executed.outcome.included)
      const block = blocks.head()
      log.info('block finalized', { number: block.header.number, hash: block.hash, txs: receipts.length, round: 0, ms: Math.round(performance.now() - started) })
      for (const listener of blockListeners) {
        try {
          listener(block, receipts)
        } catch (error) {
          log.warn('block listener failed', { error: errorMessage(error) })
        }
      }
    },
  })

  const backend = createRpcBackend({
    ledger,
    clientVersion: config.clientVersion,
    pendingNonce: (a) => pool.pendingNonce(a),
    submit: async (raw) => {
      const tx = await pool.add(raw)
      producer.notifyPending()
      return tx.hash
    },
    pooled: (hash) => pool.get(hash),
    onNewBlock(listener) {
      blockListeners.add(listener)
      return () => blockListeners.delete(listener)
    },
    onPendingTransaction: (listener) => pool.onPending((tx) => listener(tx.hash)),
  })
  const rpc = await createRpcServer({ backend, host: config.rpc.host, port: config.rpc.port, logger: logger.child('rpc') })
  producer.start()
  log.info('node started', { chainId: genesis.chainId, head: blocks.headNumber(), validator: address, rpc: rpc.url })

  let stopping: Promise<void> | undefined
  return {
    ledger,
    pool,
    rpc,
    address,
    stop() {
      stopping ??= (async () => {
        log.info('stopping')
        await rpc.close()
        await producer.stop()
        await store.close()
        log.info('stopped', { head: blocks.headNumber() })
      })()
      return stopping
    },
  }
}
