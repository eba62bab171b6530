import { bigintToBytes, bytesToBigint, concatBytes, equalBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rlpBytes, rlpDecode, rlpEncode, rlpList, type RlpItem } from '../primitives/rlp.js'
import type { KvStore, WriteBatch } from '../state/kvStore.js'
import { decodeHeader, encodeHeader } from './header.js'
import { logsBloom } from './bloom.js'
import { blockHash } from './seal.js'
import type { Block, Log, LogEntry, LogFilter, TxLocation, TxReceipt } from './types.js'

/**
 * Blocks, receipts and indexes in the KvStore (layout in docs/spec/storage.md). Writes go into the block's
 * WriteBatch; `onCommitted` updates the in-memory head and caches after the batch is durable.
 */
export interface BlockStore {
  headNumber(): bigint
  head(): Block
  blockByNumber(number: bigint): Block | undefined
  blockByHash(hash: Uint8Array): Block | undefined
  numberOf(hash: Uint8Array): bigint | undefined
  /** Recovered senders of a block's transactions, stored beside the block so nobody recovers them twice. */
  senders(number: bigint): Uint8Array[]
  receipts(number: bigint): TxReceipt[]
  txLocation(hash: Uint8Array): TxLocation | undefined
  logs(filter: LogFilter, limit?: number): LogEntry[]
  putBlock(batch: WriteBatch, block: Block, senders: Uint8Array[], receipts: TxReceipt[]): void
  onCommitted(block: Block, senders: Uint8Array[], receipts: TxReceipt[]): void
  getMeta(key: string): Uint8Array | undefined
  putMeta(batch: WriteBatch, key: string, value: Uint8Array): void
  /** What the in-memory cache holds now (it is bounded by blocks and by transactions). */
  cacheSize(): { blocks: number; transactions: number }
}

const HEAD_KEY = utf8('head')
const MAX_LOG_RESULTS = 10_000
const CACHE_BLOCKS = 256
/**
 * The cache also holds at most about this many transactions (with their receipts, about 1.5 KB each once
 * loaded): 256 blocks of 400 transfers had made it the largest item of a busy node's heap.
 */
const CACHE_TRANSACTIONS = 16_384

export interface BlockStoreOptions {
  /** Cache bounds; defaults CACHE_BLOCKS and CACHE_TRANSACTIONS. */
  cacheBlocks?: number
  cacheTransactions?: number
}

