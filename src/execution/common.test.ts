import { test } from 'node:test'
import assert from 'node:assert/strict'
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
