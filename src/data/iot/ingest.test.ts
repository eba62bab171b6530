import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { p256 } from '@noble/curves/nist.js'
import { keccak256 } from '../../crypto/keccak.js'
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../primitives/bytes.js'
import { isSteleError } from '../../primitives/errors.js'
import { createMemoryStore, openLmdbStore, type KvStore } from '../../state/kvStore.js'
import type { DeviceRecord } from './deviceRegistryAbi.js'
import { createTelemetryIngestor, MAX_READINGS_PER_CALL, type TelemetryIngestorOptions } from './ingest.js'
import { readingHash, readingMessage, canonicalJson } from './telemetryCodec.js'
import { signDeviceMessage, verifyDeviceSignature } from './telemetrySignatures.js'
import { listReadings, loadReading, loadReadingByHash } from './telemetryStore.js'
import { signReading, testDeviceId, testDeviceKey, testDeviceRecord } from './testing/deviceFixtures.js'

const T = 1_760_000_000n // registration time, seconds
const NOW = Number(T) * 1000 + 3_600_000 // the node clock: an hour later
const clock = { now: () => NOW }

function setup(devices: DeviceRecord[], extra: Partial<TelemetryIngestorOptions> = {}, store: KvStore = createMemoryStore()) {
  const byId = new Map(devices.map((d) => [bytesToHex(d.deviceId), d]))
  const anchored: Uint8Array[][] = []
  const ingestor = createTelemetryIngestor({
    store,
    readDevice: async (id) => byId.get(bytesToHex(id)),
    anchor: (hashes) => anchored.push(hashes),
    clock,
    maxSkewMs: 60_000,
    maxPayloadBytes: 256,
    ...extra,
  })
  return { ingestor, anchored, store }
}

test('a reading signed with each of P-256, Ed25519 and secp256k1 is accepted, stored and anchored', async () => {
  const keys = (['p256', 'ed25519', 'secp256k1'] as const).map((t) => testDeviceKey(t, 'one'))
  const ids = keys.map((k) => testDeviceId(`one ${k.keyType}`))
  const { ingestor, anchored, store } = setup(keys.map((key, i) => testDeviceRecord(ids[i]!, [{ key, validFrom: T }])))
  const readings = keys.map((key, i) => signReading(key, { deviceId: ids[i]!, seq: 1, time: NOW - 10, payload: { temp: 21.5, unit: 'C', i } }))
  const { results, accepted } = await ingestor.ingest(readings)
  assert.equal(accepted, 3)
  assert.deepEqual(results.map((r) => r.status), ['accepted', 'accepted', 'accepted'])
  for (const [i, r] of readings.entries()) {
    const expectedHash = readingHash(readingMessage(r), hexToBytes(r.sig), keccak256)
    assert.equal(results[i]!.hash, bytesToHex(expectedHash))
    const stored = loadReading(store, ids[i]!, 1)
    assert.equal(stored?.sig, r.sig)
    assert.deepEqual(stored?.payload, r.payload)
    assert.equal(stored?.keyIndex, 0)
    assert.equal(loadReadingByHash(store, expectedHash)?.seq, 1)
    // The browser verifier's rules agree with the node's.
    assert.equal(verifyDeviceSignature(keys[i]!.keyType, keys[i]!.publicKey, readingMessage(r), hexToBytes(r.sig)), true)
  }
  assert.equal(anchored.length, 1)
  assert.deepEqual(anchored[0]!.map(bytesToHex), results.map((r) => r.hash))
})

test('noble-signed readings (as a browser or device SDK would sign) are accepted by the native verifier', async () => {
  const records: DeviceRecord[] = []
  const readings = []
  for (const keyType of ['p256', 'ed25519', 'secp256k1'] as const) {
    const key = testDeviceKey(keyType, 'noble')
    const id = testDeviceId(`noble ${keyType}`)
    records.push(testDeviceRecord(id, [{ key, validFrom: T }]))
    const unsigned = { deviceId: bytesToHex(id), seq: 7, time: NOW, payload: ['ünïcode', 1e21, -0, { b: 1, a: [true, null] }] }
    readings.push({ ...unsigned, sig: bytesToHex(signDeviceMessage(keyType, key.secretKey, readingMessage(unsigned))) })
  }
  // A high-s P-256 signature is as valid as its low-s twin (OpenSSL and our noble settings agree).
  const p = readings[0]!
  const sig = p256.Signature.fromBytes(hexToBytes(p.sig), 'compact')
  const highS = new p256.Signature(sig.r, p256.Point.CURVE().n - sig.s).toBytes('compact')
  assert.equal(verifyDeviceSignature('p256', records[0]!.keys[0]!.publicKey, readingMessage(p), highS), true)
  const { ingestor } = setup(records)
  const { results } = await ingestor.ingest([...readings, { ...p, seq: 8, sig: bytesToHex(highS) }])
  assert.deepEqual(results.map((r) => [r.status, r.reason]), [['accepted', undefined], ['accepted', undefined], ['accepted', undefined], ['rejected', 'BAD_SIGNATURE']])
})

