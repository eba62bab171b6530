import { padBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { CallRequest, StateOverrides } from './backend.js'
import { toHex } from './hex.js'

/**
 * Parameter parsing for RPC methods. Every failure is SteleError(INVALID_INPUT), which errorMapping turns
 * into -32602 with geth's wording ("invalid argument 0: ...").
 */

export function invalidParams(message: string): SteleError {
  return new SteleError(ErrorCode.InvalidInput, message)
}

function invalidArgument(index: number, message: string): SteleError {
  return invalidParams(`invalid argument ${index}: ${message}`)
}

/** Checks the positional parameter count: geth's "missing value for required argument N" / "too many arguments". */
export function expectParams(params: unknown[], required: number, max = required): void {
  if (params.length > max) throw invalidParams(`too many arguments, want at most ${max}`)
  for (let i = 0; i < required; i++) {
    if (params[i] === undefined || params[i] === null) throw invalidParams(`missing value for required argument ${i}`)
  }
}

const HEX_RE = /^0x[0-9a-fA-F]*$/

/**
 * A hex quantity. Leading zeros are accepted (geth refuses them, anvil does not): every client library
 * sends minimal hex anyway, and hand-written requests should not fail on "0x01".
 */
export function parseQuantity(value: unknown, index: number, what = 'quantity'): bigint {
  if (typeof value !== 'string') throw invalidArgument(index, `${what} must be a hex string`)
  if (!value.startsWith('0x')) throw invalidArgument(index, 'hex string without 0x prefix')
  if (value.length === 2) throw invalidArgument(index, 'hex string "0x"')
  if (!HEX_RE.test(value)) throw invalidArgument(index, 'invalid hex string')
  const quantity = BigInt(value)
  if (quantity >= 1n << 256n) throw invalidArgument(index, 'hex number > 256 bits')
  return quantity
}

/** A quantity that also accepts a plain JSON number (feeHistory's blockCount, like geth). */
export function parseQuantityOrNumber(value: unknown, index: number, what = 'quantity'): bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument(index, `${what} must be a non-negative integer`)
    return BigInt(value)
  }
  return parseQuantity(value, index, what)
}

export function parseData(value: unknown, index: number, what = 'data'): Uint8Array {
  if (typeof value !== 'string') throw invalidArgument(index, `${what} must be a hex string`)
  if (!value.startsWith('0x')) throw invalidArgument(index, 'hex string without 0x prefix')
  if (value.length % 2 !== 0) throw invalidArgument(index, 'hex string of odd length')
  // Buffer's decoder stops at the first non-hex digit, so a full-length result proves the string valid
  // without a regex pass over large raw transactions.
  const bytes = new Uint8Array((value.length - 2) / 2)
  // Decoded straight into an array of our own (no pooled Buffer and copy); `write` counts what it decoded.
  const written = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).write(value.slice(2), 'hex')
  if (written !== bytes.length) throw invalidArgument(index, 'invalid hex string')
  return bytes
}

function parseFixed(value: unknown, index: number, length: number, what: string): Uint8Array {
  const bytes = parseData(value, index, what)
  if (bytes.length !== length) throw invalidArgument(index, `${what} must be ${length} bytes, got ${bytes.length}`)
  return bytes
}

export function parseAddress(value: unknown, index: number, what = 'address'): Uint8Array {
  return parseFixed(value, index, 20, what)
}

export function parseHash(value: unknown, index: number, what = 'hash'): Uint8Array {
  return parseFixed(value, index, 32, what)
}

/** A storage slot: hex up to 32 bytes, left-padded (geth accepts "0x0" as well as a full 32-byte key). */
export function parseSlot(value: unknown, index: number): Uint8Array {
  if (typeof value !== 'string' || !value.startsWith('0x') || !HEX_RE.test(value)) {
    throw invalidArgument(index, 'storage slot must be a 0x-prefixed hex string')
  }
  let digits = value.slice(2)
  if (digits.length > 64) throw invalidArgument(index, 'storage slot longer than 32 bytes')
  if (digits.length % 2 !== 0) digits = `0${digits}`
  return padBytes(Uint8Array.from(Buffer.from(digits, 'hex')), 32)
}

export function parseBoolean(value: unknown, index: number): boolean {
  if (typeof value !== 'boolean') throw invalidArgument(index, 'expected a boolean')
  return value
}

/** A block tag: a number, a named tag, or (EIP-1898) { blockHash } / { blockNumber }. */
export type BlockRef =
  | { kind: 'number'; number: bigint }
  | { kind: 'head' }
  | { kind: 'hash'; hash: Uint8Array }

const HEAD_TAGS = new Set(['latest', 'pending', 'safe', 'finalized'])

export function parseBlockTag(value: unknown, index: number): BlockRef {
  if (value === undefined || value === null) return { kind: 'head' }
  if (typeof value === 'string') {
    if (HEAD_TAGS.has(value)) return { kind: 'head' }
    if (value === 'earliest') return { kind: 'number', number: 0n }
    return { kind: 'number', number: parseQuantity(value, index, 'block number') }
  }
  throw invalidArgument(index, 'block number must be a hex quantity or one of latest, pending, safe, finalized, earliest')
}