export function openBlockStore(store: KvStore, options: BlockStoreOptions = {}): BlockStore {
  const maxCachedBlocks = options.cacheBlocks ?? CACHE_BLOCKS
  const maxCachedTransactions = options.cacheTransactions ?? CACHE_TRANSACTIONS
  type Entry = { block: Block; senders: Uint8Array[]; receipts?: TxReceipt[] }
  const cache = new Map<bigint, Entry>()
  let headNumber = -1n
  const headBytes = store.get('meta', HEAD_KEY)
  if (headBytes) headNumber = bytesToBigint(headBytes)

  let cachedTransactions = 0
  function remember(number: bigint, entry: Entry) {
    const previous = cache.get(number)
    if (previous) cachedTransactions -= previous.block.transactions.length
    cache.set(number, entry)
    cachedTransactions += entry.block.transactions.length
    // Oldest first; the newest block stays whatever its size.
    while (cache.size > 1 && (cache.size > maxCachedBlocks || cachedTransactions > maxCachedTransactions)) {
      const oldest = cache.keys().next().value as bigint
      cachedTransactions -= (cache.get(oldest) as Entry).block.transactions.length
      cache.delete(oldest)
    }
  }

  function load(number: bigint): Entry | undefined {
    const cached = cache.get(number)
    if (cached) return cached
    const raw = store.get('blocks', numberKey(number))
    if (!raw) return undefined
    const entry: Entry = decodeStoredBlock(raw)
    remember(number, entry)
    return entry
  }

  const self: BlockStore = {
    headNumber: () => headNumber,
    head() {
      const entry = load(headNumber)
      if (!entry) throw new SteleError(ErrorCode.Storage, 'the block store has no head block')
      return entry.block
    },
    blockByNumber: (number) => (number < 0n || number > headNumber ? undefined : load(number)?.block),
    blockByHash(hash) {
      const number = self.numberOf(hash)
      return number === undefined ? undefined : self.blockByNumber(number)
    },
    numberOf(hash) {
      const raw = store.get('hashToNumber', hash)
      return raw ? bytesToBigint(raw) : undefined
    },
    senders: (number) => load(number)?.senders ?? [],
    receipts(number) {
      const entry = load(number)
      if (!entry) return []
      if (entry.receipts) return entry.receipts
      const raw = store.get('receipts', numberKey(number))
      const receipts = raw ? decodeStoredReceipts(raw, entry.block, entry.senders) : []
      entry.receipts = receipts
      return receipts
    },
    txLocation(hash) {
      const raw = store.get('txIndex', hash)
      if (!raw) return undefined
      const blockNumber = bytesToBigint(raw.subarray(0, 8))
      const index = Number(bytesToBigint(raw.subarray(8)))
      const block = self.blockByNumber(blockNumber)
      if (!block) return undefined
      return { blockHash: block.hash, blockNumber, index }
    },
    logs(filter, limit = MAX_LOG_RESULTS) {
      const out: LogEntry[] = []
      const to = filter.toBlock > headNumber ? headNumber : filter.toBlock
      for (const number of candidateBlocks(filter, to)) {
        const receipts = self.receipts(number)
        let logIndex = 0
        for (const receipt of receipts) {
          for (const log of receipt.logs) {
            if (matchesLog(log, filter)) {
              if (out.length >= limit) {
                throw new SteleError(ErrorCode.InvalidInput, `query returned more than ${limit} results`)
              }
              out.push({ ...log, blockNumber: number, blockHash: receipt.blockHash, transactionHash: receipt.transactionHash, transactionIndex: receipt.transactionIndex, logIndex })
            }
            logIndex++
          }
        }
      }
      return out
    },
    putBlock(batch, block, senders, receipts) {
      const key = numberKey(block.header.number)
      batch.put('blocks', key, encodeStoredBlock(block, senders))
      batch.put('hashToNumber', block.hash, key)
      batch.put('receipts', key, encodeStoredReceipts(receipts))
      const addresses = new Set<string>()
      receipts.forEach((receipt, index) => {
        batch.put('txIndex', receipt.transactionHash, concatBytes(key, bigintToBytes(BigInt(index))))
        for (const log of receipt.logs) {
          const id = hex(log.address)
          if (!addresses.has(id)) {
            addresses.add(id)
            batch.put('logIndex', concatBytes(log.address, key), new Uint8Array(0))
          }
        }
      })
      batch.put('meta', HEAD_KEY, bigintToBytes(block.header.number))
    },
    onCommitted(block, senders, receipts) {
      remember(block.header.number, { block, senders, receipts })
      headNumber = block.header.number
    },
    cacheSize: () => ({ blocks: cache.size, transactions: cachedTransactions }),
    getMeta: (key) => store.get('meta', utf8(`x:${key}`)),
    putMeta: (batch, key, value) => void batch.put('meta', utf8(`x:${key}`), value),
  }

  /** With addresses, the log index names the blocks to read; otherwise every block's bloom is checked. */
  function* candidateBlocks(filter: LogFilter, to: bigint): Generator<bigint> {
    if (filter.addresses.length > 0) {
      const numbers = new Set<bigint>()
      for (const address of filter.addresses) {
        for (const [key] of store.range('logIndex', concatBytes(address, numberKey(filter.fromBlock)), concatBytes(address, numberKey(to + 1n)))) {
          numbers.add(bytesToBigint(key.subarray(20)))
        }
      }
      yield* [...numbers].sort((a, b) => (a < b ? -1 : 1))
      return
    }
    for (let n = filter.fromBlock; n <= to; n++) {
      const block = self.blockByNumber(n)
      if (block && bloomMayMatch(block.header.logsBloom, filter)) yield n
    }
  }

  return self
}

export function numberKey(number: bigint): Uint8Array {
  const key = new Uint8Array(8)
  new DataView(key.buffer).setBigUint64(0, number)
  return key
}

