#!/usr/bin/env node
// Writes src/crypto/keccakWasm.ts: a WebAssembly module that runs the Keccak-f[1600] sponge (FIPS 202,
// section 3) over blocks already padded in its memory. The lanes live in 25 i64 locals and each round's
// steps are unrolled; the 24 rounds are a loop. Run it again after changing this file:
//   node scripts/gen-keccak-wasm.mjs
//
// Memory layout (one module instance per thread):
//   0..32     the digest: lanes 0-3 of the state after the last block
//   200..392  the 24 round constants, little-endian u64 (WebAssembly memory is little-endian on every host),
//             written by the caller (ROUND_CONSTANTS below)
//   512..     the padded input, `blocks` blocks of RATE bytes
// Export `absorb(blocks)`: zero state, absorb each block (XOR into the first RATE/8 lanes, permute), write
// the digest.
import { readFileSync, writeFileSync } from 'node:fs'

const RATE = 136 // Keccak-256: 1088-bit rate
// Rotation offsets r[x][y] (FIPS 202, table 2), lane (x, y) at index x + 5y.
const ROTATION = [
  [0, 36, 3, 41, 18],
  [1, 44, 10, 45, 2],
  [62, 6, 43, 15, 61],
  [28, 55, 25, 21, 56],
  [27, 20, 39, 8, 14],
]
// Round constants for iota (FIPS 202, section 3.2.5).
const ROUND_CONSTANTS = [
  '0000000000000001', '0000000000008082', '800000000000808a', '8000000080008000',
  '000000000000808b', '0000000080000001', '8000000080008081', '8000000000008009',
  '000000000000008a', '0000000000000088', '0000000080008009', '000000008000000a',
  '000000008000808b', '800000000000008b', '8000000000008089', '8000000000008003',
  '8000000000008002', '8000000000000080', '000000000000800a', '800000008000000a',
  '8000000080008081', '8000000000008080', '0000000080000001', '8000000080008008',
]
const ROUND_CONSTANTS_AT = 200
const INPUT_AT = 512
const PAGES = 1

// ---- encoding helpers (WebAssembly binary format, core spec section 5) ----
const unsignedLeb = (n) => {
  const out = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}
const signedLeb = (n) => {
  const out = []
  for (;;) {
    const byte = n & 0x7f
    n >>= 7
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}
const name = (s) => [...unsignedLeb(s.length), ...Buffer.from(s, 'utf8')]
const section = (id, body) => [id, ...unsignedLeb(body.length), ...body]
const vector = (items) => [...unsignedLeb(items.length), ...items.flat()]

const I32 = 0x7f
const I64 = 0x7e
const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40,
  get: 0x20, set: 0x21, tee: 0x22,
  i32Const: 0x41, i64Const: 0x42,
  i64Load: 0x29, i64Store: 0x37,
  i32Eqz: 0x45, i32LtU: 0x49, i32Add: 0x6a, i32Sub: 0x6b,
  i64And: 0x83, i64Or: 0x84, i64Xor: 0x85, i64Rotl: 0x89,
}

// Locals: 0 blocks (param), 1 ptr, 2 round (byte offset of its constant), then 60 i64.
const BLOCKS = 0
const PTR = 1
const ROUND = 2
const S = (i) => 3 + i
const B = (i) => 28 + i
const C = (x) => 53 + x
const D = (x) => 58 + x

const code = []
const emit = (...bytes) => code.push(...bytes)
const get = (local) => emit(op.get, ...unsignedLeb(local))
const set = (local) => emit(op.set, ...unsignedLeb(local))
const memarg = (offset) => [3, ...unsignedLeb(offset)] // align 2^3

