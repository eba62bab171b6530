import { createMPT } from '@ethereumjs/mpt'
import { EMPTY_OMMERS_HASH, EMPTY_TRIE_ROOT, QBFT_MIX_HASH, type BlockHeader } from '../../chain/header.js'
import { blockHash, signCommitSeal } from '../../chain/seal.js'
import type { Block, ConsensusReceipt, LogEntry, LogFilter, TxLocation } from '../../chain/types.js'
import { keccak256 } from '../../crypto/keccak.js'
import { privateKeyToAddress } from '../../crypto/secp256k1.js'
import { bytesToHex, equalBytes, type Hex } from '../../primitives/bytes.js'
import { anchorRoot, type AnchorLocation } from '../anchorIndex.js'
import { isValidatorSetChange, type ProofChainReader } from '../proofs.js'
import { encodeReceipt, trieIndexKey } from '../verify/receiptCodec.js'

/**
 * A chain built in memory for proof tests and benches: real headers with real committed seals, real
 * transaction and receipt tries, real anchor roots. It runs no EVM: callers supply receipts.
 */
export interface FakeBlockInput {
  transactions?: Uint8Array[]
  receipts?: ConsensusReceipt[]
  anchors?: Uint8Array[]
  /** The validator set after this block (a change); default: unchanged. */
  validators?: Uint8Array[]
  /** Which of the sealing set sign, by address; default: all of them. */
  sealers?: Uint8Array[]
  round?: number
}

export interface FakeChain {
  readonly genesis: { chainId: number; validators: Hex[] }
  readonly reader: ProofChainReader
  readonly blocks: Block[]
  addBlock(input?: FakeBlockInput): Promise<Block>
}

export function createFakeChain(options: { chainId: bigint; validatorKeys: Uint8Array[]; genesisValidators?: Uint8Array[] }): FakeChain {
  const keys = new Map<string, Uint8Array>()
  for (const key of options.validatorKeys) keys.set(bytesToHex(privateKeyToAddress(key)), key)
  const genesisValidators = options.genesisValidators ?? options.validatorKeys.map(privateKeyToAddress)
  const genesisHeader = makeHeader({ number: 0n, parentHash: new Uint8Array(32), validators: genesisValidators, vanity: new Uint8Array(32), round: 0 })
  const blocks: Block[] = [{ header: genesisHeader, hash: blockHash(genesisHeader), transactions: [], anchors: [] }]
  const receiptsByBlock = new Map<string, ConsensusReceipt[]>([[bytesToHex(blocks[0]!.hash), []]])
  const txIndex = new Map<string, TxLocation>()
  const anchorIndex = new Map<string, AnchorLocation>()

  const reader: ProofChainReader = {
    chainId: options.chainId,
    headNumber: () => BigInt(blocks.length - 1),
    blockByNumber: (n) => blocks[Number(n)],
    blockByHash: (h) => blocks.find((b) => equalBytes(b.hash, h)),
    receipts: (h) => receiptsByBlock.get(bytesToHex(h)),
    validatorSetChanges: (upTo) =>
      blocks.slice(1, Number(upTo) + 1).filter((b, i) => isValidatorSetChange(b.header, (blocks[i] as Block).header)).map((b) => b.header),
    logs: (filter) => findLogs(filter),
    transactionLocation: (h) => txIndex.get(bytesToHex(h)),
    anchorLocation: (h) => anchorIndex.get(bytesToHex(h)),
  }

  function findLogs(filter: LogFilter): LogEntry[] {
    const out: LogEntry[] = []
    for (const block of blocks.slice(Number(filter.fromBlock), Number(filter.toBlock) + 1)) {
      let logIndex = 0
      for (const [transactionIndex, receipt] of (receiptsByBlock.get(bytesToHex(block.hash)) ?? []).entries()) {
        for (const log of receipt.logs) {
          const addressOk = filter.addresses.length === 0 || filter.addresses.some((a) => equalBytes(a, log.address))
          const topicsOk = filter.topics.every((want, i) => want === null || (log.topics[i] !== undefined && want.some((t) => equalBytes(t, log.topics[i] as Uint8Array))))
          if (addressOk && topicsOk) {
            out.push({
              ...log,
              blockNumber: block.header.number,
              blockHash: block.hash,
              transactionHash: keccak256(block.transactions[transactionIndex] as Uint8Array),
              transactionIndex,
              logIndex,
            })
          }
          logIndex++
        }
      }
    }
    return out
  }

  return {
    genesis: { chainId: Number(options.chainId), validators: genesisValidators.map(bytesToHex) },
    reader,
    blocks,
    async addBlock(input = {}) {
      const parent = blocks[blocks.length - 1] as Block
      const transactions = input.transactions ?? []
      const receipts = input.receipts ?? transactions.map(() => ({ type: 2, status: 1 as const, cumulativeGasUsed: 21_000n, logsBloom: new Uint8Array(256), logs: [] }))
      const anchors = input.anchors ?? []
      const sealingSet = parent.header.extraData.validators
      const header = makeHeader({
        number: parent.header.number + 1n,
        parentHash: parent.hash,
        validators: input.validators ?? sealingSet,
        vanity: anchorRoot(anchors),
        round: input.round ?? 0,
        transactionsRoot: await orderedRoot(transactions),
        receiptsRoot: await orderedRoot(receipts.map(encodeReceipt)),
      })
      const sealers = input.sealers ?? sealingSet
      header.extraData.seals = sealers.map((address) => {
        const key = keys.get(bytesToHex(address))
        if (!key) throw new Error(`no key for validator ${bytesToHex(address)}`)
        return signCommitSeal(header, key)
      })
      const block: Block = { header, hash: blockHash(header), transactions, anchors }
      blocks.push(block)
      receiptsByBlock.set(bytesToHex(block.hash), receipts)
      transactions.forEach((tx, index) => txIndex.set(bytesToHex(keccak256(tx)), { blockHash: block.hash, blockNumber: header.number, index }))
      anchors.forEach((a, index) => {
        if (!anchorIndex.has(bytesToHex(a))) anchorIndex.set(bytesToHex(a), { blockHash: block.hash, blockNumber: header.number, index })
      })
      return block
    },
  }
}

async function orderedRoot(values: readonly Uint8Array[]): Promise<Uint8Array> {
  const trie = await createMPT({ useKeyHashingFunction: keccak256 })
  for (const [i, v] of values.entries()) await trie.put(trieIndexKey(i), v)
  return trie.root()
}

function makeHeader(p: {
  number: bigint
  parentHash: Uint8Array
  validators: Uint8Array[]
  vanity: Uint8Array
  round: number
  transactionsRoot?: Uint8Array
  receiptsRoot?: Uint8Array
}): BlockHeader {
  return {
    parentHash: p.parentHash,
    ommersHash: EMPTY_OMMERS_HASH,
    coinbase: new Uint8Array(20),
    stateRoot: keccak256(Uint8Array.of(Number(p.number % 256n))),
    transactionsRoot: p.transactionsRoot ?? EMPTY_TRIE_ROOT,
    receiptsRoot: p.receiptsRoot ?? EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 1n,
    number: p.number,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: 1_760_000_000n + p.number * 2n,
    extraData: { vanity: p.vanity, validators: p.validators, vote: undefined, round: p.round, seals: [] },
    mixHash: QBFT_MIX_HASH,
    nonce: new Uint8Array(8),
    baseFeePerGas: 1_000_000_000n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
  }
}