test('after a rotation the old key signs only readings timed before it; the new key after it', async () => {
  const oldKey = testDeviceKey('p256', 'rotating old')
  const newKey = testDeviceKey('ed25519', 'rotating new')
  const id = testDeviceId('rotating')
  const rotatedAt = T + 1800n
  const { ingestor } = setup([testDeviceRecord(id, [{ key: oldKey, validFrom: T, validUntil: rotatedAt }, { key: newKey, validFrom: rotatedAt }])], { maxSkewMs: 4_000_000 })
  const before = Number(rotatedAt) * 1000 - 1
  const after = Number(rotatedAt) * 1000
  const { results } = await ingestor.ingest([
    signReading(oldKey, { deviceId: id, seq: 1, time: before, payload: 1 }),
    signReading(oldKey, { deviceId: id, seq: 2, time: after, payload: 2 }),
    signReading(newKey, { deviceId: id, seq: 3, time: after + 5, payload: 3 }),
    signReading(newKey, { deviceId: id, seq: 4, time: before - 5, payload: 4 }),
    signReading(oldKey, { deviceId: id, seq: 5, time: Number(T) * 1000 - 1, payload: 5 }),
  ])
  assert.deepEqual(
    results.map((r) => [r.seq, r.status, r.reason]),
    [
      [1, 'accepted', undefined],
      [2, 'rejected', 'BAD_SIGNATURE'],
      [3, 'accepted', undefined],
      [4, 'rejected', 'BAD_SIGNATURE'],
      [5, 'rejected', 'NO_VALID_KEY'],
    ],
  )
})

test('each kind of bad reading gets its own reason code and the rest of the batch is accepted', async () => {
  const key = testDeviceKey('secp256k1', 'batch')
  const other = testDeviceKey('secp256k1', 'batch other')
  const id = testDeviceId('batch')
  const revokedId = testDeviceId('batch revoked')
  const fwId = testDeviceId('batch firmware')
  const unknownId = testDeviceId('batch unknown')
  const goodFw = keccak256(utf8ToBytes('fw good'))
  const badFw = keccak256(utf8ToBytes('fw bad'))
  const { ingestor, store } = setup(
    [
      testDeviceRecord(id, [{ key, validFrom: T }]),
      testDeviceRecord(revokedId, [{ key, validFrom: T }], { revokedAt: T + 60n }),
      testDeviceRecord(fwId, [{ key, validFrom: T }], { firmwareRequired: true, firmwareHash: goodFw }),
    ],
    { isFirmwareApproved: async (_owner, fw) => bytesToHex(fw) === bytesToHex(goodFw) },
  )
  await ingestor.ingest(signReading(key, { deviceId: id, seq: 10, time: NOW, payload: 'first' }))
  const good = (seq: number) => signReading(key, { deviceId: id, seq, time: NOW, payload: { seq } })
  const tampered = { ...good(13), payload: { seq: 14 } }
  const batch: unknown[] = [
    good(11),
    signReading(key, { deviceId: revokedId, seq: 1, time: NOW, payload: 0 }), // REVOKED
    signReading(key, { deviceId: id, seq: 10, time: NOW, payload: 'again' }), // REPLAY (seq 10 accepted before)
    signReading(key, { deviceId: unknownId, seq: 1, time: NOW, payload: 0 }), // UNKNOWN_DEVICE
    signReading(other, { deviceId: id, seq: 12, time: NOW, payload: 0 }), // BAD_SIGNATURE (another key)
    tampered, // BAD_SIGNATURE (payload changed after signing)
    signReading(key, { deviceId: id, seq: 15, time: NOW + 61_000, payload: 0 }), // CLOCK_SKEW
    signReading(key, { deviceId: id, seq: 16, time: NOW, payload: 'x'.repeat(300) }), // PAYLOAD_TOO_LARGE
    'not an object', // MALFORMED
    { ...good(17), extra: 1 }, // MALFORMED: unknown field
    { ...good(18), deviceId: bytesToHex(id).toUpperCase().replace('0X', '0x') }, // MALFORMED: not lowercase
    { ...good(19), seq: -1 }, // MALFORMED
    signReading(key, { deviceId: fwId, seq: 1, time: NOW, payload: 0 }), // the registered firmware is approved
    signReading(key, { deviceId: fwId, seq: 2, time: NOW, payload: 0, firmware: bytesToHex(badFw) }), // FIRMWARE_NOT_APPROVED
    good(20),
    good(20), // REPLAY inside the batch
  ]
  const { results, accepted, rejected } = await ingestor.ingest(batch)
  assert.deepEqual(
    results.map((r) => r.reason ?? r.status),
    [
      'accepted',
      'REVOKED',
      'REPLAY',
      'UNKNOWN_DEVICE',
      'BAD_SIGNATURE',
      'BAD_SIGNATURE',
      'CLOCK_SKEW',
      'PAYLOAD_TOO_LARGE',
      'MALFORMED',
      'MALFORMED',
      'MALFORMED',
      'MALFORMED',
      'accepted',
      'FIRMWARE_NOT_APPROVED',
      'accepted',
      'REPLAY',
    ],
  )
  assert.equal(accepted, 3)
  assert.equal(rejected, 13)
  assert.deepEqual(results.map((r) => r.index), batch.map((_, i) => i))
  assert.equal(results[3]!.deviceId, bytesToHex(unknownId))
  assert.deepEqual(listReadings(store, id, { limit: 100 }).map((r) => r.seq), [10, 11, 20])
  assert.deepEqual(listReadings(store, id, { from: 11, to: 11, limit: 100 }).map((r) => r.seq), [11])
})

