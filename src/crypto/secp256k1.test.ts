import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { keccak256 } from './keccak.js'
import { privateKeyToAddress, recoverAddress, sign } from './secp256k1.js'

test('the native secp256k1 binding is loaded, not the JavaScript fallback', () => {
  const require = createRequire(import.meta.url)
  assert.doesNotThrow(() => require('secp256k1/bindings'))
})

test('the first dev account key maps to its well-known address', () => {
  // Hardhat/anvil account 0 of "test test ... junk".
  const key = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
  assert.equal(bytesToHex(privateKeyToAddress(key)), '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
})

test('sign then recover returns the signer', () => {
  const key = hexToBytes('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
  const hash = keccak256(new TextEncoder().encode('stele'))
  const sig = sign(hash, key)
  assert.equal(sig.length, 65)
  assert.deepEqual(recoverAddress(hash, sig), privateKeyToAddress(key))
})

test('keccak256 of the empty string', () => {
  assert.equal(bytesToHex(keccak256(new Uint8Array())), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
})
