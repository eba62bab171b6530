import { loadavg } from 'node:os'
import { RLP } from '@ethereumjs/rlp'
import { openBlockStore } from '../src/chain/blockStore.js'
import type { Genesis } from '../src/chain/genesis.js'
import { encodeHeader } from '../src/chain/header.js'
import { encodeConsensusReceipt } from '../src/chain/receipt.js'
import { blockHash } from '../src/chain/seal.js'
import type { Block, SignedTx } from '../src/chain/types.js'
import { createChainCommon } from '../src/execution/common.js'
import { openLedger, type Ledger } from '../src/node/ledger.js'
import { createRpcBackend } from '../src/node/rpcBackend.js'
import { bytesToHex, hexToBytes } from '../src/primitives/bytes.js'
import type { RpcContext } from '../src/rpc/context.js'
import { createDispatcher } from '../src/rpc/dispatcher.js'
import { createFilterManager } from '../src/rpc/filters.js'
import { createMethodTable } from '../src/rpc/methods/index.js'
import { rlpDecode, rlpEncode, type RlpItem } from '../src/primitives/rlp.js'
import { createFlatStateDb } from '../src/state/flatStateDb.js'
import { createMemoryStore, WriteBatch, type KvStore } from '../src/state/kvStore.js'
import { deriveDevKeys, type DevKey } from '../test/fixtures/devAccounts.js'
import { signEip1559Tx } from '../test/fixtures/rawTx.js'
import { progress, round } from './lib/stats.js'

export interface RpcBenchOptions {
  /** Transactions per block (default 400, about the dev bench's batched block size). Not `txs`, which is the dev bench's per-phase count. */
  txsPerBlock?: number
}

const CHAIN_ID = 1337n
const BLOCKS = 3
const SENDERS = 16
/** Each figure is the best of this many rounds of at least MIN_ROUND_MS of CPU. */
const ROUNDS = 3
const MIN_ROUND_MS = 150

/**
 * `npm run bench -- rpc`: CPU per call of the hot JSON-RPC reads (through the real dispatcher, method
 * table and node backend over an in-memory ledger), the block store's encode and decode costs for a
 * block of `txsPerBlock` ETH transfers, and our RLP codec against @ethereumjs/rlp on the same shapes.
 * In process, no HTTP: this isolates what the node does per call.
 */
export async function runRpcBench(options: RpcBenchOptions = {}): Promise<object> {
  const txsPerBlock = options.txsPerBlock ?? 400
  const loadBefore = loadavg()[0]
  progress(`rpc: building ${BLOCKS} blocks of ${txsPerBlock} transfers`)
  const { store, ledger } = await buildChain(txsPerBlock)
  const head = ledger.blocks.head()
  const receipts = ledger.blocks.receipts(head.header.number)
  const senders = ledger.blocks.senders(head.header.number)
  const middleTx = receipts[Math.floor(receipts.length / 2)]?.transactionHash as Uint8Array

  const context = rpcContext(ledger)
  const dispatcher = createDispatcher({ methods: createMethodTable(context.backend), logger: { error: () => {} }, maxBatchSize: 1000 })
  const call = (method: string, params: unknown[]) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })
  const headTag = `0x${head.header.number.toString(16)}`
  const bodies = {
    blockNumber: call('eth_blockNumber', []),
    getBlockByNumberHashes: call('eth_getBlockByNumber', [headTag, false]),
    getBlockByNumberFull: call('eth_getBlockByNumber', [headTag, true]),
    getTransactionReceipt: call('eth_getTransactionReceipt', [bytesToHex(middleTx)]),
    getBalance: call('eth_getBalance', [bytesToHex((deriveDevKeys(1)[0] as DevKey).address), 'latest']),
  }
  const rpc: Record<string, number | undefined> = {}
  for (const [name, body] of Object.entries(bodies)) {
    const answer = await dispatcher.handle(body, context)
    if (answer === undefined || answer.includes('"error"')) throw new Error(`${name} failed: ${answer}`)
    rpc[`${name}Us`] = round(await cpuMicros(() => dispatcher.handle(body, context)))
  }
  // A block no cache has seen: a fresh block store and backend per call, as after a restart or for an
  // explorer paging through old blocks.
  rpc['getBlockByNumberHashesColdUs'] = round(
    await cpuMicros(() => {
      const cold = rpcContext({ ...ledger, blocks: openBlockStore(store) })
      return createDispatcher({ methods: createMethodTable(cold.backend), logger: { error: () => {} }, maxBatchSize: 1000 }).handle(bodies.getBlockByNumberHashes, cold)
    }),
  )

  const storage = {
    encodeHeaderUs: round(await cpuMicros(() => void encodeHeader(head.header))),
    blockHashUs: round(await cpuMicros(() => void blockHash(head.header))),
    encodeConsensusReceiptsUs: round(await cpuMicros(() => void receipts.forEach((r) => encodeConsensusReceipt(r)))),
    putBlockUs: round(await cpuMicros(() => ledger.blocks.putBlock(new WriteBatch(), head, senders, receipts))),
    loadBlockColdUs: round(await cpuMicros(() => void openBlockStore(store).blockByNumber(head.header.number))),
    loadBlockAndReceiptsColdUs: round(
      await cpuMicros(() => {
        const blocks = openBlockStore(store)
        blocks.receipts(head.header.number)
      }),
    ),
  }
  // The codec alone against @ethereumjs/rlp, on this block's stored shapes.
  const shapes: Record<string, RlpItem> = {
    header: rlpDecode(encodeHeader(head.header)),
    blockBody: [encodeHeader(head.header), head.transactions, head.anchors, senders],
    receipts: receipts.map((r) => [Uint8Array.of(r.type), Uint8Array.of(r.status), r.logsBloom, r.logs.map((l) => [l.address, l.topics, l.data]), r.transactionHash]),
  }
  const rlp: Record<string, Record<string, number | undefined>> = {}
  for (const [name, item] of Object.entries(shapes)) {
    const encoded = rlpEncode(item)
    rlp[name] = {
      bytes: encoded.length,
      encodeUs: round(await cpuMicros(() => void rlpEncode(item))),
      encodeEthereumjsUs: round(await cpuMicros(() => void RLP.encode(item))),
      decodeUs: round(await cpuMicros(() => void rlpDecode(encoded))),
      decodeEthereumjsUs: round(await cpuMicros(() => void RLP.decode(encoded))),
    }
  }
  return { txsPerBlock, rpc, storage, rlp, hostLoadAvg: { before: round(loadBefore, 2), after: round(loadavg()[0], 2) } }
}

