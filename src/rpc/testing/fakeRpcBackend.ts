import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { EMPTY_OMMERS_HASH, EMPTY_TRIE_ROOT, QBFT_MIX_HASH, type BlockHeader } from '../../chain/header.js'
import { blockHash } from '../../chain/seal.js'
import type { Block, Log, LogEntry, LogFilter, SignedTx, TxLocation, TxReceipt } from '../../chain/types.js'
import { keccak256 } from '../../crypto/keccak.js'
import { privateKeyToAddress } from '../../crypto/secp256k1.js'
import { createChainCommon } from '../../execution/common.js'
import { bigintToBytes, bytesToHex, concatBytes, equalBytes, hexToBytes, padBytes } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import type { AccountProof, CallRequest, CallResult, RpcBackend, StateOverrides, StateView } from '../backend.js'
import { logMatches } from '../logFilter.js'

/**
 * An in-memory RpcBackend for RPC tests: a genesis and two blocks of real signed transactions (legacy,
 * EIP-2930, EIP-1559 call and create), receipts with logs, per-block balances, and hooks to inject errors,
 * mine blocks and announce pending transactions.
 */
export const CHAIN_ID = 1337n
export const KEY_A = hexToBytes(`0x${'11'.repeat(32)}`)
export const KEY_B = hexToBytes(`0x${'22'.repeat(32)}`)
export const ADDRESS_A = privateKeyToAddress(KEY_A)
export const ADDRESS_B = privateKeyToAddress(KEY_B)
export const TOKEN = hexToBytes(`0x${'c0'.repeat(20)}`)
/** eth_call to this address reverts with Error("nope"). */
export const REVERTER = hexToBytes(`0x${'de'.repeat(20)}`)
export const VALIDATOR = hexToBytes(`0x${'aa'.repeat(20)}`)
export const TRANSFER_TOPIC = keccak256(new TextEncoder().encode('Transfer(address,address,uint256)'))
export const OTHER_TOPIC = keccak256(new TextEncoder().encode('Other()'))

export interface FakeRpcBackend extends RpcBackend {
  blocks: Block[]
  receiptsByBlock: TxReceipt[][]
  signed: SignedTx[][]
  /** The next sendRawTransaction throws this. */
  failNextSend: SteleError | undefined
  /** The next call throws this (anything: tests the unexpected-error path). */
  failNextCall: unknown
  lastOverrides: StateOverrides | undefined
  /** Seals a new block holding the given signed transactions, with one Transfer log per transaction. */
  mine(txs?: SignedTx[]): Block
  listenerCount(): { blocks: number; pending: number }
}

export function encodeErrorString(reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason)
  const padded = new Uint8Array(Math.ceil(text.length / 32) * 32)
  padded.set(text)
  return concatBytes(hexToBytes('0x08c379a0'), padBytes(Uint8Array.of(0x20), 32), padBytes(Uint8Array.of(text.length), 32), padded)
}

