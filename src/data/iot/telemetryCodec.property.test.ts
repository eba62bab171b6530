import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { bytesToHex } from '../../primitives/bytes.js'
import { createMemoryStore } from '../../state/kvStore.js'
import { createTelemetryIngestor } from './ingest.js'
import { canonicalJson, parseReading, readingMessage } from './telemetryCodec.js'
import { signReading, testDeviceId, testDeviceKey, testDeviceRecord } from './testing/deviceFixtures.js'

const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
console.log(`telemetry codec property seed: ${seed} (replay with FUZZ_SEED=${seed})`)

test('canonical JSON: parsing and re-canonicalizing is the identity, and member order does not matter', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const text = canonicalJson(value)
      assert.equal(canonicalJson(JSON.parse(text)), text)
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const reversed = Object.fromEntries(Object.entries(value).reverse())
        assert.equal(canonicalJson(reversed), text)
      }
    }),
    { seed, numRuns: 300 },
  )
})

test('a signed reading survives a JSON round trip; any change to a signed field changes the message', () => {
  const key = testDeviceKey('secp256k1', 'property')
  const id = bytesToHex(testDeviceId('property'))
  fc.assert(
    fc.property(fc.jsonValue(), fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 45 }), (payload, seq, time) => {
      const reading = signReading(key, { deviceId: id, seq, time, payload })
      const parsed = parseReading(JSON.parse(JSON.stringify(reading)), Number.MAX_SAFE_INTEGER)
      assert.ok(!('reason' in parsed), 'reason' in parsed ? parsed.message : '')
      assert.deepEqual(parsed.message, readingMessage(reading))
      assert.notDeepEqual(readingMessage({ ...reading, seq: seq + 1 }), parsed.message)
      assert.notDeepEqual(readingMessage({ ...reading, payload: [payload] }), parsed.message)
    }),
    { seed, numRuns: 150 },
  )
})

test('arbitrary input never throws out of ingest: every item gets a result with a reason code', async () => {
  const key = testDeviceKey('ed25519', 'garbage')
  const id = testDeviceId('garbage')
  const ingestor = createTelemetryIngestor({
    store: createMemoryStore(),
    readDevice: async () => testDeviceRecord(id, [{ key, validFrom: 0n }]),
    anchor: () => undefined,
    clock: { now: () => 1_760_000_000_000 },
  })
  const garbage = fc.oneof(
    fc.anything(),
    fc.record({ deviceId: fc.oneof(fc.string(), fc.constant(bytesToHex(id))), seq: fc.anything(), time: fc.anything(), payload: fc.anything(), sig: fc.oneof(fc.string(), fc.constant('0x' + '00'.repeat(64))) }, { requiredKeys: [] }),
  )
  await fc.assert(
    fc.asyncProperty(fc.array(garbage, { minLength: 1, maxLength: 20 }), async (items) => {
      const { results, accepted } = await ingestor.ingest(items)
      assert.equal(results.length, items.length)
      assert.equal(accepted, 0)
      for (const [i, r] of results.entries()) {
        assert.equal(r.index, i)
        assert.equal(r.status, 'rejected')
        assert.match(r.reason ?? '', /^[A-Z_]+$/)
      }
    }),
    { seed, numRuns: 200 },
  )
})