async function buildChain(txsPerBlock: number): Promise<{ store: KvStore; ledger: Ledger }> {
  const keys = deriveDevKeys(SENDERS)
  const validator = (keys[0] as DevKey).address
  const genesis: Genesis = {
    chainId: CHAIN_ID,
    timestamp: 0n,
    gasLimit: 1_000_000_000n,
    baseFeePerGas: 1_000_000_000n,
    validators: [validator],
    permittedPeers: [],
    blockPeriodMs: 0,
    requestTimeoutMs: 1000,
    roundTimeoutCapMs: 10_000,
    alloc: new Map(keys.map((k) => [bytesToHex(k.address), { balance: 10n ** 24n, nonce: 0n, code: undefined, storage: new Map() }])),
  }
  const store = createMemoryStore()
  const common = createChainCommon(CHAIN_ID)
  const ledger = await openLedger(store, createFlatStateDb(store), genesis, common)
  const recipient = hexToBytes(`0x${'42'.repeat(20)}`)
  for (let b = 0; b < BLOCKS; b++) {
    const raws = Array.from({ length: txsPerBlock }, (_, i) => {
      const sender = keys[i % SENDERS] as DevKey
      const nonce = BigInt(b * Math.ceil(txsPerBlock / SENDERS) + Math.floor(i / SENDERS))
      const fields = { chainId: CHAIN_ID, nonce, maxPriorityFeePerGas: 0n, maxFeePerGas: 10n ** 10n, gas: 21_000n, to: recipient, value: 1n, data: new Uint8Array(0) }
      return hexToBytes(signEip1559Tx(fields, sender.privateKey).raw)
    })
    const candidates: SignedTx[] = ledger.decodeTransactions({ transactions: raws } as Block)
    const executed = await ledger.propose({ candidates, anchors: [], anchorRoot: new Uint8Array(32), timestamp: BigInt(b + 1), proposer: validator, round: 0, validators: [validator] })
    if (executed.block.transactions.length !== txsPerBlock) throw new Error(`block ${b + 1} holds ${executed.block.transactions.length} of ${txsPerBlock} transactions`)
    await ledger.commit(executed, executed.block.header)
  }
  return { store, ledger }
}

function rpcContext(ledger: Ledger): RpcContext {
  const backend = createRpcBackend({
    ledger,
    clientVersion: 'bench',
    pendingNonce: () => 0n,
    submit: async () => new Uint8Array(32),
    pooled: () => undefined,
    onNewBlock: () => () => {},
    onPendingTransaction: () => () => {},
  })
  return { backend, filters: createFilterManager(backend), subscriptions: undefined }
}

/** CPU microseconds per run of `fn`: best of ROUNDS rounds, each at least MIN_ROUND_MS of CPU. */
async function cpuMicros(fn: () => unknown): Promise<number> {
  // Only promises are awaited: a microtask per synchronous call would be part of what is measured.
  for (let i = 0; i < 20; i++) {
    const pending = fn()
    if (pending instanceof Promise) await pending
  }
  let best = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage()
    let runs = 0
    let used = 0
    do {
      for (let i = 0; i < 10; i++) {
        const pending = fn()
        if (pending instanceof Promise) await pending
      }
      runs += 10
      const u = process.cpuUsage(start)
      used = u.user + u.system
    } while (used < MIN_ROUND_MS * 1000)
    best = Math.min(best, used / runs)
  }
  return best
}
