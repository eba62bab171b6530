import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Genesis } from '../chain/genesis.js'
import { sign } from '../crypto/secp256k1.js'
import type { Block, TxReceipt } from '../chain/types.js'
import { privateKeyToAddress, recoverAddress } from '../crypto/secp256k1.js'
import { qbftBlockCodec } from '../consensus/blockCodec.js'
import { hasCommitQuorum } from '../consensus/verifyCommittedBlock.js'
import { createChainCommon } from '../execution/common.js'
import { nextBaseFee } from '../execution/blockExecution.js'
import { bytesToHex, hexToFixedBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError, errorMessage } from '../primitives/errors.js'
import type { Logger } from '../primitives/logger.js'
import type { Network } from '../p2p/network.js'
import { createBlockSync, type BlockSync } from '../p2p/blockSync.js'
import { createRpcServer, type RpcServer } from '../rpc/server.js'
import { createMemoryStore, openLmdbStore, type KvStore } from '../state/kvStore.js'
import { createFlatStateDb } from '../state/flatStateDb.js'
import { LARGE_GENESIS_ACCOUNTS, collectStartupGarbage } from './startupGarbage.js'
import { createTxPool, type TxPool } from '../txpool/txPool.js'
import { createSignerRecovery } from '../crypto/recoveryWorkers.js'
import { openSubmissionJournals } from './submissionJournals.js'
import { createQbftDriver, type QbftDriver } from './qbftDriver.js'
import { createProposalSizer } from './proposalSizer.js'
import { openLedger, type ExecutedBlock, type Ledger, type ProposalInProgress } from './ledger.js'
import { createRpcBackend } from './rpcBackend.js'
import { createNodeMethods } from './nodeMethods.js'
import { createProofChainReader } from './proofChainReader.js'
import { startIotService } from '../data/iot/iotService.js'
import { createAnchorPool, decodeAnchorRecord, encodeAnchorRecords } from '../data/anchorPool.js'
import { anchorRoot, indexAnchors, lookupAnchor, validateBlockAnchors, MAX_ANCHORS_PER_BLOCK } from '../data/anchorIndex.js'
import { createDataRpcMethods } from '../data/rpcMethods.js'
import { DATA_REGISTRY_ADDRESS } from '../data/registry/dataRegistry.js'
import { genesisToJson } from '../chain/genesis.js'
import type { WriteBatch } from '../state/kvStore.js'
import { gatherArrivals } from './gatherArrivals.js'

export interface NodeConfig {
  genesis: Genesis
  /** The node's secp256k1 key: its validator key and its p2p identity. */
  nodeKey: Uint8Array
  /** Where the store lives; undefined keeps everything in memory (--ephemeral). */
  dataDir: string | undefined
  rpc: { host: string; port: number }
  /** 'observer' follows the chain without taking part in consensus. */
  role?: 'validator' | 'observer'
  /** Peers; absent for a lone dev node. Started and stopped by the node. */
  network?: Network
  /** Also ingest telemetry from this MQTT broker (docs/spec/telemetry.md). */
  mqtt?: { url: string; topic?: string }
  /** Overrides genesis.blockPeriodMs (stele dev --block-time). */
  blockPeriodMs?: number
  /**
   * Keep the state of only this many recent state-changing blocks besides the head; older account-trie nodes
   * are deleted (ADR 0013). 0 or absent keeps every block's state (an archive).
   */
  stateHistory?: number
  /** Sender-recovery worker threads; 0 recovers on the main thread. Default: defaultRecoveryThreads(). */
  recoveryThreads?: number
  clientVersion: string
  logger: Logger
}

export interface SteleNode {
  readonly ledger: Ledger
  readonly pool: TxPool
  readonly rpc: RpcServer
  readonly address: Uint8Array
  readonly consensus: QbftDriver | undefined
  stop(): Promise<void>
}

/**
 * A proposal travels as one gossip message, which libp2p caps at 4 MiB: blocks stay under it with room
 * for the round-change justification.
 */
const MAX_BLOCK_TX_BYTES = 2 * 1024 * 1024
const MAX_BLOCK_ANCHORS = Math.min(MAX_ANCHORS_PER_BLOCK, 20_000)
/**
 * Proposal size on multi-validator networks: each validator executes the proposal inside the round, after the
 * proposer executed it to build it, so one execution gets this share of the round-0 timeout (proposalSizer.ts).
 */