emit(op.i32Const, ...signedLeb(INPUT_AT))
set(PTR)
emit(op.block, op.void)
emit(op.loop, op.void)
get(BLOCKS)
emit(op.i32Eqz, op.brIf, 1)
for (let lane = 0; lane < RATE / 8; lane++) {
  get(S(lane))
  get(PTR)
  emit(op.i64Load, ...memarg(lane * 8))
  emit(op.i64Xor)
  set(S(lane))
}
emit(op.i32Const, ...signedLeb(0))
set(ROUND)
emit(op.loop, op.void)
// theta
for (let x = 0; x < 5; x++) {
  get(S(x))
  for (let y = 1; y < 5; y++) {
    get(S(x + 5 * y))
    emit(op.i64Xor)
  }
  set(C(x))
}
for (let x = 0; x < 5; x++) {
  get(C((x + 4) % 5))
  get(C((x + 1) % 5))
  emit(op.i64Const, ...signedLeb(1), op.i64Rotl, op.i64Xor)
  set(D(x))
}
for (let i = 0; i < 25; i++) {
  get(S(i))
  get(D(i % 5))
  emit(op.i64Xor)
  set(S(i))
}
// rho and pi: B[y][2x + 3y] = rot(A[x][y], r[x][y])
for (let x = 0; x < 5; x++) {
  for (let y = 0; y < 5; y++) {
    get(S(x + 5 * y))
    if (ROTATION[x][y] !== 0) emit(op.i64Const, ...signedLeb(ROTATION[x][y]), op.i64Rotl)
    set(B(y + 5 * ((2 * x + 3 * y) % 5)))
  }
}
// chi: A[x][y] = B[x][y] ^ (~B[x+1][y] & B[x+2][y])
for (let y = 0; y < 5; y++) {
  for (let x = 0; x < 5; x++) {
    get(B(((x + 1) % 5) + 5 * y))
    emit(op.i64Const, ...signedLeb(-1), op.i64Xor)
    get(B(((x + 2) % 5) + 5 * y))
    emit(op.i64And)
    get(B(x + 5 * y))
    emit(op.i64Xor)
    set(S(x + 5 * y))
  }
}
// iota
get(S(0))
get(ROUND)
emit(op.i64Load, ...memarg(ROUND_CONSTANTS_AT), op.i64Xor)
set(S(0))
get(ROUND)
emit(op.i32Const, ...signedLeb(8), op.i32Add, op.tee, ...unsignedLeb(ROUND))
emit(op.i32Const, ...signedLeb(8 * 24), op.i32LtU, op.brIf, 0)
emit(op.end) // rounds
get(PTR)
emit(op.i32Const, ...signedLeb(RATE), op.i32Add)
set(PTR)
get(BLOCKS)
emit(op.i32Const, ...signedLeb(1), op.i32Sub)
set(BLOCKS)
emit(op.br, 0)
emit(op.end) // blocks loop
emit(op.end) // block
for (let lane = 0; lane < 4; lane++) {
  emit(op.i32Const, ...signedLeb(0))
  get(S(lane))
  emit(op.i64Store, ...memarg(lane * 8))
}
emit(op.end) // function

const body = [...vector([[...unsignedLeb(2), I32], [...unsignedLeb(60), I64]]), ...code]
const module = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vector([[0x60, ...vector([[I32]]), ...vector([])]])),
  ...section(3, vector([unsignedLeb(0)])),
  ...section(5, vector([[0x01, ...unsignedLeb(PAGES), ...unsignedLeb(PAGES)]])), // min = max: it cannot grow
  ...section(7, vector([[...name('memory'), 0x02, 0], [...name('absorb'), 0x00, 0]])),
  ...section(10, vector([[...unsignedLeb(body.length), ...body]])),
]

const base64 = Buffer.from(module).toString('base64')
const lines = base64.match(/.{1,100}/g)
const ts = `// Generated by scripts/gen-keccak-wasm.mjs (FIPS 202: rotation offsets from table 2, round constants from
// section 3.2.5). Do not edit by hand; see that script for the module's memory layout.

/** Keccak-256's rate in bytes: the sponge absorbs the padded input in blocks of this size. */
export const KECCAK_WASM_RATE = ${RATE}
/** Where the round constants go (24 little-endian u64), written once by the caller. */
export const KECCAK_WASM_ROUND_CONSTANTS_AT = ${ROUND_CONSTANTS_AT}
/** Where the padded input starts. */
export const KECCAK_WASM_INPUT_AT = ${INPUT_AT}
export const KECCAK_ROUND_CONSTANTS: readonly bigint[] = [
${ROUND_CONSTANTS.map((h) => `  0x${h}n,`).join('\n')}
]

/** The module: exports \`memory\` and \`absorb(blocks)\`. */
export const KECCAK_WASM_BASE64 =
${lines.map((l, i) => `  '${l}'${i === lines.length - 1 ? '' : ' +'}`).join('\n')}
`
const target = new URL('../src/crypto/keccakWasm.ts', import.meta.url)
if (process.argv.includes('--check')) {
  const same = readFileSync(target, 'utf8') === ts
  process.stdout.write(same ? 'keccakWasm.ts is up to date\n' : 'keccakWasm.ts differs from scripts/gen-keccak-wasm.mjs: run it\n')
  process.exit(same ? 0 : 1)
}
writeFileSync(target, ts)
process.stdout.write(`keccakWasm.ts: ${module.length} bytes of WebAssembly\n`)