/** Block tag or EIP-1898 object, for state reads and eth_call. */
export function parseBlockRef(value: unknown, index: number): BlockRef {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>
    const hasHash = object['blockHash'] !== undefined
    const hasNumber = object['blockNumber'] !== undefined
    if (hasHash && hasNumber) throw invalidArgument(index, 'cannot specify both BlockHash and BlockNumber, choose one or the other')
    if (hasHash) return { kind: 'hash', hash: parseHash(object['blockHash'], index, 'blockHash') }
    if (hasNumber) return parseBlockTag(object['blockNumber'], index)
    throw invalidArgument(index, 'block object needs blockHash or blockNumber')
  }
  // geth reads a bare 32-byte hex string as a block hash here.
  if (typeof value === 'string' && value.length === 66) return { kind: 'hash', hash: parseHash(value, index, 'block hash') }
  return parseBlockTag(value, index)
}

function field(object: Record<string, unknown>, name: string): unknown {
  const value = object[name]
  return value === null ? undefined : value
}

/** geth's TransactionArgs for eth_call / eth_estimateGas. */
export function parseCallRequest(value: unknown, index: number): CallRequest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(index, 'transaction call object expected')
  const object = value as Record<string, unknown>
  const request: CallRequest = {}
  const from = field(object, 'from')
  if (from !== undefined) request.from = parseAddress(from, index, 'from')
  const to = field(object, 'to')
  if (to !== undefined) request.to = parseAddress(to, index, 'to')
  const gas = field(object, 'gas')
  if (gas !== undefined) request.gas = parseQuantity(gas, index, 'gas')
  const gasPrice = field(object, 'gasPrice')
  if (gasPrice !== undefined) request.gasPrice = parseQuantity(gasPrice, index, 'gasPrice')
  const maxFeePerGas = field(object, 'maxFeePerGas')
  if (maxFeePerGas !== undefined) request.maxFeePerGas = parseQuantity(maxFeePerGas, index, 'maxFeePerGas')
  const maxPriorityFeePerGas = field(object, 'maxPriorityFeePerGas')
  if (maxPriorityFeePerGas !== undefined) request.maxPriorityFeePerGas = parseQuantity(maxPriorityFeePerGas, index, 'maxPriorityFeePerGas')
  if (request.gasPrice !== undefined && (request.maxFeePerGas !== undefined || request.maxPriorityFeePerGas !== undefined)) {
    throw invalidParams('both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  }
  const txValue = field(object, 'value')
  if (txValue !== undefined) request.value = parseQuantity(txValue, index, 'value')
  const nonce = field(object, 'nonce')
  if (nonce !== undefined) request.nonce = parseQuantity(nonce, index, 'nonce')
  const input = field(object, 'input')
  const data = field(object, 'data')
  const inputBytes = input === undefined ? undefined : parseData(input, index, 'input')
  const dataBytes = data === undefined ? undefined : parseData(data, index, 'data')
  if (inputBytes !== undefined && dataBytes !== undefined && input !== data) {
    throw invalidParams('both "data" and "input" are set and not equal. Please use "input" to pass transaction call data')
  }
  const callData = inputBytes ?? dataBytes
  if (callData !== undefined) request.data = callData
  const accessList = field(object, 'accessList')
  if (accessList !== undefined) request.accessList = parseAccessList(accessList, index)
  const chainId = field(object, 'chainId')
  if (chainId !== undefined) parseQuantity(chainId, index, 'chainId')
  return request
}

function parseAccessList(value: unknown, index: number): NonNullable<CallRequest['accessList']> {
  if (!Array.isArray(value)) throw invalidArgument(index, 'accessList must be an array')
  return value.map((entry: unknown) => {
    if (entry === null || typeof entry !== 'object') throw invalidArgument(index, 'accessList entry must be an object')
    const item = entry as Record<string, unknown>
    const keys = item['storageKeys'] ?? []
    if (!Array.isArray(keys)) throw invalidArgument(index, 'accessList storageKeys must be an array')
    return {
      address: parseAddress(item['address'], index, 'accessList address'),
      storageKeys: keys.map((k: unknown) => parseHash(k, index, 'storage key')),
    }
  })
}

/** geth's state override set: { [address]: { balance, nonce, code, state | stateDiff } }. */
export function parseStateOverrides(value: unknown, index: number): StateOverrides | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(index, 'state override set must be an object')
  const overrides: StateOverrides = new Map()
  for (const [addressHex, raw] of Object.entries(value as Record<string, unknown>)) {
    const address = parseAddress(addressHex, index, 'override address')
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalidArgument(index, `override for ${addressHex} must be an object`)
    const account = raw as Record<string, unknown>
    const entry: NonNullable<ReturnType<StateOverrides['get']>> = {}
    const balance = field(account, 'balance')
    if (balance !== undefined) entry.balance = parseQuantity(balance, index, 'balance')
    const nonce = field(account, 'nonce')
    if (nonce !== undefined) entry.nonce = parseQuantity(nonce, index, 'nonce')
    const code = field(account, 'code')
    if (code !== undefined) entry.code = parseData(code, index, 'code')
    const state = field(account, 'state')
    const stateDiff = field(account, 'stateDiff')
    if (state !== undefined && stateDiff !== undefined) {
      throw invalidParams(`account ${addressHex} has both 'state' and 'stateDiff'`)
    }
    if (state !== undefined) entry.state = parseStorageMap(state, index)
    if (stateDiff !== undefined) entry.stateDiff = parseStorageMap(stateDiff, index)
    overrides.set(toHex(address), entry)
  }
  return overrides
}

function parseStorageMap(value: unknown, index: number): Map<string, Uint8Array> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(index, 'storage override must be an object')
  const out = new Map<string, Uint8Array>()
  for (const [slot, slotValue] of Object.entries(value as Record<string, unknown>)) {
    const key = parseHash(slot, index, 'storage slot')
    out.set(toHex(key), parseHash(slotValue, index, 'storage value'))
  }
  return out
}
