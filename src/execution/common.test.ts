import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common'
import { createTx } from '@ethereumjs/tx'
import { hexToBytes, bytesToHex } from '../primitives/bytes.js'
import { createChainCommon } from './common.js'

test('transactions recover their sender through the native ecrecover', () => {
  const common = createChainCommon(1337n)
  const key = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
  for (const type of [0, 1, 2]) {
    const fees = type < 2 ? { gasPrice: 1n } : { maxFeePerGas: 2n, maxPriorityFeePerGas: 1n }
    const tx = createTx({ type, nonce: 3n, gasLimit: 21000n, to: '0x0000000000000000000000000000000000000001', value: 5n, ...fees }, { common }).sign(key)
    assert.equal(bytesToHex(tx.getSenderAddress().bytes), '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
  }
})

test('isActivatedEIP answers as Common does, also after a hardfork change and in copies', () => {
  const common = createChainCommon(1337n)
  const reference = createCustomCommon({ chainId: 1337 }, Mainnet, { hardfork: Hardfork.Cancun })
  const check = (a: Common, b: Common) => {
    for (let eip = 0; eip < 8200; eip++) assert.equal(a.isActivatedEIP(eip), b.isActivatedEIP(eip), `EIP ${eip} at ${a.hardfork()}`)
  }
  check(common, reference)
  assert.equal(common.isActivatedEIP(1559), true)
  assert.equal(common.isActivatedEIP(7702), false)
  const copy = common.copy()
  copy.setHardfork(Hardfork.Prague)
  reference.setHardfork(Hardfork.Prague)
  assert.equal(copy.isActivatedEIP(7702), true)
  check(copy, reference)
  reference.setHardfork(Hardfork.Cancun)
  check(common, reference)
})
