import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { bytesToHex, concatBytes, hexToBytes, padBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { decodeRevertReason, toJsonRpcError } from './errorMapping.js'
import { createRpcServer, type RpcServer } from './server.js'
import { ADDRESS_A, createFakeRpcBackend, encodeErrorString, signTransfer, type FakeRpcBackend } from './testing/fakeRpcBackend.js'
import { rpcError } from './testing/rpcTestClient.js'

const A = bytesToHex(ADDRESS_A)

/** geth's transaction admission errors: each SteleError code must come back as -32000 with the message unchanged. */
const TX_ERRORS: [ErrorCode, string][] = [
  [ErrorCode.NonceTooLow, `nonce too low: address ${A}, tx: 0 state: 3`],
  [ErrorCode.NonceTooHigh, `nonce too high: address ${A}, tx: 9 state: 3`],
  [ErrorCode.InsufficientFunds, `insufficient funds for gas * price + value: address ${A} have 0 want 2100000`],
  [ErrorCode.FeeTooLow, `max fee per gas less than block base fee: address ${A}, maxFeePerGas: 1, baseFee: 7`],
  [ErrorCode.WrongChainId, 'invalid chain id for signer: have 1 want 1337'],
  [ErrorCode.InvalidSignature, 'invalid sender'],
  [ErrorCode.OversizedData, 'oversized data: transaction size 131073, limit 131072'],
  [ErrorCode.IntrinsicGasTooLow, 'intrinsic gas too low: gas 100, minimum needed 21000'],
  [ErrorCode.FeeTooLow, 'transaction underpriced'],
  [ErrorCode.ReplacementUnderpriced, 'replacement transaction underpriced'],
  [ErrorCode.AlreadyKnown, 'already known'],
  [ErrorCode.TxPoolFull, 'txpool is full'],
  [ErrorCode.GasLimitExceeded, 'exceeds block gas limit'],
  [ErrorCode.InvalidTransaction, 'rlp: expected input list for types.LegacyTx'],
  [ErrorCode.InvalidRlp, 'rlp: value size exceeds available input length'],
]

describe('error mapping through eth_sendRawTransaction', () => {
  let backend: FakeRpcBackend
  let server: RpcServer
  before(async () => {
    backend = createFakeRpcBackend()
    server = await createRpcServer({ backend, port: 0, logger: { error: () => {} } })
  })
  after(() => server.close())

  for (const [code, message] of TX_ERRORS) {
    it(`${code} → -32000 "${message.slice(0, 40)}"`, async () => {
      backend.failNextSend = new SteleError(code, message)
      assert.deepEqual(await rpcError(server.url, 'eth_sendRawTransaction', [bytesToHex(signTransfer(5n))]), { code: -32000, message })
    })
  }

  it('undecodable raw bytes are a -32000 error, not a crash', async () => {
    const error = await rpcError(server.url, 'eth_sendRawTransaction', ['0xdeadbeef'])
    assert.equal(error.code, -32000)
  })
})

describe('toJsonRpcError', () => {
  it('maps parameter errors to -32602 and unknown errors to -32603 (flagged unexpected)', () => {
    assert.deepEqual(toJsonRpcError(new SteleError(ErrorCode.InvalidInput, 'bad')), { error: { code: -32602, message: 'bad' }, unexpected: false })
    assert.deepEqual(toJsonRpcError(new SteleError(ErrorCode.InvalidHex, 'odd')), { error: { code: -32602, message: 'odd' }, unexpected: false })
    assert.deepEqual(toJsonRpcError(new Error('secret path /x')), { error: { code: -32603, message: 'internal error' }, unexpected: true })
    assert.equal(toJsonRpcError(new SteleError(ErrorCode.Storage, 'lmdb')).unexpected, true)
    assert.equal(toJsonRpcError(new SteleError(ErrorCode.NotFound, 'header not found')).error.code, -32000)
  })

  it('honours an explicit details.rpcCode', () => {
    assert.deepEqual(toJsonRpcError(new SteleError(ErrorCode.Unsupported, 'x', { details: { rpcCode: -32005 } })).error, { code: -32005, message: 'x' })
  })

  it('reverts: code 3, reason from the message or decoded from data, data as hex', () => {
    const data = encodeErrorString('too poor')
    assert.deepEqual(toJsonRpcError(new SteleError(ErrorCode.ExecutionReverted, 'execution reverted', { details: { data } })).error, {
      code: 3,
      message: 'execution reverted: too poor',
      data: bytesToHex(data),
    })
    assert.deepEqual(toJsonRpcError(new SteleError(ErrorCode.ExecutionReverted, 'execution reverted: kept', { details: { data } })).error.message, 'execution reverted: kept')
    const custom = hexToBytes('0x12345678')
    assert.deepEqual(toJsonRpcError(new SteleError(ErrorCode.ExecutionReverted, 'reverted', { details: { data: custom } })).error, {
      code: 3,
      message: 'execution reverted',
      data: '0x12345678',
    })
    assert.deepEqual(toJsonRpcError(new SteleError(ErrorCode.ExecutionReverted, 'execution reverted')).error, { code: 3, message: 'execution reverted' })
  })

  it('decodes Error(string) and Panic(uint256), refuses truncated payloads', () => {
    assert.equal(decodeRevertReason(encodeErrorString('')), '')
    assert.equal(decodeRevertReason(encodeErrorString('a'.repeat(70))), 'a'.repeat(70))
    const panic = concatBytes(hexToBytes('0x4e487b71'), padBytes(Uint8Array.of(0x11), 32))
    assert.equal(decodeRevertReason(panic), 'panic: 0x11')
    assert.equal(decodeRevertReason(encodeErrorString('hello').subarray(0, 70)), undefined)
    assert.equal(decodeRevertReason(new Uint8Array(3)), undefined)
  })
})
