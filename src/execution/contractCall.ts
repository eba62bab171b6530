import type { StateManagerInterface } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Address } from '@ethereumjs/util'
import type { Log } from '../chain/types.js'
import { bytesToBigint } from '../primitives/bytes.js'
import type { BlockEnv } from './blockExecution.js'
import { MAX_FRAME_GAS, bytesToWord, runFrame, wordToBytes } from './frameInterpreter.js'
import { hasSyncAccounts, settle, type Charge, type SyncAccounts } from './plainTransfer.js'

/** A state manager that can also read storage (and accounts, SyncAccounts) synchronously, as the flat state overlay can. */
export interface SyncStorageReader {
  storageNow(address: Uint8Array, slot: Uint8Array): Uint8Array
}

function hasSyncStorage(state: StateManagerInterface): state is StateManagerInterface & SyncStorageReader & SyncAccounts {
  return typeof (state as Partial<SyncStorageReader>).storageNow === 'function' && hasSyncAccounts(state)
}

/** After this many frames of one code that met an opcode outside the interpreter, that code goes straight to runTx. */
const UNSUPPORTED_LIMIT = 4
const unsupportedCounts = new WeakMap<Uint8Array, number>()

export interface ContractCallResult {
  status: 0 | 1
  gasUsed: bigint
  logs: Log[]
}

/**
 * A call to a contract, run by frameInterpreter instead of runTx when the code makes no call of its own.
 *
 * The envelope is runTx's under Cancun, as applyPlainTransfer applies it: the same checks (checkCharge, so
 * anything runTx would refuse goes to runTx and keeps its wording), then the frame with the gas left after the
 * intrinsic gas, then the refund (at most a fifth of the gas used, EIP-3529, and only on success), then the
 * account writes of `settle`. The call's value and storage writes count only if the frame succeeded.
 *
 * `charge` is checkCharge's, for a target with code. Returns undefined without touching the state when the
 * transaction carries an access list or a very large gas limit, or its code reaches an opcode the interpreter
 * leaves to the EVM; the caller then runs it in runTx.
 */
export async function applyContractCall(
  state: StateManagerInterface,
  tx: TypedTransaction,
  from: Uint8Array,
  charge: Charge,
  env: BlockEnv,
  coinbase: Address,
  chainId: bigint,
): Promise<ContractCallResult | undefined> {
  if (!hasSyncStorage(state) || tx.gasLimit > BigInt(MAX_FRAME_GAS)) return undefined
  if ('accessList' in tx && (tx.accessList as unknown[]).length > 0) return undefined
  const to = tx.to as Address
  const target = charge.target
  const code = await state.getCode(to)
  if (target === undefined || code.length === 0 || (unsupportedCounts.get(code) ?? 0) >= UNSUPPORTED_LIMIT) return undefined

  const address = to.bytes
  const frame = runFrame(
    {
      code,
      calldata: tx.data,
      address: bytesToBigint(address),
      caller: bytesToBigint(from),
      callValue: tx.value,
      gasPrice: charge.gasPrice,
      selfBalance: target.balance + tx.value,
      coinbase: bytesToBigint(env.coinbase),
      timestamp: env.timestamp,
      number: env.number,
      gasLimit: env.gasLimit,
      baseFee: env.baseFeePerGas,
      prevRandao: bytesToWord(env.mixHash),
      chainId,
      loadStorage: (slot) => bytesToBigint(state.storageNow(address, wordToBytes(slot))),
    },
    Number(tx.gasLimit - charge.intrinsicGas),
  )
  if (frame.kind === 'unsupported') {
    unsupportedCounts.set(code, (unsupportedCounts.get(code) ?? 0) + 1)
    return undefined
  }

  let gasUsed = tx.gasLimit
  const logs: Log[] = []
  if (frame.kind !== 'halt') gasUsed -= BigInt(frame.gasLeft)
  if (frame.kind === 'success') {
    const refund = BigInt(frame.refund)
    const cap = gasUsed / 5n
    gasUsed -= refund < cap ? refund : cap
    for (const [slot, value] of frame.writes) {
      const key = wordToBytes(slot)
      if (bytesToBigint(state.storageNow(address, key)) === value) continue
      await state.putStorage(to, key, value === 0n ? new Uint8Array(0) : wordToBytes(value))
    }
    for (const log of frame.logs) logs.push({ address, topics: log.topics.map(wordToBytes), data: log.data })
  }
  settle(state, tx, charge, coinbase, gasUsed, frame.kind === 'success')
  return { status: frame.kind === 'success' ? 1 : 0, gasUsed, logs }
}