export function createFakeRpcBackend(): FakeRpcBackend {
  const common = createChainCommon(CHAIN_ID)
  const blocks: Block[] = []
  const receiptsByBlock: TxReceipt[][] = []
  const signedByBlock: SignedTx[][] = []
  const balances: Map<string, bigint>[] = []
  const pending = new Map<string, SignedTx>()
  const blockListeners = new Set<(block: Block, receipts: TxReceipt[]) => void>()
  const pendingListeners = new Set<(hash: Uint8Array) => void>()

  function toSigned(tx: TypedTransaction): SignedTx {
    const serialized = tx.serialize()
    return { tx, hash: keccak256(serialized), from: tx.getSenderAddress().bytes, serialized }
  }

  function header(number: bigint, parentHash: Uint8Array, gasUsed: bigint, baseFee: bigint): BlockHeader {
    return {
      parentHash,
      ommersHash: EMPTY_OMMERS_HASH,
      coinbase: VALIDATOR,
      stateRoot: keccak256(Uint8Array.of(Number(number))),
      transactionsRoot: EMPTY_TRIE_ROOT,
      receiptsRoot: EMPTY_TRIE_ROOT,
      logsBloom: new Uint8Array(256),
      difficulty: 1n,
      number,
      gasLimit: 30_000_000n,
      gasUsed,
      timestamp: 1_700_000_000n + number * 2n,
      extraData: { vanity: new Uint8Array(32), validators: [VALIDATOR], vote: undefined, round: 0, seals: [new Uint8Array(65).fill(7)] },
      mixHash: QBFT_MIX_HASH,
      nonce: new Uint8Array(8),
      baseFeePerGas: baseFee,
      withdrawalsRoot: EMPTY_TRIE_ROOT,
      blobGasUsed: 0n,
      excessBlobGas: 0n,
      parentBeaconBlockRoot: new Uint8Array(32),
    }
  }

  function seal(txs: SignedTx[], logsPerTx: Log[][], contractAddresses: (Uint8Array | undefined)[]): Block {
    const number = BigInt(blocks.length)
    const parent = blocks[blocks.length - 1]
    const baseFee = 7n + number
    const gasUsedEach = txs.map((t) => (t.tx.to === undefined ? 53_000n : 21_000n + BigInt(t.tx.data.length) * 16n))
    const gasUsed = gasUsedEach.reduce((a, b) => a + b, 0n)
    const h = header(number, parent?.hash ?? new Uint8Array(32), gasUsed, baseFee)
    const block: Block = { header: h, hash: blockHash(h), transactions: txs.map((t) => t.serialized), anchors: [] }
    let cumulative = 0n
    const receipts = txs.map((t, index): TxReceipt => {
      const used = gasUsedEach[index] as bigint
      cumulative += used
      const price = 'gasPrice' in t.tx ? (t.tx.gasPrice as bigint) : baseFee + (t.tx as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas
      return {
        type: t.tx.type,
        status: 1,
        cumulativeGasUsed: cumulative,
        logsBloom: new Uint8Array(256),
        logs: logsPerTx[index] ?? [],
        transactionHash: t.hash,
        transactionIndex: index,
        blockHash: block.hash,
        blockNumber: number,
        from: t.from,
        to: t.tx.to?.bytes,
        contractAddress: contractAddresses[index],
        gasUsed: used,
        effectiveGasPrice: price,
      }
    })
    const previous = balances[balances.length - 1] ?? new Map()
    const next = new Map(previous)
    for (const t of txs) {
      const from = bytesToHex(t.from)
      next.set(from, (next.get(from) ?? 0n) - t.tx.value)
      if (t.tx.to) next.set(t.tx.to.toString(), (next.get(t.tx.to.toString()) ?? 0n) + t.tx.value)
      pending.delete(bytesToHex(t.hash))
    }
    blocks.push(block)
    receiptsByBlock.push(receipts)
    signedByBlock.push(txs)
    balances.push(next)
    return block
  }

  // Genesis: A and B funded.
  seal([], [], [])
  balances[0]?.set(bytesToHex(ADDRESS_A), 10n ** 21n)
  balances[0]?.set(bytesToHex(ADDRESS_B), 5n * 10n ** 20n)

  const legacy = toSigned(
    createLegacyTx({ nonce: 0n, gasPrice: 10n, gasLimit: 21_000n, to: ADDRESS_B, value: 1000n }, { common }).sign(KEY_A),
  )
  const dynamicCall = toSigned(
    createFeeMarket1559Tx(
      { chainId: CHAIN_ID, nonce: 1n, maxFeePerGas: 100n, maxPriorityFeePerGas: 2n, gasLimit: 60_000n, to: TOKEN, data: hexToBytes('0xa9059cbb') },
      { common },
    ).sign(KEY_A),
  )
  const transferLog = (from: Uint8Array, to: Uint8Array, amount: number): Log => ({
    address: TOKEN,
    topics: [TRANSFER_TOPIC, padBytes(from, 32), padBytes(to, 32)],
    data: padBytes(Uint8Array.of(amount), 32),
  })
  seal([legacy, dynamicCall], [[], [transferLog(ADDRESS_A, ADDRESS_B, 5), { address: TOKEN, topics: [OTHER_TOPIC], data: new Uint8Array(0) }]], [undefined, undefined])

  const accessList = toSigned(
    createAccessList2930Tx(
      { chainId: CHAIN_ID, nonce: 0n, gasPrice: 20n, gasLimit: 40_000n, to: TOKEN, accessList: [{ address: bytesToHex(TOKEN), storageKeys: [bytesToHex(new Uint8Array(32))] }] },
      { common },
    ).sign(KEY_B),
  )
  const create = toSigned(
    createFeeMarket1559Tx({ chainId: CHAIN_ID, nonce: 2n, maxFeePerGas: 100n, maxPriorityFeePerGas: 1n, gasLimit: 100_000n, data: hexToBytes('0x6000') }, { common }).sign(KEY_A),
  )
  const created = keccak256(concatBytes(ADDRESS_A, Uint8Array.of(2))).subarray(12)
  seal([accessList, create], [[transferLog(ADDRESS_B, ADDRESS_A, 9)], []], [undefined, created])

  const headBlock = (): Block => blocks[blocks.length - 1] as Block

  function findTx(hash: Uint8Array): { tx: SignedTx; location: TxLocation | undefined } | undefined {
    for (let b = 0; b < signedByBlock.length; b++) {
      const list = signedByBlock[b] as SignedTx[]
      const index = list.findIndex((t) => equalBytes(t.hash, hash))
      if (index >= 0) {
        const block = blocks[b] as Block
        return { tx: list[index] as SignedTx, location: { blockHash: block.hash, blockNumber: block.header.number, index } }
      }
    }
    const queued = pending.get(bytesToHex(hash))
    return queued === undefined ? undefined : { tx: queued, location: undefined }
  }

  function stateView(number: bigint): StateView {
    const snapshot = balances[Number(number)] as Map<string, bigint>
    return {
      balance: async (address) => snapshot.get(bytesToHex(address)) ?? 0n,
      nonce: async (address) => {
        let nonce = 0n
        for (let b = 0; b <= Number(number); b++) for (const t of signedByBlock[b] ?? []) if (equalBytes(t.from, address)) nonce++
        return nonce
      },
      code: async (address) => (equalBytes(address, TOKEN) ? hexToBytes('0x6001600055') : new Uint8Array(0)),
      storage: async (address, slot) => (equalBytes(address, TOKEN) && slot[31] === 0 ? Uint8Array.of(0x2a) : new Uint8Array(0)),
      proof: async (address, slots): Promise<AccountProof> => ({
        address,
        balance: snapshot.get(bytesToHex(address)) ?? 0n,
        nonce: 0n,
        codeHash: keccak256(new Uint8Array(0)),
        storageHash: EMPTY_TRIE_ROOT,
        accountProof: [hexToBytes('0xf8518080')],
        storageProof: slots.map((key) => ({ key, value: 0n, proof: [] })),
      }),
    }
  }

  const backend: FakeRpcBackend = {
    chainId: CHAIN_ID,
    clientVersion: 'stele/v0.1.0-test',
    blocks,
    receiptsByBlock,
    signed: signedByBlock,
    failNextSend: undefined,
    failNextCall: undefined,
    lastOverrides: undefined,
    headNumber: () => headBlock().header.number,
    blockByNumber: (number) => blocks[Number(number)],
    blockByHash: (hash) => blocks.find((b) => equalBytes(b.hash, hash)),
    blockTransactions: (block) => signedByBlock[Number(block.header.number)] ?? [],
    transaction: findTx,
    receipt(txHash) {
      for (const receipts of receiptsByBlock) for (const r of receipts) if (equalBytes(r.transactionHash, txHash)) return r
      return undefined
    },
    blockReceipts: (hash) => {
      const index = blocks.findIndex((b) => equalBytes(b.hash, hash))
      return index < 0 ? undefined : receiptsByBlock[index]
    },
    logs(filter: LogFilter): LogEntry[] {
      const out: LogEntry[] = []
      for (let n = filter.fromBlock; n <= filter.toBlock && n < BigInt(blocks.length); n++) {
        let logIndex = 0
        for (const r of receiptsByBlock[Number(n)] ?? []) {
          for (const log of r.logs) {
            if (logMatches(log, filter.addresses, filter.topics)) {
              out.push({ ...log, blockNumber: n, blockHash: r.blockHash, transactionHash: r.transactionHash, transactionIndex: r.transactionIndex, logIndex })
            }
            logIndex++
          }
        }
      }
      return out
    },
    stateAt: (number) => (number <= headBlock().header.number ? stateView(number) : undefined),
    pendingNonce(address) {
      let nonce = 0n
      for (const list of signedByBlock) for (const t of list) if (equalBytes(t.from, address)) nonce++
      for (const t of pending.values()) if (equalBytes(t.from, address)) nonce++
      return nonce
    },
    async sendRawTransaction(raw) {
      const failure = backend.failNextSend
      if (failure !== undefined) {
        backend.failNextSend = undefined
        throw failure
      }
      let tx: TypedTransaction
      try {
        tx = createTxFromRLP(raw, { common })
      } catch (cause) {
        throw new SteleError(ErrorCode.InvalidTransaction, 'rlp: invalid transaction', { cause })
      }
      const signed = toSigned(tx)
      const key = bytesToHex(signed.hash)
      if (pending.has(key)) throw new SteleError(ErrorCode.AlreadyKnown, 'already known')
      pending.set(key, signed)
      for (const listener of pendingListeners) listener(signed.hash)
      return signed.hash
    },
    async call(request: CallRequest, blockNumber: bigint, overrides?: StateOverrides): Promise<CallResult> {
      backend.lastOverrides = overrides
      if (backend.failNextCall !== undefined) {
        const failure = backend.failNextCall
        backend.failNextCall = undefined
        throw failure
      }
      if (request.to !== undefined && equalBytes(request.to, REVERTER)) {
        throw new SteleError(ErrorCode.ExecutionReverted, 'execution reverted', { details: { data: encodeErrorString('nope') } })
      }
      const overridden = request.from === undefined ? undefined : overrides?.get(bytesToHex(request.from))?.balance
      return { returnData: padBytes(bigintToBytes(overridden ?? blockNumber), 32), gasUsed: 21_000n }
    },
    async estimateGas(request) {
      if (request.to !== undefined && equalBytes(request.to, REVERTER)) {
        throw new SteleError(ErrorCode.ExecutionReverted, 'execution reverted', { details: { data: encodeErrorString('nope') } })
      }
      return 21_000n + BigInt(request.data?.length ?? 0) * 16n
    },
    gasPrice: () => 1_000_000_007n,
    maxPriorityFeePerGas: () => 1_000_000_000n,
    onNewBlock(listener) {
      blockListeners.add(listener)
      return () => blockListeners.delete(listener)
    },
    onPendingTransaction(listener) {
      pendingListeners.add(listener)
      return () => pendingListeners.delete(listener)
    },
    peerCount: () => 3,
    extraMethods: () => ({
      stele_echo: (params) => params,
      stele_fail: () => {
        throw new SteleError(ErrorCode.Consensus, 'not a validator')
      },
    }),
    mine(txs = [...pending.values()]) {
      const logs = txs.map((t) => [transferLog(t.from, t.tx.to?.bytes ?? new Uint8Array(20), 1)])
      const block = seal(txs, logs, txs.map(() => undefined))
      const receipts = receiptsByBlock[receiptsByBlock.length - 1] as TxReceipt[]
      for (const listener of blockListeners) listener(block, receipts)
      return block
    },
    listenerCount: () => ({ blocks: blockListeners.size, pending: pendingListeners.size }),
  }
  return backend
}

/** Signs a fresh 1559 transfer from A (for send tests). */
export function signTransfer(nonce: bigint, options: { chainId?: bigint; value?: bigint } = {}): Uint8Array {
  const common = createChainCommon(options.chainId ?? CHAIN_ID)
  return createFeeMarket1559Tx(
    { chainId: options.chainId ?? CHAIN_ID, nonce, maxFeePerGas: 100n, maxPriorityFeePerGas: 2n, gasLimit: 21_000n, to: ADDRESS_B, value: options.value ?? 1n },
    { common },
  )
    .sign(KEY_A)
    .serialize()
}