const PROPOSAL_EXECUTION_SHARE = 0.25
const MIN_NETWORK_BLOCK_TXS = 100
const MAX_NETWORK_BLOCK_TXS = 10_000
/** A cautious first guess (ms of wall time per transaction: a cold JIT on a loaded host) until blocks are measured. */
const INITIAL_MS_PER_TX = 2

/** Longest wait, before building a proposal, for transactions still in admission. */
const PROPOSAL_ADMISSION_WAIT_MS = 50

/**
 * A lone validator's gathering (gatherArrivals.ts): until arrivals pause for 5 ms, 80 ms at most. It executes
 * what arrives as it arrives (`addPending` below), so RPC keeps answering, and what is left when the gathering
 * ends is the block's roots, its seal and its commit. The state root costs about the same for 250 transactions
 * as for 500 when the same accounts recur, and the seal is per block, so longer gatherings make cheaper
 * transactions (docs/performance.md, items 21 and 22). A lone transaction waits 5 ms once.
 */
const GATHER = { quietMs: 5, maxMs: 80 }
/** Transactions executed between two turns of the event loop while a lone validator gathers (about 2–6 ms). */
const EXECUTION_SLICE = 64

function settledOrTimeout(settled: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    void settled.then(() => {
      clearTimeout(timer)
      resolve()
    }, resolve)
  })
}

function capBySize<T extends { serialized: Uint8Array }>(txs: T[], maxBytes: number): T[] {
  let total = 0
  for (let i = 0; i < txs.length; i++) {
    total += (txs[i] as T).serialized.length
    if (total > maxBytes) return txs.slice(0, i)
  }
  return txs
}

/** Peers re-poll each other's heads this often to catch up after missed blocks. */
const SYNC_INTERVAL_MS = 2_000

/**
 * The composition root: opens storage, wires ledger, pool, consensus, network and RPC, and stops them in
 * reverse order.
 */
