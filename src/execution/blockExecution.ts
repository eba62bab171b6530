import { createBlock, type Block as EthBlock } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Address } from '@ethereumjs/util'
import { createVM, runTx, type VM } from '@ethereumjs/vm'
import type { BlockHeader } from '../chain/header.js'
import { logsBloom } from '../chain/bloom.js'
import { encodeConsensusReceipt } from '../chain/receipt.js'
import type { Log, SignedTx, TxReceipt } from '../chain/types.js'
import { equalBytes } from '../primitives/bytes.js'
import { latin1OfBytes } from '../primitives/byteKeys.js'
import { ErrorCode, SteleError, errorMessage } from '../primitives/errors.js'
import type { StateOverlay } from '../state/stateDb.js'
import { installJumpAnalysisCache } from './jumpAnalysisCache.js'
import { orderedTrieRoot } from './orderedTrieRoot.js'
import { applyContractCall } from './contractCall.js'
import { checkCharge, hasCode, hasSyncAccounts, transferCharged } from './plainTransfer.js'
import type { ExecutionVmPool } from './vmPool.js'

/** The block context the EVM sees. */
export interface BlockEnv {
  number: bigint
  timestamp: bigint
  gasLimit: bigint
  baseFeePerGas: bigint
  coinbase: Uint8Array
  mixHash: Uint8Array
}

export interface ExecutionOutcome {
  /** The transactions that ran, in order (when building, a subset of the candidates). */
  included: SignedTx[]
  /** Candidates left out when building: those that did not fit stay pending, the invalid ones are dropped. */
  rejected: { tx: SignedTx; reason: string; retry: boolean }[]
  receipts: Omit<TxReceipt, 'blockHash'>[]
  gasUsed: bigint
  logsBloom: Uint8Array
  stateRoot: Uint8Array
  transactionsRoot: Uint8Array
  receiptsRoot: Uint8Array
  overlay: StateOverlay
}

export interface ExecutionOptions {
  /**
   * Value transfers to accounts without code skip the EVM (applyPlainTransfer); default true. False runs
   * every transaction through runTx, for the equivalence test and the benchmark's comparison.
   */
  plainTransfers?: boolean
  /**
   * Calls to contracts whose code makes no call of its own run in frameInterpreter (applyContractCall);
   * default true. False runs them through runTx, for the equivalence test and the benchmark's comparison.
   */
  contractCalls?: boolean
}

/**
 * Runs transactions with runTx directly (BlockBuilder is quadratic) against one state overlay.
 * mode 'build' skips what does not fit or fails; mode 'validate' requires every transaction to succeed.
 * With `vms`, the VM comes from (and returns to) that pool instead of being created for this call.
 */
export async function executeTransactions(
  common: Common,
  overlay: StateOverlay,
  env: BlockEnv,
  txs: SignedTx[],
  mode: 'build' | 'validate',
  vms?: ExecutionVmPool,
  options: ExecutionOptions = {},
): Promise<ExecutionOutcome> {
  const execution = await startBlockExecution(common, overlay, env, mode, vms, options)
  try {
    await execution.run(txs)
  } catch (error) {
    execution.abandon()
    throw error
  }
  return execution.finish()
}

/**
 * A block's execution in steps: `run` executes transactions after those run so far, and `finish` computes the
 * block's roots. A lone validator builds its block this way while transactions arrive (node.ts), so the
 * execution is spread over the gathering instead of stalling RPC when the gathering ends.
 */
export interface BlockExecution {
  /** Executes these transactions after the ones run so far (mode 'validate' throws on the first invalid one). */
  run(txs: readonly SignedTx[]): Promise<void>
  /** Encoded bytes of the included transactions so far. */
  readonly includedBytes: number
  /** The state root, transactions root and receipts root; the VM goes back to its pool. Call once. */
  finish(): Promise<ExecutionOutcome>
  /** Gives up (after a failed run, or a build that is dropped); the VM is discarded, not reused. */
  abandon(): void
}

/**
 * The bloom of every receipt without logs (all plain transfers), shared: a 256-byte array per transfer was an
 * off-heap allocation each. Receipts' blooms are only read (encoded, formatted, ORed into the block's).
 */
const NO_LOGS_BLOOM = new Uint8Array(256)

