import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { RpcContext } from './context.js'
import { createDispatcher } from './dispatcher.js'
import { createFilterManager } from './filters.js'
import { toHex, toQuantity } from './hex.js'
import { createMethodTable } from './methods/index.js'
import { parseData, parseQuantity } from './params.js'
import { createFakeRpcBackend } from './testing/fakeRpcBackend.js'

const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
console.log(`rpc dispatcher property seed: ${seed} (replay with FUZZ_SEED=${seed})`)

const backend = createFakeRpcBackend()
const methods = createMethodTable(backend)
const unexpected: string[] = []
const dispatcher = createDispatcher({ methods, logger: { error: (message, fields) => unexpected.push(`${message} ${String(fields?.['error'])}`) }, maxBatchSize: 20 })
const filters = createFilterManager(backend)
const context: RpcContext = { backend, filters, subscriptions: undefined }
const methodNames = [...methods.keys()]

/** Parameters shaped like what clients send, mixed with garbage. */
const paramValue = fc.oneof(
  fc.constantFrom('latest', 'pending', 'earliest', '0x', '0x0', '0x1', '0x2', '0xzz', `0x${'c0'.repeat(20)}`, `0x${'00'.repeat(32)}`),
  fc.bigInt({ min: 0n, max: 2n ** 300n }).map((n) => `0x${n.toString(16)}`),
  fc.uint8Array({ maxLength: 40 }).map((b) => toHex(b)),
  fc.jsonValue({ maxDepth: 2 }),
  fc.record({ to: fc.constantFrom(`0x${'c0'.repeat(20)}`, '0x12'), data: fc.constantFrom('0x', '0x1'), fromBlock: fc.constantFrom('0x0', 'latest', 7) }, { requiredKeys: [] }),
)
const call = fc.record(
  {
    jsonrpc: fc.constant('2.0'),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)),
    method: fc.oneof(fc.constantFrom(...methodNames), fc.string({ maxLength: 12 })),
    params: fc.oneof(fc.array(paramValue, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })),
  },
  { requiredKeys: ['jsonrpc', 'method'] },
)

describe('dispatcher properties', () => {
  it('any request, batch or garbage gets well-formed JSON-RPC answers and never an unexpected error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(call.map((c) => JSON.stringify(c)), fc.array(call, { maxLength: 25 }).map((b) => JSON.stringify(b)), fc.string({ maxLength: 40 }), fc.jsonValue().map((v) => JSON.stringify(v))),
        async (body) => {
          const out = await dispatcher.handle(body, context)
          if (out === undefined) return
          const parsed = JSON.parse(out) as unknown
          for (const response of Array.isArray(parsed) ? parsed : [parsed]) {
            const r = response as { jsonrpc: string; result?: unknown; error?: { code: number; message: string } }
            assert.equal(r.jsonrpc, '2.0')
            assert.ok(('result' in r) !== ('error' in r), `exactly one of result and error: ${out}`)
            if (r.error) {
              assert.ok(Number.isInteger(r.error.code) && typeof r.error.message === 'string')
              assert.notEqual(r.error.code, -32603, `internal error for ${body}: ${r.error.message}`)
            }
          }
        },
      ),
      { seed, numRuns: 400 },
    )
    assert.deepEqual(unexpected, [])
    filters.close()
  })

  it('quantities and data round-trip through the wire encoding', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.uint8Array({ maxLength: 64 }), (n, bytes) => {
        assert.equal(parseQuantity(toQuantity(n), 0), n)
        assert.match(toQuantity(n), /^0x(0|[1-9a-f][0-9a-f]*)$/)
        assert.deepEqual(parseData(toHex(bytes), 0), bytes)
      }),
      { seed },
    )
  })
})