test('canonical JSON follows RFC 8785: sorted members, ES number form, minimal escapes', () => {
  assert.equal(canonicalJson({ b: [1e21, 1.5e-7, -0, 100], a: 'é\u0001"', '\u20ac': 1, '\ud83d\ude00': 2, '\ufb33': 3 }), '{"a":"é\\u0001\\"","b":[1e+21,1.5e-7,0,100],"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3}')
  assert.throws(() => canonicalJson({ a: NaN }))
  assert.throws(() => canonicalJson('\ud800'))
})

test('batch limits: an empty batch and one over 5,000 readings are refused whole', async () => {
  const { ingestor } = setup([])
  await assert.rejects(ingestor.ingest([]), (e) => isSteleError(e, 'INVALID_INPUT'))
  await assert.rejects(ingestor.ingest(new Array(MAX_READINGS_PER_CALL + 1).fill({})), (e) => isSteleError(e, 'OVERSIZED_DATA'))
})

test('durability: accepted readings are stored before ingest resolves and before anchoring; a reopened LMDB store keeps them and their seqs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-iot-'))
  try {
    const key = testDeviceKey('ed25519', 'durable')
    const id = testDeviceId('durable')
    const record = testDeviceRecord(id, [{ key, validFrom: T }])
    const store = openLmdbStore(join(dir, 'db'))
    let storedWhenAnchored = -1
    const { ingestor } = setup([record], { anchor: () => (storedWhenAnchored = listReadings(store, id, { limit: 10 }).length) }, store)
    const readings = [1, 2, 3].map((seq) => signReading(key, { deviceId: id, seq, time: NOW, payload: { seq } }))
    const pending = ingestor.ingest(readings)
    const { accepted } = await pending
    assert.equal(accepted, 3)
    assert.equal(storedWhenAnchored, 3)
    await store.close()

    const reopened = openLmdbStore(join(dir, 'db'))
    assert.deepEqual(listReadings(reopened, id, { limit: 10 }).map((r) => r.sig), readings.map((r) => r.sig))
    const again = setup([record], {}, reopened)
    const { results } = await again.ingestor.ingest([readings[2], signReading(key, { deviceId: id, seq: 4, time: NOW, payload: 4 })])
    assert.deepEqual(results.map((r) => r.reason ?? r.status), ['REPLAY', 'accepted'])
    await reopened.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('concurrent calls cannot both accept one seq; anchoring failures are retried', async () => {
  const key = testDeviceKey('p256', 'concurrent')
  const id = testDeviceId('concurrent')
  let fail = true
  const anchored: Uint8Array[] = []
  const errors: number[] = []
  const { ingestor } = setup([testDeviceRecord(id, [{ key, validFrom: T }])], {
    anchor: (hashes) => {
      if (fail) throw new Error('anchor pool full')
      anchored.push(...hashes)
    },
    onAnchorError: (_e, count) => errors.push(count),
  })
  const a = signReading(key, { deviceId: id, seq: 1, time: NOW, payload: 'a' })
  const b = signReading(key, { deviceId: id, seq: 1, time: NOW, payload: 'b' })
  const [ra, rb] = await Promise.all([ingestor.ingest(a), ingestor.ingest(b)])
  assert.deepEqual([ra.results[0]!.reason ?? 'accepted', rb.results[0]!.reason ?? 'accepted'].sort(), ['REPLAY', 'accepted'])
  assert.deepEqual(errors, [1])
  assert.equal(ingestor.pendingAnchors, 1)
  fail = false
  ingestor.retryAnchors()
  assert.equal(ingestor.pendingAnchors, 0)
  assert.equal(anchored.length, 1)
})

test('a registry failure rejects only that device\'s readings with REGISTRY_UNAVAILABLE', async () => {
  const key = testDeviceKey('secp256k1', 'flaky')
  const good = testDeviceId('flaky good')
  const bad = testDeviceId('flaky bad')
  const record = testDeviceRecord(good, [{ key, validFrom: T }])
  const { ingestor } = setup([], {
    readDevice: async (id) => {
      if (bytesToHex(id) === bytesToHex(bad)) throw new Error('eth_call failed')
      return record
    },
  })
  const { results } = await ingestor.ingest([
    signReading(key, { deviceId: bad, seq: 1, time: NOW, payload: 0 }),
    signReading(key, { deviceId: good, seq: 1, time: NOW, payload: 0 }),
  ])
  assert.deepEqual(results.map((r) => r.reason ?? r.status), ['REGISTRY_UNAVAILABLE', 'accepted'])
})
