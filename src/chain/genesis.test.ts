import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SteleError } from '../primitives/errors.js'
import { genesisToJson, parseGenesis, type GenesisJson } from './genesis.js'

const base = { chainId: 1337, validators: ['0x' + '11'.repeat(20)] }
const address = (i: number) => `0x${i.toString(16).padStart(40, '0')}`

test('the allocation reads back the same: balances packed up to 2^256 - 1, and accounts with nonce, code or storage', () => {
  const alloc: NonNullable<GenesisJson['alloc']> = {}
  for (let i = 1; i <= 300; i++) alloc[address(i)] = { balance: `0x${(BigInt(i) * 10n ** 18n).toString(16)}` }
  alloc[address(1000)] = { balance: `0x${(2n ** 256n - 1n).toString(16)}` }
  alloc[address(1001)] = { balance: '0x0' }
  alloc[address(1002)] = { balance: '0x5', nonce: '0x1' }
  alloc[address(1003)] = { balance: '0x0', code: '0x6000', storage: { '0x01': '0x02' } }
  const genesis = parseGenesis({ ...base, alloc })
  assert.equal(genesis.alloc.size, 304)
  assert.equal(genesis.alloc.get(address(7) as `0x${string}`)?.balance, 7n * 10n ** 18n)
  assert.equal(genesis.alloc.get(address(1000) as `0x${string}`)?.balance, 2n ** 256n - 1n)
  assert.equal(genesis.alloc.get(address(1002) as `0x${string}`)?.nonce, 1n)
  assert.equal(genesis.alloc.get(address(5000) as `0x${string}`), undefined)
  const again = genesisToJson(genesis).alloc ?? {}
  assert.deepEqual(Object.keys(again).sort(), Object.keys(alloc).sort())
  for (const [key, account] of Object.entries(alloc)) {
    assert.equal(BigInt(again[key]?.balance ?? -1), BigInt(account.balance ?? 0), key)
    assert.equal(again[key]?.nonce, account.nonce, key)
    assert.equal(again[key]?.code, account.code, key)
    assert.deepEqual(again[key]?.storage, account.storage, key)
  }
})

test('an address listed twice in the allocation, in any spelling, is refused', () => {
  const lower = '0x' + 'ab'.repeat(20)
  const upper = '0x' + 'AB'.repeat(20)
  for (const pair of [[lower, upper], [upper, lower], ['AB'.repeat(20), upper]]) {
    const alloc = Object.fromEntries(pair.map((a) => [a, { balance: '0x1' }]))
    assert.throws(() => parseGenesis({ ...base, alloc }), (e: unknown) => e instanceof SteleError && /lists 0xabab.* twice/.test(e.message))
  }
  // One spelling only is fine, whatever its case.
  assert.equal(parseGenesis({ ...base, alloc: { [upper]: { balance: '0x1' } } }).alloc.size, 1)
})
