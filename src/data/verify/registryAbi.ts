import { bytesToBigint, concatBytes, hexToBytes, padBytes, bigintToBytes } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'

/**
 * The data registry's ABI, hand-coded for the few calls and events Stele itself uses. Browser-safe
 * (the offline verifier decodes registry logs with it). Constants are checked against keccak in tests.
 */
export const DATA_REGISTRY_ADDRESS_HEX = '0x0000000000000000000000000000000000005701' as const
export const DATA_REGISTRY_ADDRESS: Uint8Array = hexToBytes(DATA_REGISTRY_ADDRESS_HEX)

export const SELECTOR_REGISTER = hexToBytes('0x58fd6aec') // register(bytes32,string,string)
export const SELECTOR_TRANSFER = hexToBytes('0x79ce9fac') // transfer(bytes32,address)
export const SELECTOR_GET = hexToBytes('0x8eaa6ac0') // get(bytes32)
export const SELECTOR_HISTORY = hexToBytes('0xed26bceb') // history(bytes32)
/** keccak256("Registered(bytes32,address,string,string)") */
export const TOPIC_REGISTERED = hexToBytes('0x1cc19eb838b4ddbff7648564bbd4b9debe9e146a882dafab061e1e76fb798afb')
/** keccak256("Transferred(bytes32,address,address)") */
export const TOPIC_TRANSFERRED = hexToBytes('0x7b97c62130aa09acbbcbf7482630e756592496f1759eaf702f469cf64dfb7794')
/** keccak256("Transfer(address,address,uint256)"): ERC-20 and ERC-721 transfers. */
export const TOPIC_ERC20_TRANSFER = hexToBytes('0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef')
/** Error(string) selector: Solidity's require reason. */
export const SELECTOR_ERROR_STRING = hexToBytes('0x08c379a0')

export interface DataRecord {
  owner: Uint8Array
  registrant: Uint8Array
  blockNumber: bigint
  timestamp: bigint
  licence: string
  metadata: string
}

export interface DataRecordChange {
  kind: 'registration' | 'transfer'
  from: Uint8Array
  to: Uint8Array
  blockNumber: bigint
  timestamp: bigint
}

export function encodeRegisterCall(contentHash: Uint8Array, licence: string, metadata: string): Uint8Array {
  const a = encodeDynamicBytes(new TextEncoder().encode(licence))
  const b = encodeDynamicBytes(new TextEncoder().encode(metadata))
  return concatBytes(SELECTOR_REGISTER, word32(contentHash), uintWord(96n), uintWord(BigInt(96 + a.length)), a, b)
}

export function encodeTransferCall(contentHash: Uint8Array, newOwner: Uint8Array): Uint8Array {
  return concatBytes(SELECTOR_TRANSFER, word32(contentHash), padBytes(newOwner, 32))
}

export function encodeGetCall(contentHash: Uint8Array): Uint8Array {
  return concatBytes(SELECTOR_GET, word32(contentHash))
}

export function encodeHistoryCall(contentHash: Uint8Array): Uint8Array {
  return concatBytes(SELECTOR_HISTORY, word32(contentHash))
}

/** Decodes get()'s return data; undefined when the hash was never registered (owner is zero). */
export function decodeGetResult(data: Uint8Array): DataRecord | undefined {
  const owner = readAddress(data, 0)
  if (owner.every((b) => b === 0)) return undefined
  return {
    owner,
    registrant: readAddress(data, 32),
    blockNumber: readUint(data, 64),
    timestamp: readUint(data, 96),
    licence: readString(data, 0, 128),
    metadata: readString(data, 0, 160),
  }
}

export function decodeHistoryResult(data: Uint8Array): DataRecordChange[] {
  const start = toOffset(readUint(data, 0), data) + 32
  const count = toOffset(readUint(data, start - 32), data)
  if (start + count * 160 > data.length) throw abiError('history array runs past the data')
  const out: DataRecordChange[] = []
  for (let i = 0; i < count; i++) {
    const at = start + i * 160
    out.push({
      kind: readUint(data, at) === 0n ? 'registration' : 'transfer',
      from: readAddress(data, at + 32),
      to: readAddress(data, at + 64),
      blockNumber: readUint(data, at + 96),
      timestamp: readUint(data, at + 128),
    })
  }
  return out
}

/** The revert reason in Error(string) return data, or undefined for other revert data. */
export function decodeRevertReason(data: Uint8Array): string | undefined {
  if (data.length < 4 || !SELECTOR_ERROR_STRING.every((b, i) => data[i] === b)) return undefined
  try {
    return readString(data.subarray(4), 0, 0)
  } catch {
    return undefined
  }
}

/** Registered's non-indexed fields, as the contract emits them (abi.encode(licence, metadata)). */
export function encodeRegisteredData(licence: string, metadata: string): Uint8Array {
  const a = encodeDynamicBytes(new TextEncoder().encode(licence))
  const b = encodeDynamicBytes(new TextEncoder().encode(metadata))
  return concatBytes(uintWord(64n), uintWord(BigInt(64 + a.length)), a, b)
}

/** Registered's non-indexed fields. */
export function decodeRegisteredData(data: Uint8Array): { licence: string; metadata: string } {
  return { licence: readString(data, 0, 0), metadata: readString(data, 0, 32) }
}

export function readUint(data: Uint8Array, at: number): bigint {
  if (at < 0 || at + 32 > data.length) throw abiError(`word at ${at} is past the end (${data.length} bytes)`)
  return bytesToBigint(data.subarray(at, at + 32))
}

export function readAddress(data: Uint8Array, at: number): Uint8Array {
  const w = readWord(data, at)
  if (w.subarray(0, 12).some((b) => b !== 0)) throw abiError(`word at ${at} is not an address`)
  return w.slice(12)
}

/** Reads the string whose offset (relative to base) is stored at headAt. */
export function readString(data: Uint8Array, base: number, headAt: number): string {
  const at = base + toOffset(readUint(data, headAt), data)
  const length = toOffset(readUint(data, at), data)
  if (at + 32 + length > data.length) throw abiError('string runs past the data')
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(at + 32, at + 32 + length))
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, 'ABI string is not valid UTF-8', { cause })
  }
}

function readWord(data: Uint8Array, at: number): Uint8Array {
  if (at < 0 || at + 32 > data.length) throw abiError(`word at ${at} is past the end (${data.length} bytes)`)
  return data.subarray(at, at + 32)
}

function toOffset(value: bigint, data: Uint8Array): number {
  if (value > BigInt(data.length)) throw abiError(`offset or length ${value} exceeds the data`)
  return Number(value)
}

function word32(value: Uint8Array): Uint8Array {
  if (value.length !== 32) throw new SteleError(ErrorCode.InvalidInput, `expected 32 bytes, got ${value.length}`)
  return value
}

function uintWord(value: bigint): Uint8Array {
  return padBytes(bigintToBytes(value), 32)
}

function encodeDynamicBytes(bytes: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(bytes.length / 32) * 32)
  padded.set(bytes)
  return concatBytes(uintWord(BigInt(bytes.length)), padded)
}

function abiError(message: string): SteleError {
  return new SteleError(ErrorCode.InvalidInput, `ABI: ${message}`)
}