export async function startBlockExecution(
  common: Common,
  overlay: StateOverlay,
  env: BlockEnv,
  mode: 'build' | 'validate',
  vms?: ExecutionVmPool,
  options: ExecutionOptions = {},
): Promise<BlockExecution> {
  const lease = vms ? await vms.take(overlay) : { vm: await createExecutionVM(common, overlay), release: () => {} }
  const vm = lease.vm
  // Built on first use: a block of plain transfers never needs it (its header copies Common, about 0.2 ms).
  let block: EthBlock | undefined
  const coinbase = new Address(env.coinbase)
  const included: SignedTx[] = []
  const rejected: ExecutionOutcome['rejected'] = []
  const receipts: Omit<TxReceipt, 'blockHash'>[] = []
  const bloom = new Uint8Array(256)
  let gasUsed = 0n
  let includedBytes = 0
  let done = false
  /**
   * Senders with a transaction that stays pending for a later block (mode 'build'): their later transactions wait
   * too, instead of failing on their nonce, which would drop them from the pool. Built in steps, a block can meet
   * a transaction that no longer fits after earlier steps used the gas the selection counted.
   */
  const heldBack = new Set<string>()

  function reject(signed: SignedTx, reason: string, retry: boolean): void {
    rejected.push({ tx: signed, reason, retry })
    if (retry) heldBack.add(latin1OfBytes(signed.from))
  }

  async function runOne(signed: SignedTx): Promise<void> {
    if (heldBack.size > 0 && heldBack.has(latin1OfBytes(signed.from))) {
      reject(signed, 'an earlier transaction of its sender is not in this block', true)
      return
    }
    if (signed.tx.gasLimit > env.gasLimit - gasUsed) {
      if (mode === 'validate') throw new SteleError(ErrorCode.InvalidBlock, 'block transactions exceed the gas limit')
      reject(signed, 'does not fit in the block', true)
      return
    }
    const direct = await applyDirectly(common, overlay, signed, env, coinbase, options)
    if (direct !== undefined) {
      gasUsed += direct.gasUsed
      let receiptBloom: Uint8Array = NO_LOGS_BLOOM
      if (direct.logs.length > 0) {
        receiptBloom = logsBloom(direct.logs, new Uint8Array(256))
        orInto(bloom, receiptBloom)
      }
      receipts.push({
        type: signed.tx.type,
        status: direct.status,
        cumulativeGasUsed: gasUsed,
        logsBloom: receiptBloom,
        logs: direct.logs,
        transactionHash: signed.hash,
        transactionIndex: included.length,
        blockNumber: env.number,
        from: signed.from,
        to: signed.tx.to?.bytes,
        contractAddress: undefined,
        gasUsed: direct.gasUsed,
        effectiveGasPrice: effectiveGasPrice(signed, env.baseFeePerGas),
      })
      include(signed)
      return
    }
    block ??= createEvmBlock(common, env)
    let result
    try {
      result = await runTx(vm, { tx: withKnownSender(signed), block, blockGasUsed: gasUsed, skipBlockGasLimitValidation: true, skipHardForkValidation: true })
    } catch (cause) {
      if (mode === 'validate') throw new SteleError(ErrorCode.InvalidBlock, `transaction ${included.length} is invalid: ${errorMessage(cause)}`, { cause })
      reject(signed, errorMessage(cause), false)
      return
    }
    gasUsed += result.totalGasSpent
    const logs: Log[] = (result.execResult.logs ?? []).map(([address, topics, data]) => ({ address, topics, data }))
    // runTx already built the receipt's bloom with our keccak; the test checks it against logsBloom.
    const receiptBloom = result.bloom.bitvector
    if (logs.length > 0) orInto(bloom, receiptBloom)
    const tx = signed.tx
    receipts.push({
      type: tx.type,
      status: result.execResult.exceptionError ? 0 : 1,
      cumulativeGasUsed: gasUsed,
      logsBloom: receiptBloom,
      logs,
      transactionHash: signed.hash,
      transactionIndex: included.length,
      blockNumber: env.number,
      from: signed.from,
      to: tx.to?.bytes,
      contractAddress: result.createdAddress?.bytes,
      gasUsed: result.totalGasSpent,
      effectiveGasPrice: effectiveGasPrice(signed, env.baseFeePerGas),
    })
    include(signed)
  }

  function include(signed: SignedTx): void {
    included.push(signed)
    includedBytes += signed.serialized.length
  }

  return {
    async run(txs) {
      if (done) throw new SteleError(ErrorCode.Internal, 'this block execution has finished')
      for (const signed of txs) await runOne(signed)
    },
    get includedBytes() {
      return includedBytes
    },
    async finish() {
      if (done) throw new SteleError(ErrorCode.Internal, 'this block execution has finished')
      done = true
      try {
        const stateRoot = await overlay.computeRoot()
        const transactionsRoot = orderedTrieRoot(included.map((t) => t.serialized))
        const receiptsRoot = orderedTrieRoot(receipts.map(encodeConsensusReceipt))
        lease.release()
        return { included, rejected, receipts, gasUsed, logsBloom: bloom, stateRoot, transactionsRoot, receiptsRoot, overlay }
      } catch (error) {
        lease.release(false)
        throw error
      }
    },
    abandon() {
      done = true
      lease.release(false)
    },
  }
}

