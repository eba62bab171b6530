import { keccak256 } from '../crypto/keccak.js'

/**
 * A synchronous interpreter for one top-level call frame under Cancun rules, for code that makes no call
 * of its own: the common token transfer, registry write or counter update. It covers arithmetic, the
 * stack, memory, storage, logs, hashing, jumps and the environment opcodes; at the first opcode outside
 * that set it stops with `unsupported`, and the caller hands the whole transaction to runTx. Nothing is
 * written to the state here: storage writes and logs come back in the result, to apply or drop.
 *
 * Gas follows Cancun's schedule (EIP-2929 cold and warm access, EIP-2200/3529 SSTORE metering and
 * refunds, EIP-3855 PUSH0, EIP-5656 MCOPY). `src/execution/contractCall.test.ts` compares whole
 * transactions with runTx on random programs and on an ERC-20.
 */

export interface FrameEnvironment {
  code: Uint8Array
  calldata: Uint8Array
  /** The called contract, the caller (the transaction's sender, so also ORIGIN), as 160-bit integers. */
  address: bigint
  caller: bigint
  callValue: bigint
  gasPrice: bigint
  /** The contract's balance inside the frame, after the call's value arrived. */
  selfBalance: bigint
  coinbase: bigint
  timestamp: bigint
  number: bigint
  gasLimit: bigint
  baseFee: bigint
  prevRandao: bigint
  chainId: bigint
  /** The contract's storage value at the start of the transaction. */
  loadStorage(slot: bigint): bigint
}

export interface FrameLog {
  topics: bigint[]
  data: Uint8Array
}

export type FrameResult =
  | { kind: 'unsupported'; opcode: number }
  | { kind: 'success'; gasLeft: number; refund: number; writes: Map<bigint, bigint>; logs: FrameLog[] }
  | { kind: 'revert'; gasLeft: number }
  | { kind: 'halt' }

const MASK = (1n << 256n) - 1n
const SIGN = 1n << 255n
const STACK_LIMIT = 1024
/** Memory beyond this many 32-byte words costs more gas than the caller ever offers (see MAX_FRAME_GAS). */
const MEMORY_WORD_LIMIT = 1 << 24
/**
 * Frames with more gas than this go to runTx: gas and memory sizes stay exact JavaScript numbers, and the
 * memory a frame can pay for stays under about 50 MB.
 */
export const MAX_FRAME_GAS = 2 ** 32

const COLD_SLOAD = 2100
const WARM_READ = 100
const SSTORE_SET = 20_000
const SSTORE_RESET = 5000 - COLD_SLOAD
const SSTORE_CLEARS_REFUND = 4800
const SSTORE_SENTRY = 2300

interface CodeAnalysis {
  /** 1 at each JUMPDEST that is an opcode rather than PUSH data. */
  jumpdests: Uint8Array
  /** The value each PUSH1..PUSH32 pushes, by the PUSH's position. */
  immediates: bigint[]
}

/** Per code array: the state overlay hands out one array per code hash, so each contract is analysed once. */
const analyses = new WeakMap<Uint8Array, CodeAnalysis>()

function analyse(code: Uint8Array): CodeAnalysis {
  let analysis = analyses.get(code)
  if (analysis !== undefined) return analysis
  const jumpdests = new Uint8Array(code.length)
  const immediates: bigint[] = []
  for (let pc = 0; pc < code.length; pc++) {
    const op = code[pc] as number
    if (op === 0x5b) jumpdests[pc] = 1
    else if (op >= 0x60 && op <= 0x7f) {
      const size = op - 0x5f
      let value = 0n
      // Bytes past the end of the code read as zero.
      for (let i = 1; i <= size; i++) value = (value << 8n) | BigInt(code[pc + i] ?? 0)
      immediates[pc] = value
      pc += size
    }
  }
  analysis = { jumpdests, immediates }
  analyses.set(code, analysis)
  return analysis
}

function toSigned(x: bigint): bigint {
  return x & SIGN ? x - (1n << 256n) : x
}

