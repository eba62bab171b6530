import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createVM, runTx } from '@ethereumjs/vm'
import { createBlock } from '@ethereumjs/block'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Account, Address, privateToAddress } from '@ethereumjs/util'
import { createChainCommon } from '../execution/common.js'
import { bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { createMemoryStore, WriteBatch, type KvStore } from './kvStore.js'
import type { StateDb } from './stateDb.js'
import { createFlatStateDb } from './flatStateDb.js'
import { createReferenceStateDb } from './referenceStateDb.js'

const common = createChainCommon(1337n)
const keys = [1, 2].map((i) => new Uint8Array(32).fill(i))
const senders = keys.map((k) => new Address(privateToAddress(k)))
const fresh = new Address(new Uint8Array(20).fill(0x42))
const coinbase = new Address(new Uint8Array(20).fill(0xcb))

// Runtime: slot0 += 1; slot1 = calldata[0:32]. Init: slot5 = 7, then return the runtime.
const RUNTIME = '600054600101600055600035600155' + '00'
const INIT = hexToBytes(`0x6007600555601060116000396010600' + '0f3${RUNTIME}`.replace("' + '", ''))

function txs(block: number, contract: Address | undefined, nonces: bigint[]) {
  const base = { maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, chainId: 1337n }
  const sign = (who: number, data: Parameters<typeof createFeeMarket1559Tx>[0]) =>
    createFeeMarket1559Tx({ ...base, ...data, nonce: nonces[who]!++ }, { common }).sign(keys[who]!)
  const list = [sign(0, { to: senders[1]!, value: 10n ** 15n, gasLimit: 21000n }), sign(1, { to: fresh, value: 12345n, gasLimit: 21000n })]
  if (block === 1) list.push(sign(0, { gasLimit: 200_000n, data: INIT }))
  if (contract) list.push(sign(0, { to: contract, gasLimit: 100_000n, data: new Uint8Array(32).fill(block) }))
  return list
}

async function run(db: StateDb, store: KvStore) {
  const genesis = db.overlay()
  for (const sender of senders) await genesis.stateManager.putAccount(sender, new Account(0n, 10n ** 20n))
  const batch = new WriteBatch()
  let commit = await genesis.prepareCommit(batch)
  store.write(batch)
  commit.apply()
  const roots = [commit.root]
  const gas: bigint[] = []
  let contract: Address | undefined
  const nonces = [0n, 0n]
  for (const number of [1, 2, 3]) {
    const overlay = db.overlay()
    const vm = await createVM({ common, stateManager: overlay.stateManager })
    const block = createBlock({ header: { number: BigInt(number), timestamp: BigInt(1000 + number), gasLimit: 30_000_000n, baseFeePerGas: 7n, coinbase } }, { common })
    for (const tx of txs(number, contract, nonces)) {
      const result = await runTx(vm, { tx, block, skipBlockGasLimitValidation: true })
      assert.equal(result.execResult.exceptionError, undefined)
      gas.push(result.totalGasSpent)
      contract ??= result.createdAddress
    }
    const b = new WriteBatch()
    commit = await overlay.prepareCommit(b)
    store.write(b)
    commit.apply()
    roots.push(commit.root)
  }
  const reader = db.reader(db.headRoot())!
  const slots = [0, 1, 5].map((i) => {
    const slot = new Uint8Array(32)
    slot[31] = i
    return slot
  })
  const storage = await Promise.all(slots.map(async (s) => bytesToHex(await reader.storage(contract!.bytes, s))))
  return { roots: roots.map(bytesToHex), gas, contract: contract?.toString(), storage, code: bytesToHex(await reader.code(contract!.bytes)) }
}

test('runTx transfers, a deploy and contract calls give the same roots on the flat StateDb and MerkleStateManager', async () => {
  const flatStore = createMemoryStore()
  const refStore = createMemoryStore()
  const ours = await run(createFlatStateDb(flatStore), flatStore)
  const theirs = await run(createReferenceStateDb(refStore, { common }), refStore)
  assert.deepEqual(ours, theirs)
  assert.equal(ours.code, `0x${RUNTIME}`)
  assert.deepEqual(ours.storage.map((v) => BigInt(v)), [2n, BigInt(`0x${'03'.repeat(32)}`), 7n])
  assert.equal(new Set(ours.roots).size, 4)
})
