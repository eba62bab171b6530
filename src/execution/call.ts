import type { Common } from '@ethereumjs/common'
import { Address } from '@ethereumjs/util'
import type { StateManagerInterface } from '@ethereumjs/common'
import type { CallRequest, CallResult, StateOverrides } from '../rpc/backend.js'
import { hexToBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { StateOverlay } from '../state/stateDb.js'
import { createEvmBlock, createExecutionVM, type BlockEnv } from './blockExecution.js'

const TX_GAS = 21_000n
const TX_CREATE_GAS = 32_000n
const TX_DATA_ZERO_GAS = 4n
const TX_DATA_NONZERO_GAS = 16n
const INITCODE_WORD_GAS = 2n

/**
 * eth_call: runs a message on top of a state overlay (discarded afterwards). Reverts throw
 * EXECUTION_REVERTED with the revert data, which RPC returns as error code 3.
 */
export async function callOnState(common: Common, overlay: StateOverlay, env: BlockEnv, request: CallRequest, overrides?: StateOverrides): Promise<CallResult> {
  if (overrides) await applyOverrides(overlay.stateManager, overrides)
  const gasLimit = request.gas ?? env.gasLimit
  const intrinsic = intrinsicGas(request)
  if (gasLimit < intrinsic) throw new SteleError(ErrorCode.IntrinsicGasTooLow, `intrinsic gas too low: gas ${gasLimit}, minimum needed ${intrinsic}`)
  const result = await runMessage(common, overlay, env, request, gasLimit - intrinsic)
  const error = result.execResult.exceptionError
  if (error) {
    if (error.error === 'revert') {
      throw new SteleError(ErrorCode.ExecutionReverted, revertMessage(result.execResult.returnValue), { details: { data: result.execResult.returnValue } })
    }
    throw new SteleError(ErrorCode.ExecutionFailed, `execution failed: ${error.error}`)
  }
  return { returnData: result.execResult.returnValue, gasUsed: intrinsic + result.execResult.executionGasUsed }
}

/** eth_estimateGas: the least gas limit under which the message succeeds (binary search, as geth). */
export async function estimateGasOnState(
  common: Common,
  freshOverlay: () => StateOverlay,
  env: BlockEnv,
  request: CallRequest,
  overrides?: StateOverrides,
): Promise<bigint> {
  const intrinsic = intrinsicGas(request)
  const cap = request.gas ?? env.gasLimit
  const attempt = async (gas: bigint) => {
    const overlay = freshOverlay()
    if (overrides) await applyOverrides(overlay.stateManager, overrides)
    return runMessage(common, overlay, env, request, gas - intrinsic)
  }
  const first = await attempt(cap)
  if (first.execResult.exceptionError) {
    const error = first.execResult.exceptionError
    if (error.error === 'revert') {
      throw new SteleError(ErrorCode.ExecutionReverted, revertMessage(first.execResult.returnValue), { details: { data: first.execResult.returnValue } })
    }
    throw new SteleError(ErrorCode.ExecutionFailed, `gas required exceeds allowance (${cap})`)
  }
  let lo = intrinsic + first.execResult.executionGasUsed - 1n
  let hi = cap
  // Most calls succeed at used gas + refund headroom; try that before searching.
  const guess = ((intrinsic + first.execResult.executionGasUsed) * 64n) / 63n + 2300n
  if (guess < hi && !(await attempt(guess)).execResult.exceptionError) hi = guess
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n
    if ((await attempt(mid)).execResult.exceptionError) lo = mid
    else hi = mid
  }
  return hi
}

async function runMessage(common: Common, overlay: StateOverlay, env: BlockEnv, request: CallRequest, executionGas: bigint) {
  const vm = await createExecutionVM(common, overlay)
  const block = createEvmBlock(common, { ...env, baseFeePerGas: 0n })
  const caller = new Address(request.from ?? new Uint8Array(20))
  return vm.evm.runCall({
    block,
    caller,
    origin: caller,
    ...(request.to ? { to: new Address(request.to) } : {}),
    data: request.data ?? new Uint8Array(0),
    value: request.value ?? 0n,
    gasLimit: executionGas < 0n ? 0n : executionGas,
    gasPrice: 0n,
  } as Parameters<typeof vm.evm.runCall>[0])
}

export function intrinsicGas(request: CallRequest): bigint {
  const data = request.data ?? new Uint8Array(0)
  let gas = TX_GAS
  for (const byte of data) gas += byte === 0 ? TX_DATA_ZERO_GAS : TX_DATA_NONZERO_GAS
  if (!request.to) gas += TX_CREATE_GAS + INITCODE_WORD_GAS * BigInt(Math.ceil(data.length / 32))
  for (const entry of request.accessList ?? []) gas += 2400n + 1900n * BigInt(entry.storageKeys.length)
  return gas
}

async function applyOverrides(sm: StateManagerInterface, overrides: StateOverrides) {
  for (const [hex, o] of overrides) {
    const address = new Address(hexToBytes(hex))
    if (o.balance !== undefined || o.nonce !== undefined) {
      const fields: { balance?: bigint; nonce?: bigint } = {}
      if (o.balance !== undefined) fields.balance = o.balance
      if (o.nonce !== undefined) fields.nonce = o.nonce
      await sm.modifyAccountFields(address, fields)
    }
    if (o.code !== undefined) await sm.putCode(address, o.code)
    if (o.state) {
      await sm.clearStorage(address)
      for (const [slot, value] of o.state) await sm.putStorage(address, hexToBytes(slot), value)
    }
    if (o.stateDiff) for (const [slot, value] of o.stateDiff) await sm.putStorage(address, hexToBytes(slot), value)
  }
}

/** Error(string) revert data → "execution reverted: reason", as geth words it. */
export function revertMessage(data: Uint8Array): string {
  const selector = data.length >= 4 ? ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0 : 0
  if (selector === 0x08c379a0 && data.length >= 68) {
    const length = Number(new DataView(data.buffer, data.byteOffset + 36 + 24, 8).getBigUint64(0))
    if (68 + length <= data.length) return `execution reverted: ${new TextDecoder().decode(data.subarray(68, 68 + length))}`
  }
  return 'execution reverted'
}