function wordCost(size: number): number {
  return 3 * Math.ceil(size / 32)
}

function exp(base: bigint, exponent: bigint): bigint {
  let result = 1n
  let b = base
  let e = exponent
  while (e > 0n) {
    if (e & 1n) result = (result * b) & MASK
    b = (b * b) & MASK
    e >>= 1n
  }
  return result
}

function byteLength(value: bigint): number {
  return value === 0n ? 0 : Math.ceil(value.toString(16).length / 2)
}

class Halt extends Error {}
const HALT = new Halt()

/** Runs the frame with `gas` (the transaction's gas limit less its intrinsic gas). */
export function runFrame(env: FrameEnvironment, gas: number): FrameResult {
  try {
    return execute(env, gas)
  } catch (error) {
    if (error === HALT) return { kind: 'halt' }
    throw error
  }
}

function execute(env: FrameEnvironment, startGas: number): FrameResult {
  const code = env.code
  const { jumpdests, immediates } = analyse(code)
  const calldata = env.calldata
  const stack: bigint[] = []
  let sp = 0
  let gas = startGas
  let refund = 0
  let memory = new Uint8Array(1024)
  let view = new DataView(memory.buffer)
  let memoryWords = 0
  const original = new Map<bigint, bigint>()
  const writes = new Map<bigint, bigint>()
  const warm = new Set<bigint>()
  const logs: FrameLog[] = []

  const use = (amount: number) => {
    gas -= amount
    if (gas < 0) throw HALT
  }
  const pop = (): bigint => {
    if (sp === 0) throw HALT
    return stack[--sp] as bigint
  }
  const push = (value: bigint) => {
    if (sp === STACK_LIMIT) throw HALT
    stack[sp++] = value
  }
  const need = (count: number) => {
    if (sp < count) throw HALT
  }
  /** Charges memory expansion for [offset, offset+size) and returns the offset as a number. */
  const expand = (offset: bigint, size: bigint): number => {
    if (size === 0n) return 0
    const end = offset + size
    if (end > BigInt(MEMORY_WORD_LIMIT * 32)) throw HALT
    const words = Math.ceil(Number(end) / 32)
    if (words > memoryWords) {
      const cost = 3 * words + Math.floor((words * words) / 512) - (3 * memoryWords + Math.floor((memoryWords * memoryWords) / 512))
      use(cost)
      memoryWords = words
      if (words * 32 > memory.length) {
        let length = memory.length
        while (length < words * 32) length *= 2
        const grown = new Uint8Array(length)
        grown.set(memory)
        memory = grown
        view = new DataView(memory.buffer)
      }
    }
    return Number(offset)
  }
  const readWord = (at: number): bigint =>
    (view.getBigUint64(at) << 192n) | (view.getBigUint64(at + 8) << 128n) | (view.getBigUint64(at + 16) << 64n) | view.getBigUint64(at + 24)
  const writeWord = (at: number, value: bigint) => {
    view.setBigUint64(at, value >> 192n)
    view.setBigUint64(at + 8, value >> 128n)
    view.setBigUint64(at + 16, value >> 64n)
    view.setBigUint64(at + 24, value)
  }
  /** Copies `size` bytes of `source` from `from` (zero past its end) to memory at `to`. */
  const copyIn = (source: Uint8Array, to: number, from: bigint, size: number) => {
    if (size === 0) return
    const start = from > BigInt(source.length) ? source.length : Number(from)
    const available = Math.min(size, source.length - start)
    if (available > 0) memory.set(source.subarray(start, start + available), to)
    memory.fill(0, to + Math.max(available, 0), to + size)
  }
  const originalValue = (slot: bigint): bigint => {
    let value = original.get(slot)
    if (value === undefined) {
      value = env.loadStorage(slot)
      original.set(slot, value)
    }
    return value
  }
  const smallSize = (size: bigint): number => {
    if (size > BigInt(MEMORY_WORD_LIMIT * 32)) throw HALT
    return Number(size)
  }

  let pc = 0
  for (;;) {
    if (pc >= code.length) return { kind: 'success', gasLeft: gas, refund, writes, logs }
    const op = code[pc] as number
    // PUSH1..PUSH32 first: about a third of all instructions.
    if (op >= 0x60 && op <= 0x7f) {
      use(3)
      push(immediates[pc] as bigint)
      pc += op - 0x5e
      continue
    }
    if (op >= 0x80 && op <= 0x8f) {
      // DUP1..DUP16
      use(3)
      const n = op - 0x7f
      need(n)
      push(stack[sp - n] as bigint)
      pc++
      continue
    }
    if (op >= 0x90 && op <= 0x9f) {
      // SWAP1..SWAP16
      use(3)
      const n = op - 0x8f
      need(n + 1)
      const top = stack[sp - 1] as bigint
      stack[sp - 1] = stack[sp - 1 - n] as bigint
      stack[sp - 1 - n] = top
      pc++
      continue
    }
    switch (op) {
      case 0x00: // STOP
        return { kind: 'success', gasLeft: gas, refund, writes, logs }
      case 0x01: {
        use(3)
        const a = pop()
        const b = pop()
        push((a + b) & MASK)
        break
      }
      case 0x02: {
        use(5)
        const a = pop()
        const b = pop()
        push((a * b) & MASK)
        break
      }
      case 0x03: {
        use(3)
        const a = pop()
        const b = pop()
        push((a - b) & MASK)
        break
      }
      case 0x04: {
        use(5)
        const a = pop()
        const b = pop()
        push(b === 0n ? 0n : a / b)
        break
      }
      case 0x05: {
        // SDIV
        use(5)
        const a = toSigned(pop())
        const b = toSigned(pop())
        push(b === 0n ? 0n : (a / b) & MASK)
        break
      }
      case 0x06: {
        use(5)
        const a = pop()
        const b = pop()
        push(b === 0n ? 0n : a % b)
        break
      }
      case 0x07: {
        // SMOD
        use(5)
        const a = toSigned(pop())
        const b = toSigned(pop())
        push(b === 0n ? 0n : (a % b) & MASK)
        break
      }
      case 0x08: {
        use(8)
        const a = pop()
        const b = pop()
        const n = pop()
        push(n === 0n ? 0n : (a + b) % n)
        break
      }
      case 0x09: {
        use(8)
        const a = pop()
        const b = pop()
        const n = pop()
        push(n === 0n ? 0n : (a * b) % n)
        break
      }
      case 0x0a: {
        need(2)
        const base = pop()
        const exponent = pop()
        use(10 + 50 * byteLength(exponent))
        push(exp(base, exponent))
        break
      }
      case 0x0b: {
        // SIGNEXTEND
        use(5)
        const b = pop()
        const x = pop()
        if (b < 31n) {
          const bit = b * 8n + 7n
          const low = (1n << (bit + 1n)) - 1n
          push((x >> bit) & 1n ? (x | ~low) & MASK : x & low)
        } else push(x)
        break
      }
      case 0x10:
      case 0x11:
      case 0x12:
      case 0x13:
      case 0x14: {
        use(3)
        const a = pop()
        const b = pop()
        let result: boolean
        if (op === 0x10) result = a < b
        else if (op === 0x11) result = a > b
        else if (op === 0x12) result = toSigned(a) < toSigned(b)
        else if (op === 0x13) result = toSigned(a) > toSigned(b)
        else result = a === b
        push(result ? 1n : 0n)
        break
      }
      case 0x15:
        use(3)
        push(pop() === 0n ? 1n : 0n)
        break
      case 0x16: {
        use(3)
        const a = pop()
        push(a & pop())
        break
      }
      case 0x17: {
        use(3)
        const a = pop()
        push(a | pop())
        break
      }
      case 0x18: {
        use(3)
        const a = pop()
        push(a ^ pop())
        break
      }
      case 0x19:
        use(3)
        push(~pop() & MASK)
        break
      case 0x1a: {
        // BYTE
        use(3)
        const i = pop()
        const x = pop()
        push(i < 32n ? (x >> (248n - i * 8n)) & 0xffn : 0n)
        break
      }
      case 0x1b: {
        use(3)
        const shift = pop()
        const value = pop()
        push(shift >= 256n ? 0n : (value << shift) & MASK)
        break
      }
      case 0x1c: {
        use(3)
        const shift = pop()
        const value = pop()
        push(shift >= 256n ? 0n : value >> shift)
        break
      }
      case 0x1d: {
        // SAR
        use(3)
        const shift = pop()
        const value = toSigned(pop())
        push((value >> (shift >= 256n ? 255n : shift)) & MASK)
        break
      }
      case 0x20: {
        // KECCAK256
        need(2)
        const offset = pop()
        const size = pop()
        use(30 + 6 * Math.ceil(smallSize(size) / 32))
        const at = expand(offset, size)
        const n = Number(size)
        const hash = keccak256(memory.subarray(at, at + n))
        push(bytesToWord(hash))
        break
      }
      case 0x30:
        use(2)
        push(env.address)
        break
      case 0x32: // ORIGIN: the sender, as the frame is the transaction's own
      case 0x33:
        use(2)
        push(env.caller)
        break
      case 0x34:
        use(2)
        push(env.callValue)
        break
      case 0x35: {
        use(3)
        const offset = pop()
        push(offset >= BigInt(calldata.length) ? 0n : calldataWord(calldata, Number(offset)))
        break
      }
      case 0x36:
        use(2)
        push(BigInt(calldata.length))
        break
      case 0x37:
      case 0x39: {
        // CALLDATACOPY, CODECOPY
        need(3)
        const to = pop()
        const from = pop()
        const size = pop()
        use(3 + wordCost(smallSize(size)))
        const at = expand(to, size)
        copyIn(op === 0x37 ? calldata : code, at, from, Number(size))
        break
      }
      case 0x38:
        use(2)
        push(BigInt(code.length))
        break
      case 0x3a:
        use(2)
        push(env.gasPrice)
        break
      case 0x3d:
        // RETURNDATASIZE: no call has returned in this frame
        use(2)
        push(0n)
        break
      case 0x3e: {
        // RETURNDATACOPY from empty return data: anything but a zero-length copy at offset 0 fails
        need(3)
        const to = pop()
        const from = pop()
        const size = pop()
        use(3 + wordCost(smallSize(size)))
        expand(to, size)
        if (from + size > 0n) throw HALT
        break
      }
      case 0x41:
        use(2)
        push(env.coinbase)
        break
      case 0x42:
        use(2)
        push(env.timestamp)
        break
      case 0x43:
        use(2)
        push(env.number)
        break
      case 0x44:
        use(2)
        push(env.prevRandao)
        break
      case 0x45:
        use(2)
        push(env.gasLimit)
        break
      case 0x46:
        use(2)
        push(env.chainId)
        break
      case 0x47:
        use(5)
        push(env.selfBalance)
        break
      case 0x48:
        use(2)
        push(env.baseFee)
        break
      case 0x50:
        use(2)
        pop()
        break
      case 0x51: {
        use(3)
        const at = expand(pop(), 32n)
        push(readWord(at))
        break
      }
      case 0x52: {
        use(3)
        need(2)
        const at = expand(pop(), 32n)
        writeWord(at, pop())
        break
      }
      case 0x53: {
        use(3)
        need(2)
        const at = expand(pop(), 1n)
        memory[at] = Number(pop() & 0xffn)
        break
      }
      case 0x54: {
        // SLOAD
        need(1)
        const slot = pop()
        if (warm.has(slot)) use(WARM_READ)
        else {
          use(COLD_SLOAD)
          warm.add(slot)
        }
        push(writes.get(slot) ?? originalValue(slot))
        break
      }
      case 0x55: {
        // SSTORE
        need(2)
        if (gas <= SSTORE_SENTRY) throw HALT
        const slot = pop()
        const value = pop()
        let cost = 0
        if (!warm.has(slot)) {
          cost += COLD_SLOAD
          warm.add(slot)
        }
        const originalSlot = originalValue(slot)
        const current = writes.get(slot) ?? originalSlot
        if (current === value) cost += WARM_READ
        else if (originalSlot === current) {
          cost += originalSlot === 0n ? SSTORE_SET : SSTORE_RESET
          if (originalSlot !== 0n && value === 0n) refund += SSTORE_CLEARS_REFUND
        } else {
          cost += WARM_READ
          if (originalSlot !== 0n) {
            // @ethereumjs traps when the counter would go negative (unreachable in one frame: the +4,800 for
            // clearing this slot came first); the same here.
            if (current === 0n) {
              refund -= SSTORE_CLEARS_REFUND
              if (refund < 0) throw HALT
            }
            else if (value === 0n) refund += SSTORE_CLEARS_REFUND
          }
          if (originalSlot === value) refund += originalSlot === 0n ? SSTORE_SET - WARM_READ : SSTORE_RESET - WARM_READ
        }
        use(cost)
        writes.set(slot, value)
        break
      }
      case 0x56: {
        // JUMP
        use(8)
        const dest = pop()
        if (dest >= BigInt(code.length) || jumpdests[Number(dest)] !== 1) throw HALT
        pc = Number(dest)
        continue
      }
      case 0x57: {
        // JUMPI
        use(10)
        const dest = pop()
        const condition = pop()
        if (condition !== 0n) {
          if (dest >= BigInt(code.length) || jumpdests[Number(dest)] !== 1) throw HALT
          pc = Number(dest)
          continue
        }
        break
      }
      case 0x58:
        use(2)
        push(BigInt(pc))
        break
      case 0x59:
        use(2)
        push(BigInt(memoryWords * 32))
        break
      case 0x5a:
        use(2)
        push(BigInt(gas))
        break
      case 0x5b:
        use(1)
        break
      case 0x5e: {
        // MCOPY
        need(3)
        const to = pop()
        const from = pop()
        const size = pop()
        use(3 + wordCost(smallSize(size)))
        if (size > 0n) {
          const end = (to > from ? to : from) + size
          expand(0n, end)
          memory.copyWithin(Number(to), Number(from), Number(from) + Number(size))
        }
        break
      }
      case 0x5f:
        use(2)
        push(0n)
        break
      case 0xa0:
      case 0xa1:
      case 0xa2:
      case 0xa3:
      case 0xa4: {
        const topicCount = op - 0xa0
        need(2 + topicCount)
        const offset = pop()
        const size = pop()
        const topics: bigint[] = []
        for (let i = 0; i < topicCount; i++) topics.push(pop())
        use(375 + 375 * topicCount + 8 * smallSize(size))
        const at = expand(offset, size)
        logs.push({ topics, data: memory.slice(at, at + Number(size)) })
        break
      }
      case 0xf3: {
        // RETURN: the top-level frame's output is not kept
        need(2)
        expand(pop(), pop())
        return { kind: 'success', gasLeft: gas, refund, writes, logs }
      }
      case 0xfd: {
        need(2)
        expand(pop(), pop())
        return { kind: 'revert', gasLeft: gas }
      }
      case 0xfe:
        throw HALT
      default:
        return { kind: 'unsupported', opcode: op }
    }
    pc++
  }
}

function calldataWord(calldata: Uint8Array, offset: number): bigint {
  if (offset + 32 <= calldata.length) return bytesToWord(calldata.subarray(offset, offset + 32))
  const padded = new Uint8Array(32)
  padded.set(calldata.subarray(offset))
  return bytesToWord(padded)
}

/** A 32-byte big-endian word as an integer. */
export function bytesToWord(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 32)
  return (view.getBigUint64(0) << 192n) | (view.getBigUint64(8) << 128n) | (view.getBigUint64(16) << 64n) | view.getBigUint64(24)
}

/** An integer below 2^256 as a 32-byte big-endian word. */
export function wordToBytes(value: bigint): Uint8Array {
  const out = new Uint8Array(32)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, value >> 192n)
  view.setBigUint64(8, value >> 128n)
  view.setBigUint64(16, value >> 64n)
  view.setBigUint64(24, value)
  return out
}
