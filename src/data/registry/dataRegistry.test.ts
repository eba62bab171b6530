import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBlock } from '@ethereumjs/block'
import { createVM } from '@ethereumjs/vm'
import { Account, createAddressFromString } from '@ethereumjs/util'
import { decodeEventLog, decodeFunctionResult, encodeFunctionData, toEventSelector, toFunctionSelector, type Abi } from 'viem'
import { keccak256 } from '../../crypto/keccak.js'
import { createChainCommon } from '../../execution/common.js'
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../primitives/bytes.js'
import { compileDataRegistry } from './compileDataRegistry.js'
import {
  DATA_REGISTRY_ABI,
  DATA_REGISTRY_ADDRESS_HEX,
  DATA_REGISTRY_RUNTIME_BYTECODE,
  dataRegistryGenesisAccount,
  decodeGetResult,
  decodeHistoryResult,
  decodeRegisteredData,
  decodeRevertReason,
  encodeGetCall,
  encodeHistoryCall,
  encodeRegisterCall,
  encodeTransferCall,
  SELECTOR_GET,
  SELECTOR_HISTORY,
  SELECTOR_REGISTER,
  SELECTOR_TRANSFER,
  TOPIC_ERC20_TRANSFER,
  TOPIC_REGISTERED,
  TOPIC_TRANSFERRED,
} from './dataRegistry.js'