function matchesLog(log: Log, filter: LogFilter): boolean {
  if (filter.addresses.length > 0 && !filter.addresses.some((a) => equalBytes(a, log.address))) return false
  for (let i = 0; i < filter.topics.length; i++) {
    const wanted = filter.topics[i]
    if (wanted === null || wanted === undefined || wanted.length === 0) continue
    const topic = log.topics[i]
    if (!topic || !wanted.some((t) => equalBytes(t, topic))) return false
  }
  return true
}

function bloomMayMatch(bloom: Uint8Array, filter: LogFilter): boolean {
  for (const wanted of filter.topics) {
    if (!wanted || wanted.length === 0) continue
    if (!wanted.some((topic) => bloomContains(bloom, topic))) return false
  }
  return true
}

function bloomContains(bloom: Uint8Array, value: Uint8Array): boolean {
  const single = logsBloom([{ address: value, topics: [], data: new Uint8Array() }])
  // logsBloom of a one-address log sets exactly the bits of `value`.
  for (let i = 0; i < 256; i++) if (((single[i] as number) & (bloom[i] as number)) !== single[i]) return false
  return true
}

function encodeStoredBlock(block: Block, senders: Uint8Array[]): Uint8Array {
  return rlpEncode([encodeHeader(block.header), block.transactions, block.anchors, senders])
}

function decodeStoredBlock(raw: Uint8Array): { block: Block; senders: Uint8Array[] } {
  const [headerBytes, txs, anchors, senders] = rlpList(rlpDecode(raw), 'stored block')
  const header = decodeHeader(rlpBytes(headerBytes, 'stored header'))
  return {
    block: {
      header,
      hash: blockHash(header),
      transactions: rlpList(txs, 'stored txs').map((t) => rlpBytes(t, 'tx')),
      anchors: rlpList(anchors, 'stored anchors').map((a) => rlpBytes(a, 'anchor')),
    },
    senders: rlpList(senders, 'stored senders').map((s) => rlpBytes(s, 'sender')),
  }
}

function encodeStoredReceipts(receipts: TxReceipt[]): Uint8Array {
  return rlpEncode(
    receipts.map((r) => [
      bigintToBytes(BigInt(r.type)),
      bigintToBytes(BigInt(r.status)),
      bigintToBytes(r.cumulativeGasUsed),
      r.logs.map((l) => [l.address, l.topics, l.data]),
      bigintToBytes(r.gasUsed),
      bigintToBytes(r.effectiveGasPrice),
      r.to ?? new Uint8Array(0),
      r.contractAddress ?? new Uint8Array(0),
      r.transactionHash,
    ]),
  )
}

function decodeStoredReceipts(raw: Uint8Array, block: Block, senders: Uint8Array[]): TxReceipt[] {
  const items = rlpList(rlpDecode(raw), 'stored receipts')
  // One allocation for every bloom of the block: a separate 256-byte array each cost more than decoding.
  const blooms = new Uint8Array(256 * items.length)
  return items.map((item, index) => {
    const f = rlpList(item, 'stored receipt')
    const b = (i: number) => rlpBytes(f[i], 'receipt field')
    const logs: Log[] = rlpList(f[3], 'logs').map((l) => {
      const [address, topics, data] = rlpList(l, 'log') as [RlpItem, RlpItem, RlpItem]
      return { address: rlpBytes(address, 'log.address'), topics: rlpList(topics, 'log.topics').map((t) => rlpBytes(t, 'topic')), data: rlpBytes(data, 'log.data') }
    })
    const to = b(6)
    const contract = b(7)
    return {
      type: Number(bytesToBigint(b(0))),
      status: bytesToBigint(b(1)) === 1n ? 1 : 0,
      cumulativeGasUsed: bytesToBigint(b(2)),
      logs,
      logsBloom: logsBloom(logs, blooms.subarray(index * 256, index * 256 + 256)),
      gasUsed: bytesToBigint(b(4)),
      effectiveGasPrice: bytesToBigint(b(5)),
      to: to.length === 0 ? undefined : to,
      contractAddress: contract.length === 0 ? undefined : contract,
      transactionHash: b(8),
      transactionIndex: index,
      blockHash: block.hash,
      blockNumber: block.header.number,
      from: senders[index] ?? new Uint8Array(20),
    }
  })
}


function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

function hex(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += x.toString(16).padStart(2, '0')
  return s
}
