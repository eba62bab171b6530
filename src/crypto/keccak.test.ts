import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, utf8ToBytes } from '../primitives/bytes.js'
import { KECCAK_WASM_ACTIVE, keccak256, keccak256Parts } from './keccak.js'

test('keccak256 known vectors (Keccak-256 as Ethereum uses it, not SHA3-256)', () => {
  // A module that failed its known answer at load would send every hash to the addon: correct, but slow.
  assert.equal(KECCAK_WASM_ACTIVE, true)
  assert.equal(bytesToHex(keccak256(new Uint8Array(0))), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
  assert.equal(bytesToHex(keccak256(utf8ToBytes('abc'))), '0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45')
})

test('keccak256 and keccak256Parts equal @noble/hashes on random inputs, views and block boundaries', () => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
  console.log(`keccak property seed: ${seed} (replay with FUZZ_SEED=${seed})`)
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(1500), fc.nat(20), (data, cut, offset) => {
      const expected = bytesToHex(keccak_256(data))
      // A view into a larger buffer must hash only its own bytes.
      const padded = new Uint8Array(offset + data.length + 7)
      padded.set(data, offset)
      const view = padded.subarray(offset, offset + data.length)
      const hash = keccak256(view)
      assert.equal(bytesToHex(hash), expected)
      assert.equal(hash.byteOffset, 0)
      assert.equal(hash.buffer.byteLength, 32)
      const at = Math.min(cut, data.length)
      assert.equal(bytesToHex(keccak256Parts([data.subarray(0, at), data.subarray(at)])), expected)
    }),
    { seed, numRuns: 300 },
  )
  // Block boundaries, and either side of the switch from the WebAssembly sponge to the native one (1 KiB).
  for (const length of [135, 136, 137, 271, 272, 273, 1023, 1024, 1025, 1089, 4096]) {
    const data = new Uint8Array(length).fill(length & 0xff)
    assert.equal(bytesToHex(keccak256(data)), bytesToHex(keccak_256(data)), `${length} bytes`)
    assert.equal(bytesToHex(keccak256Parts([data.subarray(0, 500), data.subarray(500)])), bytesToHex(keccak_256(data)), `${length} bytes in parts`)
  }
})

test('the committed WebAssembly sponge is what scripts/gen-keccak-wasm.mjs generates', () => {
  const result = spawnSync(process.execPath, [fileURLToPath(new URL('../../scripts/gen-keccak-wasm.mjs', import.meta.url)), '--check'], { encoding: 'utf8' })
  assert.equal(result.status, 0, result.stdout + result.stderr)
})
