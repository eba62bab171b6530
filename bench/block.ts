import { loadavg } from 'node:os'
import type { Genesis } from '../src/chain/genesis.js'
import type { Block, SignedTx } from '../src/chain/types.js'
import { createChainCommon } from '../src/execution/common.js'
import { openLedger, type LedgerOptions } from '../src/node/ledger.js'
import { encodeFunctionData } from 'viem'
import { keccak256 } from '../src/crypto/keccak.js'
import { bigintToBytes, bigintToHex, bytesToHex, concatBytes, hexToBytes, padBytes, type Hex } from '../src/primitives/bytes.js'
import { compileErc20 } from '../test/fixtures/compile.js'
import { createFlatStateDb } from '../src/state/flatStateDb.js'
import { createMemoryStore } from '../src/state/kvStore.js'
import { deriveDevKeys, type DevKey } from '../test/fixtures/devAccounts.js'
import { signEip1559Tx } from '../test/fixtures/rawTx.js'
import { progress, round } from './lib/stats.js'

const CHAIN_ID = 1337n
const SENDERS = 64
/** Transfers per round at every block size; block sizes are multiples of SENDERS (same count per sender). */
const TXS_PER_ROUND = 4_096
/** Large blocks (batched load) and small ones (single requests: about 35 per block in the dev bench). */
const BLOCK_SIZES = [1_024, 64]
/** Measured rounds, after one unmeasured warm-up round of each mode (JIT). */
const ROUNDS = 5

/** Process CPU in ms: steadier than wall time on a shared host for one-thread work. */
function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/**
 * `npm run bench -- block`: CPU per ETH transfer of the block path in process (propose: execute, state root,
 * trie roots; then commit to an in-memory store), with plain transfers through runTx and through the
 * fast path (applyPlainTransfer), alternated in rounds so host load hits both alike; for large and small
 * blocks, since small ones pay the per-block costs over fewer transfers.
 */
export async function runBlockBench(): Promise<object> {
  const keys = deriveDevKeys(SENDERS)
  const genesis: Genesis = {
    chainId: CHAIN_ID,
    timestamp: 0n,
    gasLimit: 1_000_000_000n,
    baseFeePerGas: 1_000_000_000n,
    validators: [keys[0]!.address],
    permittedPeers: [],
    blockPeriodMs: 0,
    requestTimeoutMs: 1000,
    roundTimeoutCapMs: 10_000,
    alloc: new Map(keys.map((k) => [bytesToHex(k.address), { balance: 10n ** 24n, nonce: 0n, code: undefined, storage: new Map() }])),
  }
  const loadBefore = loadavg()[0] ?? 0
  const bySize: Record<string, unknown> = {}
  for (const perBlock of BLOCK_SIZES) bySize[`${perBlock}PerBlock`] = await measureBlockSize(keys, genesis, perBlock, TXS_PER_ROUND / perBlock)
  const erc20 = await measureErc20(keys, genesis)
  return { transfersPerRound: TXS_PER_ROUND, rounds: ROUNDS, ...bySize, erc20, hostLoadAvg: { before: round(loadBefore, 2), after: round(loadavg()[0] ?? 0, 2) } }
}

async function measureBlockSize(keys: DevKey[], genesis: Genesis, perBlock: number, blockCount: number): Promise<object> {
  progress(`block: signing ${perBlock * blockCount} transfers in blocks of ${perBlock}`)
  const blocks = signBlocks(keys, blockCount, perBlock, (recipient) => ({ to: recipient, value: 1n, gas: 21_000n, data: new Uint8Array(0) }))
  const { evm, fastPath, sameStateRoots } = await compareModes(genesis, blocks, `${perBlock} per block`, { evm: { plainTransfers: false }, fastPath: { plainTransfers: true } })
  return {
    transfersPerBlock: perBlock,
    blocks: blockCount,
    evm,
    fastPath,
    proposeSpeedup: round(evm.proposeCpuUsPerTransfer / fastPath.proposeCpuUsPerTransfer),
    sameStateRoots,
  }
}

const ERC20_ADDRESS = hexToBytes(`0x${'e2'.repeat(20)}`)
const ERC20_PER_BLOCK = 512
const ERC20_BLOCKS = 4
/** Storage slot of the fixture ERC-20's balanceOf mapping (name, symbol, totalSupply come first). */
const BALANCE_OF_SLOT = 3n

/**
 * CPU per ERC-20 transfer of the block path in process: the fixture token is in the genesis with every
 * sender funded, and each block holds ERC20_PER_BLOCK `transfer` calls.
 */
async function measureErc20(keys: DevKey[], baseGenesis: Genesis): Promise<object> {
  const token = compileErc20()
  const storage = new Map<Hex, Hex>()
  for (const key of keys) {
    const slot = keccak256(concatBytes(padBytes(key.address, 32), padBytes(bigintToBytes(BALANCE_OF_SLOT), 32)))
    storage.set(bytesToHex(slot), bigintToHex(10n ** 24n))
  }
  const alloc = new Map(baseGenesis.alloc)
  alloc.set(bytesToHex(ERC20_ADDRESS), { balance: 0n, nonce: 1n, code: hexToBytes(token.deployedBytecode), storage })
  const genesis: Genesis = { ...baseGenesis, alloc }
  progress(`block: signing ${ERC20_PER_BLOCK * ERC20_BLOCKS} ERC-20 transfers in blocks of ${ERC20_PER_BLOCK}`)
  const blocks = signBlocks(keys, ERC20_BLOCKS, ERC20_PER_BLOCK, (recipient) => ({
    to: ERC20_ADDRESS,
    value: 0n,
    gas: 80_000n,
    data: hexToBytes(encodeFunctionData({ abi: token.abi, functionName: 'transfer', args: [bytesToHex(recipient), 1n] })),
  }))
  const { evm, frameInterpreter, sameStateRoots } = await compareModes(genesis, blocks, 'ERC-20', { evm: { contractCalls: false }, frameInterpreter: { contractCalls: true } })
  return {
    transfersPerBlock: ERC20_PER_BLOCK,
    blocks: ERC20_BLOCKS,
    evm,
    frameInterpreter,
    proposeSpeedup: round(evm.proposeCpuUsPerTransfer / frameInterpreter.proposeCpuUsPerTransfer),
    sameStateRoots,
  }
}