export async function startNode(config: NodeConfig): Promise<SteleNode> {
  const { genesis, logger, network } = config
  const log = logger.child('node')
  const role = config.role ?? 'validator'
  let store: KvStore
  if (config.dataDir === undefined) store = createMemoryStore()
  else {
    mkdirSync(config.dataDir, { recursive: true })
    store = openLmdbStore(join(config.dataDir, 'db'))
  }
  const common = createChainCommon(genesis.chainId)
  const state = createFlatStateDb(store, { stateHistory: config.stateHistory ?? 0 })
  // Senders are recovered on worker threads, once: at admission, and for block txs this pool never saw.
  const recovery = createSignerRecovery({
    ...(config.recoveryThreads === undefined ? {} : { threads: config.recoveryThreads }),
    onWorkerError: (error) => log.warn('sender recovery moved to the main thread', { error: errorMessage(error) }),
  })
  const ledger = await openLedger(store, state, genesis, common, { pooledTx: (hash) => pool.get(hash), recovery })
  if (genesis.alloc.size >= LARGE_GENESIS_ACCOUNTS) {
    const ms = collectStartupGarbage()
    log.info('collected the start-up garbage of a large genesis', { accounts: genesis.alloc.size, ms: Math.round(ms), heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20) })
  }
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
    recovery,
  })

  const anchors = createAnchorPool({ lookup: (hash) => lookupAnchor(store, hash) })
  // Transactions and anchors accepted through this node's RPC survive a restart (replayed before RPC opens).
  const journals = config.dataDir === undefined ? undefined : await openSubmissionJournals(config.dataDir, pool, anchors, log)
  const hasPendingWork = () => pool.counts().pending > 0 || anchors.pendingCount > 0
  const indexBlockData = (batch: WriteBatch, block: Block) => indexAnchors(block, batch, store)

  /** The set that seals `height`: the validators listed in the parent header (Besu's QBFT rule). */
  const validatorsFor = (height: bigint): Uint8Array[] => blocks.blockByNumber(height - 1n)?.header.extraData.validators ?? genesis.validators

  // Blocks executed while proposing or validating, kept until commit so nothing executes twice.
  const executed = new Map<string, { executed: ExecutedBlock; startedAt: number }>()
  const remember = (e: ExecutedBlock, startedAt: number) => {
    executed.set(bytesToHex(e.block.hash), { executed: e, startedAt })
    if (executed.size > 64) executed.delete(executed.keys().next().value as string)
  }
  const proposalSizer = createProposalSizer({
    targetMs: genesis.requestTimeoutMs * PROPOSAL_EXECUTION_SHARE,
    minTxs: MIN_NETWORK_BLOCK_TXS,
    maxTxs: MAX_NETWORK_BLOCK_TXS,
    initialMsPerTx: INITIAL_MS_PER_TX,
  })
  /**
   * Executes the pool's executable transactions not yet in the proposal, within the block's byte cap. With
   * `yieldToIo`, it lets I/O in every EXECUTION_SLICE transactions: RPC keeps answering while a lone
   * validator executes its gathering.
   */
  async function addPending(proposal: ProposalInProgress, maxTxs: number | undefined, yieldToIo: boolean): Promise<void> {
    const { header } = proposal.parent
    const selected = pool.selectForBlock({ gasLimit: header.gasLimit, baseFee: nextBaseFee(header), ...(maxTxs ? { maxTxs } : {}) })
    const fresh = capBySize(selected.filter((tx) => !proposal.has(tx)), MAX_BLOCK_TX_BYTES - proposal.includedBytes)
    for (let i = 0; i < fresh.length; i += EXECUTION_SLICE) {
      await proposal.add(fresh.slice(i, i + EXECUTION_SLICE))
      if (yieldToIo) await new Promise((resolve) => setImmediate(resolve))
    }
  }

  let importing: Promise<unknown> = Promise.resolve()
  /** Commits are serialized: consensus and sync may both deliver the next block. */
  const serialize = <T>(work: () => Promise<T>): Promise<T> => {
    const run = importing.then(work, work)
    importing = run.catch(() => undefined)
    return run
  }

  async function commitFinalized(block: Block, round: number): Promise<void> {
    await serialize(async () => {
      if (block.header.number <= blocks.headNumber()) return
      const key = bytesToHex(block.hash)
      const cached = executed.get(key)
      const startedAt = cached?.startedAt ?? performance.now()
      const done = cached?.executed ?? (await executeChecked(block))
      const receipts = await ledger.commit(done, block.header, { beforeWrite: indexBlockData })
      executed.clear()
      pool.onBlockCommitted(done.outcome.included)
      // A journal rewrite drops the block's transactions, so it waits until the block is durable (ADR 0009).
      if (journals) ledger.durable().then(() => stopping === undefined && journals.afterBlock(), () => {})
      anchors.onBlockCommitted(block)
      const head = blocks.head()
      log.info('block finalized', { number: head.header.number, hash: head.hash, txs: receipts.length, round, finalityMs: Math.round(performance.now() - startedAt) })
      for (const listener of blockListeners) {
        try {
          listener(head, receipts)
        } catch (error) {
          log.warn('block listener failed', { error: errorMessage(error) })
        }
      }
    })
  }

  /** Executes a block proposed or synced from elsewhere, after checking its anchors. */
  async function executeChecked(block: Block): Promise<ExecutedBlock> {
    validateBlockAnchors(block, (hash) => lookupAnchor(store, hash))
    return ledger.execute(block)
  }

  /** A block from sync: it must carry a commit quorum of its height's validators, then it is executed. */
  async function importSynced(encoded: Uint8Array, height: bigint): Promise<void> {
    const block = qbftBlockCodec.decode(encoded)
    if (block.header.number !== height) throw new SteleError(ErrorCode.InvalidBlock, `asked for block ${height}, got ${block.header.number}`)
    if (height <= blocks.headNumber()) return
    const recover = (hash: Uint8Array, sig: Uint8Array) => {
      try {
        return recoverAddress(hash, sig)
      } catch {
        return undefined
      }
    }
    if (!hasCommitQuorum(block, validatorsFor(height), recover)) throw new SteleError(ErrorCode.InvalidBlock, `block ${height} lacks a commit quorum of its validators`)
    await commitFinalized(block, block.header.extraData.round)
    consensus?.onChainHead(blocks.head().header)
  }

  const periodMs = config.blockPeriodMs ?? genesis.blockPeriodMs
  let sync: BlockSync | undefined
  if (network) {
    sync = createBlockSync({ network, localHead: () => blocks.headNumber(), verifyAndImport: importSynced, logger: logger.child('sync') })
    // A peer that (re)connects may be ahead of us: ask at once rather than at the next poll.
    network.onPeerConnected(() => void sync?.trigger().catch(() => {}))
    network.onSyncRequest(async ({ from, count }) => {
      const out: Uint8Array[] = []
      for (let n = from; n < from + BigInt(count); n++) {
        const block = blocks.blockByNumber(n)
        if (!block) break
        out.push(qbftBlockCodec.encode(block))
      }
      return out
    })
    network.onStatusRequest(() => ({ head: blocks.headNumber(), headHash: blocks.head().hash }))
    network.subscribe('anchors', (data) => {
      try {
        anchors.submit(decodeAnchorRecord(data))
        consensus?.notifyPendingTransactions()
      } catch {
        // Malformed anchor gossip is dropped; the sender's own node already validated its batch.
      }
    })
    network.subscribe('tx', (raw) => {
      pool.add(raw).then(
        () => consensus?.notifyPendingTransactions(),
        () => {}, // Already known or invalid here: gossip from peers is best effort.
      )
    })
    // Gossip does not replay. A transaction or anchor accepted while this node had no peer on the topic (just
    // started, or cut off) would otherwise stay here, and an observer never proposes it: offer what we hold
    // to a peer that joins, as geth announces its pool to a new peer.
    republishOnTopicJoin(network, 'tx', () => {
      const { pending, queued } = pool.content()
      return [...pending, ...queued].map((tx) => tx.serialized)
    })
    republishOnTopicJoin(network, 'anchors', () => encodeAnchorRecords(anchors.take(anchors.pendingCount)))
  }

  const consensus: QbftDriver | undefined =
    role === 'validator'
      ? createQbftDriver({
          address,
          sign: (hash) => sign(hash, config.nodeKey),
          async buildBlock(height, round) {
            const head = blocks.head()
            if (head.header.number + 1n !== height) throw new SteleError(ErrorCode.Consensus, `asked to build ${height} on head ${head.header.number}`)
            const lone = validatorsFor(height).length === 1
            const proposal = await ledger.startProposal({ timestamp: BigInt(Math.floor(Date.now() / 1000)), proposer: address })
            let startedAt: number
            try {
              // A lone validator without a block period gathers arrivals first, and executes them as they come.
              if (lone && periodMs === 0) await gatherArrivals(pool, { ...GATHER, onArrivals: () => addPending(proposal, undefined, true) })
              // Transactions already received but still in admission (sender recovery on a worker) join this block;
              // bounded, because the other validators' round timers run while the proposer waits (a gossip flood
              // keeps admissions in flight for long stretches).
              await settledOrTimeout(pool.settled(), PROPOSAL_ADMISSION_WAIT_MS)
              if (blocks.headNumber() !== head.header.number) throw new SteleError(ErrorCode.Consensus, `the head moved while block ${height} was built`)
              startedAt = performance.now()
              // With peers, every validator executes the proposal within the round timeout: size it to fit.
              await addPending(proposal, lone ? undefined : proposalSizer.maxTxs(), false)
            } catch (error) {
              proposal.abandon()
              throw error
            }
            const batch = anchors.take(MAX_BLOCK_ANCHORS)
            const result = await proposal.finish({ anchors: batch, anchorRoot: anchorRoot(batch), round, validators: validatorsFor(height) })
            // Only blocks built at once measure execution: a lone validator's are spread over its gathering.
            if (!lone) proposalSizer.record(result.block.transactions.length, performance.now() - startedAt)
            const dropped = result.outcome.rejected.filter((r) => !r.retry).map((r) => r.tx.hash)
            if (dropped.length > 0) pool.remove(dropped)
            remember(result, startedAt)
            return result.block
          },
          async validateBlock(block) {
            const startedAt = performance.now()
            try {
              const result = await serialize(async () => {
                const executionStartedAt = performance.now()
                const executed = await executeChecked(block)
                proposalSizer.record(block.transactions.length, performance.now() - executionStartedAt)
                return executed
              })
              remember(result, startedAt)
              return true
            } catch (error) {
              log.warn('rejected a proposed block', { number: block.header.number, error: errorMessage(error) })
              return false
            }
          },
          commitBlock: (block) => commitFinalized(block, block.header.extraData.round),
          broadcast: (bytes) => {
            network?.publish('consensus', bytes).catch((error) => log.debug('consensus publish failed', { error: errorMessage(error) }))
          },
          validators: validatorsFor,
          head: () => blocks.head().header,
          store,
          sync: { requestSync: () => void sync?.trigger().catch(() => {}) },
          blockPeriodMs: periodMs,
          baseRoundTimeoutMs: genesis.requestTimeoutMs,
          maxRoundTimeoutMs: genesis.roundTimeoutCapMs,
          emptyBlocks: periodMs > 0,
          hasPendingTransactions: hasPendingWork,
          logger: logger.child('qbft'),
        })
      : undefined
  if (consensus && network) {
    network.subscribe('consensus', (bytes) => consensus.onMessage(bytes))
    // A validator that (re)joins missed this round's messages: send ours again so it can take part at once.
    network.onTopicPeer('consensus', () => consensus.resendCurrentRound())
  }

  const backend = createRpcBackend({
    ledger,
    clientVersion: config.clientVersion,
    pendingNonce: (a) => pool.pendingNonce(a),
    submit: async (raw) => {
      const tx = await pool.add(raw)
      journals?.recordTransaction(tx)
      consensus?.notifyPendingTransactions()
      network?.publish('tx', tx.serialized).catch((error) => log.debug('tx publish failed', { error: errorMessage(error) }))
      return tx.hash
    },
    pooled: (hash) => pool.get(hash),
    onNewBlock(listener) {
      blockListeners.add(listener)
      return () => blockListeners.delete(listener)
    },
    onPendingTransaction: (listener) => pool.onPending((tx) => listener(tx.hash)),
    extraMethods: () => ({
      ...createNodeMethods({ ledger, network, consensus, address, validatorsFor }),
      ...dataMethods,
      stele_getGenesis: async () => genesisToJson(genesis),
    }),
    ...(network ? { peerCount: () => network.peers().length } : {}),
    ...(sync ? { syncStatus: () => (sync!.progress().syncing ? sync!.progress() : undefined) } : {}),
  })
  const proofReader = createProofChainReader(ledger, store, genesis)
  /** Anchors accepted here go to the other nodes' pools (whoever proposes next includes them). */
  const publishAnchors = (hashes: readonly Uint8Array[]) => {
    if (network) for (const record of encodeAnchorRecords(hashes)) network.publish('anchors', record).catch(() => {})
  }
  const rawDataMethods = createDataRpcMethods({
    pool: anchors,
    reader: proofReader,
    callRegistry: async (data) => (await backend.call({ to: DATA_REGISTRY_ADDRESS, data }, blocks.headNumber())).returnData,
  })
  const dataMethods = {
    ...rawDataMethods,
    stele_anchor: async (params: unknown[]) => {
      const result = await rawDataMethods.stele_anchor!(params)
      // Accepted, so params[0] holds valid hashes.
      const hashes = (params[0] as string[]).map((h) => hexToFixedBytes(h, 32, 'anchor'))
      journals?.recordAnchors(hashes)
      consensus?.notifyPendingTransactions()
      publishAnchors(hashes)
      return result
    },
  }
  const iot = await startIotService({
    store,
    call: async (to, data) => (await backend.call({ to, data }, blocks.headNumber())).returnData,
    anchor: (hashes) => {
      anchors.submit(hashes)
      journals?.recordAnchors(hashes)
      consensus?.notifyPendingTransactions()
      publishAnchors(hashes)
    },
    proofReader,
    ...(config.mqtt ? { mqtt: config.mqtt } : {}),
    logger: logger.child('iot'),
  })
  blockListeners.add((_block, receipts) => iot.onBlockCommitted(receipts))
  const rpc = await createRpcServer({ backend, host: config.rpc.host, port: config.rpc.port, logger: logger.child('rpc'), routes: (req, res) => iot.handleHttp(req, res) })
  if (network) {
    await network.start()
    sync?.start(SYNC_INTERVAL_MS)
  }
  if (consensus) await consensus.start()
  log.info('node started', { chainId: genesis.chainId, role, head: blocks.headNumber(), address, rpc: rpc.url, ...(network ? { peerId: network.peerId } : {}) })

  let stopping: Promise<void> | undefined
  return {
    ledger,
    pool,
    rpc,
    address,
    consensus,
    stop() {
      stopping ??= (async () => {
        log.info('stopping')
        await rpc.close()
        await iot.stop()
        await consensus?.stop()
        await sync?.stop()
        await network?.stop()
        await importing
        await recovery.close()
        journals?.close()
        await store.close()
        log.info('stopped', { head: blocks.headNumber() })
      })()
      return stopping
    },
  }
}


/** Peers joining a topic within this window share one republish of what the node holds. */
const REPUBLISH_COALESCE_MS = 1_000

function republishOnTopicJoin(network: Network, topic: 'tx' | 'anchors', held: () => Uint8Array[]): void {
  let scheduled: ReturnType<typeof setTimeout> | undefined
  network.onTopicPeer(topic, () => {
    scheduled ??= setTimeout(() => {
      scheduled = undefined
      for (const item of held()) network.publish(topic, item).catch(() => {}) // stopped meanwhile, or no peer left
    }, REPUBLISH_COALESCE_MS)
    scheduled.unref?.()
  })
}