/**
 * A plain transfer or a contract call without the EVM, when the options allow it and the tx qualifies: runTx's
 * checks once (checkCharge), then the path by whether the target has code.
 */
async function applyDirectly(
  common: Common,
  overlay: StateOverlay,
  signed: SignedTx,
  env: BlockEnv,
  coinbase: Address,
  options: ExecutionOptions,
): Promise<{ status: 0 | 1; gasUsed: bigint; logs: Log[] } | undefined> {
  const plain = options.plainTransfers !== false
  const calls = options.contractCalls !== false
  if (!plain && !calls) return undefined
  const state = overlay.stateManager
  // The flat state has synchronous account access; any other state manager (the reference one) runs runTx.
  if (!hasSyncAccounts(state)) return undefined
  const charge = checkCharge(state, signed.tx, signed.from, env.baseFeePerGas)
  if (charge === undefined) return undefined
  if (!hasCode(charge.target)) return plain ? { status: 1, gasUsed: transferCharged(state, signed.tx, charge, coinbase), logs: [] } : undefined
  return calls ? applyContractCall(state, signed.tx, signed.from, charge, env, coinbase, common.chainId()) : undefined
}

/** Checks a proposed header against the result of executing its transactions. */
export function checkExecutedHeader(header: BlockHeader, outcome: ExecutionOutcome): void {
  const mismatch = (what: string) => {
    throw new SteleError(ErrorCode.InvalidBlock, `block ${header.number}: ${what} does not match execution`)
  }
  if (header.gasUsed !== outcome.gasUsed) mismatch('gasUsed')
  if (!equalBytes(header.stateRoot, outcome.stateRoot)) mismatch('stateRoot')
  if (!equalBytes(header.transactionsRoot, outcome.transactionsRoot)) mismatch('transactionsRoot')
  if (!equalBytes(header.receiptsRoot, outcome.receiptsRoot)) mismatch('receiptsRoot')
  if (!equalBytes(header.logsBloom, outcome.logsBloom)) mismatch('logsBloom')
}

/**
 * The tx as runTx sees it, answering getSenderAddress with the sender recovered at admission or decode:
 * @ethereumjs would otherwise hash the public key again with its JavaScript keccak on every run. Decoded
 * txs carry it already (rememberSender); any other tx gets a frozen view over the original, so @ethereumjs
 * keeps using (and filling) the original's caches.
 */
function withKnownSender(signed: SignedTx): TypedTransaction {
  if (Object.hasOwn(signed.tx, 'getSenderAddress')) return signed.tx
  const sender = new Address(signed.from)
  return Object.freeze(Object.create(signed.tx, { getSenderAddress: { value: () => sender } })) as TypedTransaction
}

function orInto(target: Uint8Array, bits: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) | (bits[i] as number)
}

export function effectiveGasPrice(signed: SignedTx, baseFee: bigint): bigint {
  const tx = signed.tx as { maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint; gasPrice?: bigint }
  if (tx.maxFeePerGas !== undefined && tx.maxPriorityFeePerGas !== undefined) {
    const withTip = baseFee + tx.maxPriorityFeePerGas
    return withTip < tx.maxFeePerGas ? withTip : tx.maxFeePerGas
  }
  return tx.gasPrice ?? 0n
}

export async function createExecutionVM(common: Common, overlay: StateOverlay): Promise<VM> {
  await installJumpAnalysisCache()
  return createVM({ common, stateManager: overlay.stateManager, setHardfork: false })
}

export function createEvmBlock(common: Common, env: BlockEnv): EthBlock {
  return createBlock(
    {
      header: {
        number: env.number,
        timestamp: env.timestamp,
        gasLimit: env.gasLimit,
        baseFeePerGas: env.baseFeePerGas,
        coinbase: new Address(env.coinbase),
        mixHash: env.mixHash,
      },
    },
    { common, skipConsensusFormatValidation: true },
  )
}

/** EIP-1559 base fee of the next block. A zero base fee stays zero: gas-free consortia. */
export function nextBaseFee(parent: BlockHeader): bigint {
  const target = parent.gasLimit / 2n
  const base = parent.baseFeePerGas
  if (base === 0n || target === 0n || parent.gasUsed === target) return base
  if (parent.gasUsed > target) {
    const delta = (base * (parent.gasUsed - target)) / target / 8n
    return base + (delta > 1n ? delta : 1n)
  }
  const delta = (base * (target - parent.gasUsed)) / target / 8n
  return base - delta
}