/** 256 recipients, taken in turn by the transactions of a bench. */
const RECIPIENTS = Array.from({ length: 256 }, (_, i) => hexToBytes(`0x${(i + 1).toString(16).padStart(4, '0')}${'42'.repeat(18)}`))

/**
 * `blockCount` blocks of `perBlock` signed EIP-1559 transactions: transaction i of a block comes from
 * sender i mod SENDERS, with nonces running on across blocks, and `call` gives its target and payload
 * for the next recipient.
 */
function signBlocks(keys: DevKey[], blockCount: number, perBlock: number, call: (recipient: Uint8Array) => { to: Uint8Array; value: bigint; gas: bigint; data: Uint8Array }): Uint8Array[][] {
  return Array.from({ length: blockCount }, (_, b) =>
    Array.from({ length: perBlock }, (_, i) => {
      const sender = keys[i % SENDERS] as DevKey
      const nonce = BigInt(b * (perBlock / SENDERS) + Math.floor(i / SENDERS))
      const fields = { chainId: CHAIN_ID, nonce, maxPriorityFeePerGas: 1n, maxFeePerGas: 10n ** 10n, ...call(RECIPIENTS[(b * perBlock + i) % RECIPIENTS.length]!) }
      return hexToBytes(signEip1559Tx(fields, sender.privateKey).raw)
    }),
  )
}

interface ModeFigures {
  proposeCpuUsPerTransfer: number
  commitCpuUsPerTransfer: number
  /** Propose plus commit, per round. */
  rounds: number[]
}

/**
 * Proposes and commits the same blocks (raw transactions per block) under each set of ledger options, in
 * alternating rounds after one unmeasured warm-up round of each; every block must hold all its
 * transactions, each successful. Returns the median CPU per transaction of each mode, and whether every
 * mode ended at the same state root.
 */
async function compareModes<M extends string>(genesis: Genesis, blocks: Uint8Array[][], label: string, modes: Record<M, LedgerOptions>): Promise<Record<M, ModeFigures> & { sameStateRoots: boolean }> {
  const names = Object.keys(modes) as M[]
  const samples = new Map(names.map((name) => [name, { proposeUs: [] as number[], commitUs: [] as number[] }]))
  const roots = new Set<string>()
  const txCount = blocks.reduce((n, block) => n + block.length, 0)
  for (let r = -1; r < ROUNDS; r++) {
    for (const name of names) {
      progress(r < 0 ? `block: ${label}, warm-up, ${name}` : `block: ${label}, round ${r + 1}/${ROUNDS}, ${name}`)
      const store = createMemoryStore()
      const ledger = await openLedger(store, createFlatStateDb(store), genesis, createChainCommon(CHAIN_ID), modes[name])
      let proposeMs = 0
      let commitMs = 0
      for (const [b, raw] of blocks.entries()) {
        // Decoded and recovered outside the measurement: admission, not the block path.
        const candidates: SignedTx[] = ledger.decodeTransactions({ transactions: raw } as Block)
        const started = cpuMs()
        const executed = await ledger.propose({ candidates, anchors: [], anchorRoot: new Uint8Array(32), timestamp: BigInt(b + 1), proposer: genesis.validators[0]!, round: 0, validators: genesis.validators })
        const proposed = cpuMs()
        if (executed.block.transactions.length !== raw.length) throw new Error(`${label}: block ${b + 1} holds ${executed.block.transactions.length} of ${raw.length} transactions`)
        if (executed.outcome.receipts.some((receipt) => receipt.status !== 1)) throw new Error(`${label}: block ${b + 1} has a failed transaction`)
        await ledger.commit(executed, executed.block.header)
        commitMs += cpuMs() - proposed
        proposeMs += proposed - started
        if (b === blocks.length - 1) roots.add(bytesToHex(executed.block.header.stateRoot))
      }
      if (r < 0) continue
      samples.get(name)!.proposeUs.push((proposeMs * 1000) / txCount)
      samples.get(name)!.commitUs.push((commitMs * 1000) / txCount)
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
  const result = { sameStateRoots: roots.size === 1 } as Record<M, ModeFigures> & { sameStateRoots: boolean }
  for (const name of names) {
    const { proposeUs, commitUs } = samples.get(name)!
    ;(result as Record<M, ModeFigures>)[name] = {
      proposeCpuUsPerTransfer: Math.round(median(proposeUs) * 10) / 10,
      commitCpuUsPerTransfer: Math.round(median(commitUs) * 10) / 10,
      rounds: proposeUs.map((p, i) => Math.round((p + (commitUs[i] as number)) * 10) / 10),
    }
  }
  return result
}
