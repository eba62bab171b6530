import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { RpcContext, RpcMethod } from './context.js'
import { createDispatcher } from './dispatcher.js'

const context = {} as RpcContext
const methods = new Map<string, RpcMethod>([
  ['sync_ok', () => '0x1'],
  ['sync_fail', () => {
    throw new SteleError(ErrorCode.NonceTooLow, 'nonce too low')
  }],
  ['async_ok', async () => '0x2'],
  ['async_fail', async () => {
    throw new SteleError(ErrorCode.InvalidInput, 'invalid argument 0: bad')
  }],
  ['params_echo', (params) => params],
])
const logged: string[] = []
const dispatcher = createDispatcher({ methods, logger: { error: (message) => logged.push(message) }, maxBatchSize: 10 })

describe('dispatcher answer: synchronous when it can be', () => {
  it('answers a synchronous handler, a sync throw, a parse error and a notification without a promise', () => {
    assert.equal(dispatcher.answer('{"jsonrpc":"2.0","id":1,"method":"sync_ok"}', context), '{"jsonrpc":"2.0","id":1,"result":"0x1"}')
    assert.equal(
      dispatcher.answer('{"jsonrpc":"2.0","id":2,"method":"sync_fail","params":[]}', context),
      '{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"nonce too low"}}',
    )
    assert.equal(dispatcher.answer('{"jsonrpc"', context), '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}')
    assert.equal(dispatcher.answer('{"jsonrpc":"2.0","method":"sync_ok"}', context), undefined)
    assert.equal(dispatcher.answer('{"jsonrpc":"2.0","id":3,"method":"params_echo"}', context), '{"jsonrpc":"2.0","id":3,"result":[]}')
  })

  it('returns a promise only for an asynchronous handler or a batch, with the same text as handle()', async () => {
    const ok = dispatcher.answer('{"jsonrpc":"2.0","id":"a","method":"async_ok"}', context)
    assert.ok(ok instanceof Promise)
    assert.equal(await ok, '{"jsonrpc":"2.0","id":"a","result":"0x2"}')
    const failed = dispatcher.answer('{"jsonrpc":"2.0","id":"b","method":"async_fail"}', context)
    assert.ok(failed instanceof Promise)
    assert.equal(await failed, '{"jsonrpc":"2.0","id":"b","error":{"code":-32602,"message":"invalid argument 0: bad"}}')
    const batch = '[{"jsonrpc":"2.0","id":1,"method":"sync_ok"},{"jsonrpc":"2.0","id":2,"method":"async_ok"},{"jsonrpc":"2.0","method":"async_ok"}]'
    const answered = dispatcher.answer(batch, context)
    assert.ok(answered instanceof Promise)
    const expected = '[{"jsonrpc":"2.0","id":1,"result":"0x1"},{"jsonrpc":"2.0","id":2,"result":"0x2"}]'
    assert.equal(await answered, expected)
    assert.equal(await dispatcher.handle(batch, context), expected)
    assert.equal(await dispatcher.handle('{"jsonrpc":"2.0","id":1,"method":"sync_ok"}', context), '{"jsonrpc":"2.0","id":1,"result":"0x1"}')
    assert.deepEqual(logged, [])
  })
})

describe('dispatcher batches: consecutive eth_sendRawTransaction calls start together', () => {
  it('starts a run of sendRawTransaction calls before the first settles; other calls still wait their turn', async () => {
    const events: string[] = []
    const releases: (() => void)[] = []
    const batchMethods = new Map<string, RpcMethod>([
      ['eth_sendRawTransaction', async (params) => {
        events.push(`start ${String(params[0])}`)
        await new Promise<void>((resolve) => releases.push(resolve))
        events.push(`end ${String(params[0])}`)
        return params[0]
      }],
      ['eth_blockNumber', () => {
        events.push('blockNumber')
        return '0x1'
      }],
    ])
    const batchDispatcher = createDispatcher({ methods: batchMethods, logger: { error: () => undefined }, maxBatchSize: 10 })
    const call = (id: number, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })
    const body = JSON.stringify([call(1, 'eth_sendRawTransaction', ['a']), call(2, 'eth_sendRawTransaction', ['b']), call(3, 'eth_blockNumber'), call(4, 'eth_sendRawTransaction', ['c'])])
    const answer = batchDispatcher.handle(body, context)
    // Both calls of the first run started; the later calls wait for the run to finish.
    for (let i = 0; i < 100 && releases.length < 2; i++) await Promise.resolve()
    assert.deepEqual(events, ['start a', 'start b'])
    releases.splice(0).forEach((release) => release())
    for (let i = 0; i < 100 && releases.length < 1; i++) await Promise.resolve()
    assert.deepEqual(events, ['start a', 'start b', 'end a', 'end b', 'blockNumber', 'start c'])
    releases.splice(0).forEach((release) => release())
    const response = JSON.parse((await answer) as string) as { id: number; result: string }[]
    assert.deepEqual(response.map((r) => [r.id, r.result]), [[1, 'a'], [2, 'b'], [3, '0x1'], [4, 'c']])
  })
})
