import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bytesToHex } from '../primitives/bytes.js'
import { isSteleError } from '../primitives/errors.js'
import { deriveDevKeys } from './hdKeys.js'

// Known accounts of "test test ... junk" at m/44'/60'/0'/0/i, as printed by anvil and Hardhat on start.
const KNOWN = [
  { address: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', key: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' },
  { address: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', key: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' },
  { address: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc', key: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a' },
]

test('deriveDevKeys reproduces the well-known dev accounts', () => {
  const keys = deriveDevKeys(3)
  assert.equal(keys.length, 3)
  keys.forEach((k, i) => {
    assert.equal(bytesToHex(k.address), KNOWN[i]?.address)
    assert.equal(bytesToHex(k.privateKey), KNOWN[i]?.key)
  })
})

test('deriveDevKeys gives distinct keys and a prefix-stable sequence', () => {
  const many = deriveDevKeys(20)
  assert.equal(new Set(many.map((k) => bytesToHex(k.address))).size, 20)
  assert.deepEqual(deriveDevKeys(2), many.slice(0, 2))
  assert.deepEqual(deriveDevKeys(0), [])
})

test('another mnemonic gives its own known account', () => {
  // BIP-39 test mnemonic; its first Ethereum account is widely published (e.g. MetaMask and ethers docs).
  const other = deriveDevKeys(1, 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about')
  assert.equal(bytesToHex(other[0]!.address), '0x9858effd232b4033e47d90003d41ec34ecaeda94')
})

test('deriveDevKeys refuses a bad mnemonic and a bad count', () => {
  assert.throws(() => deriveDevKeys(1, 'test test test'), (e) => isSteleError(e, 'INVALID_INPUT'))
  assert.throws(() => deriveDevKeys(-1), (e) => isSteleError(e, 'INVALID_INPUT'))
  assert.throws(() => deriveDevKeys(1.5), (e) => isSteleError(e, 'INVALID_INPUT'))
})
