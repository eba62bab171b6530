import { test } from 'node:test'
import assert from 'node:assert/strict'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak256 } from '../../crypto/keccak.js'
import { bytesToHex, hexToBytes } from '../../primitives/bytes.js'
import { createMemoryStore } from '../../state/kvStore.js'
import { prepareDeviceKey } from './deviceSignatures.js'
import { createTelemetryIngestor } from './ingest.js'
import { readingMessage } from './telemetryCodec.js'
import { signReading, testDeviceId, testDeviceKey, testDeviceRecord } from './testing/deviceFixtures.js'
import { createSignatureVerifierPool, type SignatureCheck } from './verifierPool.js'

test('the worker pool gives the same answers as in-thread verification, for good and bad signatures of each type', async () => {
  const pool = createSignatureVerifierPool({ threads: 2 })
  try {
    const checks: SignatureCheck[] = []
    for (const keyType of ['p256', 'ed25519', 'secp256k1'] as const) {
      const key = testDeviceKey(keyType, 'pool')
      const other = testDeviceKey(keyType, 'pool other')
      for (let i = 0; i < 20; i++) {
        const message = readingMessage({ deviceId: bytesToHex(testDeviceId('pool')), seq: i, time: i, payload: { i } })
        const signature = key.sign(message)
        checks.push({ keyType, publicKey: key.publicKey, message, signature })
        checks.push({ keyType, publicKey: other.publicKey, message, signature })
        const flipped = signature.slice()
        flipped[10] = (flipped[10] as number) ^ 1
        checks.push({ keyType, publicKey: key.publicKey, message, signature: flipped })
        checks.push({ keyType, publicKey: key.publicKey, message, signature: signature.subarray(0, 63) })
        if (keyType === 'secp256k1') {
          // The high-s twin of a valid signature: libsecp256k1 refuses it, on both paths.
          const sig = secp256k1.Signature.fromBytes(signature, 'compact')
          checks.push({ keyType, publicKey: key.publicKey, message, signature: new secp256k1.Signature(sig.r, secp256k1.Point.CURVE().n - sig.s).toBytes('compact') })
        }
      }
    }
    // An invalid point: no signature verifies.
    checks.push({ keyType: 'p256', publicKey: hexToBytes('0x02' + 'ff'.repeat(32)), message: new Uint8Array(3), signature: new Uint8Array(64) })
    const pooled = await pool.verifyMany(checks)
    const inThread = checks.map((c) => {
      try {
        return prepareDeviceKey(c.keyType, c.publicKey).verify(c.message, c.signature)
      } catch {
        return false
      }
    })
    assert.deepEqual(pooled, inThread)
    assert.equal(pooled.filter(Boolean).length, 60)
  } finally {
    await pool.close()
  }
})

test('ingestion with the worker pool: same statuses as in-thread', async () => {
  const pool = createSignatureVerifierPool({ threads: 1 })
  try {
    const now = 1_760_000_000_000
    const key = testDeviceKey('ed25519', 'pool ingest')
    const wrong = testDeviceKey('ed25519', 'pool ingest wrong')
    const id = testDeviceId('pool ingest')
    const record = testDeviceRecord(id, [{ key, validFrom: 1_700_000_000n }])
    const batch = [
      signReading(key, { deviceId: id, seq: 1, time: now, payload: 1 }),
      signReading(wrong, { deviceId: id, seq: 2, time: now, payload: 2 }),
      signReading(key, { deviceId: id, seq: 3, time: now, payload: 3 }),
      signReading(key, { deviceId: id, seq: 3, time: now, payload: 3 }),
    ]
    const run = async (withPool: boolean) => {
      const ingestor = createTelemetryIngestor({
        store: createMemoryStore(),
        readDevice: async () => record,
        anchor: () => undefined,
        clock: { now: () => now },
        ...(withPool ? { verifier: pool } : {}),
      })
      return (await ingestor.ingest(batch)).results.map((r) => [r.reason ?? r.status, r.hash])
    }
    const pooled = await run(true)
    assert.deepEqual(pooled, await run(false))
    assert.deepEqual(pooled.map((r) => r[0]), ['accepted', 'BAD_SIGNATURE', 'accepted', 'REPLAY'])
    assert.equal(pooled[0]![1], bytesToHex(keccak256(new Uint8Array([...readingMessage(batch[0]!), ...hexToBytes(batch[0]!.sig)]))))
  } finally {
    await pool.close()
  }
})
