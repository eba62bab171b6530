import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import createKeccakHash from 'keccak'
import {
  KECCAK_ROUND_CONSTANTS,
  KECCAK_WASM_BASE64,
  KECCAK_WASM_INPUT_AT,
  KECCAK_WASM_RATE,
  KECCAK_WASM_ROUND_CONSTANTS_AT,
} from './keccakWasm.js'

interface NativeKeccakState {
  initialize(rate: number, capacity: number): void
  absorb(data: Uint8Array): void
  squeeze(length: number): Uint8Array
}

/** Keccak-256: rate 1088 bits, capacity 512; the sponge's default padding is Keccak's (not SHA-3's). */
const RATE = 1088
const CAPACITY = 512

/**
 * The `keccak` package's native sponge, driven directly. Its public API builds a stream Transform per
 * hash, which costs more than hashing a trie node or an address (6 µs against 2.5 µs at 32 bytes here).
 * One state is reused: every call runs to completion synchronously, so calls cannot interleave.
 */
const nativeState: NativeKeccakState | undefined = (() => {
  try {
    const require = createRequire(import.meta.url)
    const loadAddon = require('node-gyp-build') as (dir: string) => unknown
    const State = loadAddon(dirname(require.resolve('keccak/package.json')))
    return typeof State === 'function' ? (new (State as new () => NativeKeccakState)() as NativeKeccakState) : undefined
  } catch {
    return undefined
  }
})()

/**
 * Inputs up to this many bytes go to our WebAssembly sponge (src/crypto/keccakWasm.ts), longer ones to the
 * native addon. The addon's squeeze allocates a Buffer with a finalizer on every call, about 2 µs, so the
 * WebAssembly module is 2.5-4 times faster up to about 1.5 KB (trie nodes, transactions, receipts,
 * addresses); the addon is faster beyond (docs/performance.md, item 19).
 */
const WASM_MAX_INPUT = 1024

/**
 * One instance per thread. Calls run to completion synchronously, so they cannot interleave. The input is
 * copied in and padded here (Keccak's pad10*1 with the 0x01 domain byte); absorb runs the sponge.
 */
const wasm = (() => {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KECCAK_WASM_BASE64, 'base64')))
  const memory = instance.exports['memory'] as WebAssembly.Memory
  // Little-endian whatever the host's byte order: WebAssembly reads memory little-endian everywhere, and a
  // BigUint64Array would write the constants in the host's order (wrong on s390x, say).
  const constants = new DataView(memory.buffer, KECCAK_WASM_ROUND_CONSTANTS_AT, KECCAK_ROUND_CONSTANTS.length * 8)
  KECCAK_ROUND_CONSTANTS.forEach((c, i) => constants.setBigUint64(i * 8, c, true))
  return { heap: new Uint8Array(memory.buffer), absorb: instance.exports['absorb'] as (blocks: number) => void }
})()

/** Hashes the `length` input bytes already written at KECCAK_WASM_INPUT_AT. */
function finishWasm(length: number): Uint8Array {
  const heap = wasm.heap
  const padded = length - (length % KECCAK_WASM_RATE) + KECCAK_WASM_RATE
  heap.fill(0, KECCAK_WASM_INPUT_AT + length, KECCAK_WASM_INPUT_AT + padded)
  heap[KECCAK_WASM_INPUT_AT + length] = 0x01
  heap[KECCAK_WASM_INPUT_AT + padded - 1] = (heap[KECCAK_WASM_INPUT_AT + padded - 1] as number) | 0x80
  wasm.absorb(padded / KECCAK_WASM_RATE)
  // A 32-byte array of our own: callers may read `.buffer` (ethereumjs's Bloom does).
  return heap.slice(0, 32)
}

function nativeOrJs(parts: readonly Uint8Array[]): Uint8Array {
  if (!nativeState) {
    const hash = createKeccakHash('keccak256')
    for (const part of parts) hash.update(Buffer.from(part.buffer, part.byteOffset, part.byteLength))
    return Uint8Array.from(hash.digest())
  }
  nativeState.initialize(RATE, CAPACITY)
  // N-API reads any Uint8Array view (offset included) as a buffer.
  for (const part of parts) nativeState.absorb(part)
  const out = new Uint8Array(32)
  out.set(nativeState.squeeze(32))
  return out
}

/**
 * A known answer checked once at load: keccak256 of the empty string. Should the module ever hash wrongly on
 * some platform, every hash goes to the addon rather than the node forking off the chain.
 */
const EMPTY_KECCAK = 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'
const wasmMaxInput = Buffer.from(finishWasm(0)).toString('hex') === EMPTY_KECCAK ? WASM_MAX_INPUT : -1

/** Whether short inputs go to the WebAssembly module (its known answer matched); tests require it. */
export const KECCAK_WASM_ACTIVE = wasmMaxInput > 0

/** keccak256: the hot path for block, trie and transaction hashing. */
export function keccak256(data: Uint8Array): Uint8Array {
  if (data.length > wasmMaxInput) return nativeOrJs([data])
  wasm.heap.set(data, KECCAK_WASM_INPUT_AT)
  return finishWasm(data.length)
}

/** keccak256 of several parts, as if concatenated, without building the concatenation. */
export function keccak256Parts(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  if (length > wasmMaxInput) return nativeOrJs(parts)
  let at = KECCAK_WASM_INPUT_AT
  for (const part of parts) {
    wasm.heap.set(part, at)
    at += part.length
  }
  return finishWasm(length)
}