const abi = DATA_REGISTRY_ABI as unknown as Abi
const alice = createAddressFromString('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
const bob = createAddressFromString('0x70997970c51812dc3a010c7d01b50e0d17dc79c8')
const registry = createAddressFromString(DATA_REGISTRY_ADDRESS_HEX)

test('recompiling DataRegistry.sol gives the committed runtime bytecode and ABI', () => {
  const compiled = compileDataRegistry()
  assert.match(compiled.solcVersion, /^0\.8\.30\+/)
  assert.equal(compiled.runtimeBytecode, DATA_REGISTRY_RUNTIME_BYTECODE)
  assert.deepEqual(compiled.abi, JSON.parse(JSON.stringify(DATA_REGISTRY_ABI)))
})

test('hand-coded selectors and topics match the ABI', () => {
  assert.equal(bytesToHex(SELECTOR_REGISTER), toFunctionSelector('register(bytes32,string,string)'))
  assert.equal(bytesToHex(SELECTOR_TRANSFER), toFunctionSelector('transfer(bytes32,address)'))
  assert.equal(bytesToHex(SELECTOR_GET), toFunctionSelector('get(bytes32)'))
  assert.equal(bytesToHex(SELECTOR_HISTORY), toFunctionSelector('history(bytes32)'))
  assert.equal(bytesToHex(TOPIC_REGISTERED), toEventSelector('Registered(bytes32,address,string,string)'))
  assert.equal(bytesToHex(TOPIC_TRANSFERRED), toEventSelector('Transferred(bytes32,address,address)'))
  assert.equal(bytesToHex(TOPIC_ERC20_TRANSFER), toEventSelector('Transfer(address,address,uint256)'))
  const h = keccak256(utf8ToBytes('file'))
  assert.equal(
    bytesToHex(encodeRegisterCall(h, 'CC-BY-4.0 ✓', 'x'.repeat(40))),
    encodeFunctionData({ abi, functionName: 'register', args: [bytesToHex(h), 'CC-BY-4.0 ✓', 'x'.repeat(40)] }),
  )
  assert.equal(
    bytesToHex(encodeTransferCall(h, bob.bytes)),
    encodeFunctionData({ abi, functionName: 'transfer', args: [bytesToHex(h), bob.toString() as `0x${string}`] }),
  )
})

test('the genesis account carries the runtime code at the fixed address', () => {
  const acct = dataRegistryGenesisAccount()
  assert.equal(acct.addressHex, '0x0000000000000000000000000000000000005701')
  assert.equal(bytesToHex(acct.code), DATA_REGISTRY_RUNTIME_BYTECODE)
  assert.deepEqual(acct.codeHash, keccak256(acct.code))
  assert.equal(acct.storage.size, 0)
})

test('the registry in @ethereumjs/vm: register, duplicate revert, transfer rules, get and history', async () => {
  const common = createChainCommon(1337n)
  const vm = await createVM({ common })
  const acct = dataRegistryGenesisAccount()
  await vm.stateManager.putAccount(registry, new Account(acct.nonce, acct.balance))
  await vm.stateManager.putCode(registry, acct.code)
  const blockAt = (number: bigint) => createBlock({ header: { number, timestamp: 1_700_000_000n + number } }, { common })
  const call = async (caller: typeof alice, data: Uint8Array, number = 5n) => {
    const r = await vm.evm.runCall({ caller, to: registry, data, gasLimit: 3_000_000n, block: blockAt(number) })
    return r.execResult
  }
  const hash = keccak256(utf8ToBytes('the file'))

  assert.equal(decodeGetResult(await call(alice, encodeGetCall(hash)).then((r) => r.returnValue)), undefined)

  const registered = await call(alice, encodeRegisterCall(hash, 'CC-BY-4.0', '{"name":"the file"}'), 7n)
  assert.equal(registered.exceptionError, undefined)
  assert.equal(registered.logs?.length, 1)
  const [address, topics, data] = registered.logs![0]!
  assert.equal(bytesToHex(address), DATA_REGISTRY_ADDRESS_HEX)
  assert.deepEqual(topics.map(bytesToHex), [bytesToHex(TOPIC_REGISTERED), bytesToHex(hash), bytesToHex(new Uint8Array(12)) + alice.toString().slice(2)])
  assert.deepEqual(decodeRegisteredData(data), { licence: 'CC-BY-4.0', metadata: '{"name":"the file"}' })
  const viewed = decodeEventLog({ abi, topics: topics.map(bytesToHex) as [`0x${string}`], data: bytesToHex(data) })
  assert.equal(viewed.eventName, 'Registered')

  const again = await call(bob, encodeRegisterCall(hash, 'MIT', ''), 8n)
  assert.equal(again.exceptionError?.error, 'revert')
  assert.equal(decodeRevertReason(again.returnValue), 'DataRegistry: already registered')

  const zero = await call(bob, encodeRegisterCall(new Uint8Array(32), 'MIT', ''))
  assert.equal(decodeRevertReason(zero.returnValue), 'DataRegistry: zero content hash')

  const stolen = await call(bob, encodeTransferCall(hash, bob.bytes), 9n)
  assert.equal(stolen.exceptionError?.error, 'revert')
  assert.equal(decodeRevertReason(stolen.returnValue), 'DataRegistry: caller is not the owner')

  const unknown = await call(alice, encodeTransferCall(keccak256(utf8ToBytes('other')), bob.bytes))
  assert.equal(decodeRevertReason(unknown.returnValue), 'DataRegistry: not registered')

  const moved = await call(alice, encodeTransferCall(hash, bob.bytes), 10n)
  assert.equal(moved.exceptionError, undefined)
  assert.deepEqual(moved.logs?.[0]?.[1].map(bytesToHex), [
    bytesToHex(TOPIC_TRANSFERRED),
    bytesToHex(hash),
    bytesToHex(new Uint8Array(12)) + alice.toString().slice(2),
    bytesToHex(new Uint8Array(12)) + bob.toString().slice(2),
  ])
  // The old owner can no longer transfer.
  assert.equal(decodeRevertReason((await call(alice, encodeTransferCall(hash, alice.bytes), 11n)).returnValue), 'DataRegistry: caller is not the owner')

  const record = decodeGetResult((await call(alice, encodeGetCall(hash))).returnValue)
  assert.deepEqual(record, {
    owner: bob.bytes,
    registrant: alice.bytes,
    blockNumber: 7n,
    timestamp: 1_700_000_007n,
    licence: 'CC-BY-4.0',
    metadata: '{"name":"the file"}',
  })
  const viaViem = decodeFunctionResult({ abi, functionName: 'get', data: bytesToHex((await call(alice, encodeGetCall(hash))).returnValue) }) as unknown[]
  assert.equal((viaViem[0] as string).toLowerCase(), bob.toString())

  const history = decodeHistoryResult((await call(alice, encodeHistoryCall(hash))).returnValue)
  assert.deepEqual(history, [
    { kind: 'registration', from: new Uint8Array(20), to: alice.bytes, blockNumber: 7n, timestamp: 1_700_000_007n },
    { kind: 'transfer', from: alice.bytes, to: bob.bytes, blockNumber: 10n, timestamp: 1_700_000_010n },
  ])
  assert.deepEqual(decodeHistoryResult((await call(alice, encodeHistoryCall(new Uint8Array(32).fill(1)))).returnValue), [])
  assert.equal(decodeRevertReason(hexToBytes('0x1234')), undefined)
})
