import { test } from 'node:test'
import assert from 'node:assert/strict'
import { keccak256 } from '../../crypto/keccak.js'
import { bytesToHex, hexToBytes } from '../../primitives/bytes.js'
import { WriteBatch } from '../../state/kvStore.js'
import { nativeVerifierCrypto } from '../nativeVerifierCrypto.js'
import { buildTelemetryProof } from './buildTelemetryProof.js'
import { readingHash, readingMessage } from './telemetryCodec.js'
import { putReading } from './telemetryStore.js'
import { signReading } from './testing/deviceFixtures.js'
import { blockTime, buildTelemetryScenario, type TelemetryScenario } from './testing/telemetryScenario.js'
import { verifyTelemetryProof, type TelemetryProofBundle } from './verifyTelemetryProof.js'

const scenario: Promise<TelemetryScenario> = buildTelemetryScenario()
const clone = (b: TelemetryProofBundle): TelemetryProofBundle => JSON.parse(JSON.stringify(b)) as TelemetryProofBundle

/** Stores and anchors a reading the ingestor would have refused, to prove the verifier refuses it too. */
async function forge(s: TelemetryScenario, keyIndex: 0 | 1, seq: number, time: number): Promise<TelemetryProofBundle> {
  const reading = signReading(s.keys[keyIndex], { deviceId: s.deviceId, seq, time, payload: { forged: true } })
  const hash = readingHash(readingMessage(reading), hexToBytes(reading.sig), keccak256)
  const batch = new WriteBatch()
  putReading(batch, s.deviceId, { ...reading, hash: bytesToHex(hash), keyIndex, receivedAt: time }, hash)
  s.store.write(batch)
  await s.anchorBlock([hash])
  return buildTelemetryProof(s.chain.reader, s.store, s.deviceId, seq)
}

test('a real bundle verifies: device, owner as of the anchor, the key valid at the time, the anchoring block', async () => {
  const s = await scenario
  const a = await buildTelemetryProof(s.chain.reader, s.store, s.deviceId, s.seqA)
  assert.equal(a.keyIndex, 0)
  assert.ok(a.keyEnd, 'key 0 was rotated out, so the bundle proves when')
  assert.ok(a.revocation)
  assert.equal(a.transfers.length, 0, 'the transfer came after reading A was anchored')
  const ra = verifyTelemetryProof(JSON.stringify(a), s.chain.genesis)
  assert.ok(ra.valid, ra.valid ? '' : `${ra.failedStep}: ${ra.reason}`)
  assert.equal(ra.claims.device, bytesToHex(s.deviceId))
  assert.equal(ra.claims.owner, bytesToHex(s.org))
  assert.deepEqual([ra.claims.key.index, ra.claims.key.keyType, ra.claims.key.validFrom, ra.claims.key.validUntil], [0, 'p256', blockTime(1n), blockTime(4n)])
  assert.equal(ra.claims.key.publicKey, bytesToHex(s.keys[0].publicKey))
  assert.equal(ra.claims.revokedAt, blockTime(7n))
  assert.equal(ra.claims.blockNumber, 3n)
  assert.equal(ra.claims.blockHash, bytesToHex(s.chain.blocks[3]!.hash))
  assert.equal(ra.claims.time, a.reading.time)

  const b = await buildTelemetryProof(s.chain.reader, s.store, s.deviceId, s.seqB)
  const rb = verifyTelemetryProof(b, s.chain.genesis, { crypto: nativeVerifierCrypto })
  assert.ok(rb.valid, rb.valid ? '' : `${rb.failedStep}: ${rb.reason}`)
  assert.equal(rb.claims.owner, bytesToHex(s.bob))
  assert.deepEqual([rb.claims.key.index, rb.claims.key.keyType, rb.claims.key.validUntil], [1, 'ed25519', undefined])
  assert.equal(rb.claims.blockNumber, 6n)
})

test('tampered bundles are refused, naming the step', async () => {
  const s = await scenario
  const a = await buildTelemetryProof(s.chain.reader, s.store, s.deviceId, s.seqA)
  const b = await buildTelemetryProof(s.chain.reader, s.store, s.deviceId, s.seqB)
  const expectFailure = (bundle: unknown, step: string, genesis: unknown = s.chain.genesis) => {
    const r = verifyTelemetryProof(bundle, genesis)
    assert.equal(r.valid, false, `expected ${step} to fail`)
    if (!r.valid) assert.equal(r.failedStep, step, r.reason)
  }

  let t = clone(a)
  ;(t.reading.payload as { temp: number }).temp = 99
  expectFailure(t, 'signature')

  t = clone(a)
  t.reading.seq = 5
  expectFailure(t, 'signature')

  t = clone(a)
  t.anchor.anchor.hash = bytesToHex(keccak256(hexToBytes(t.anchor.anchor.hash)))
  expectFailure(t, 'anchor')

  // The anchor proof of another reading.
  t = clone(a)
  t.anchor = clone(b).anchor
  expectFailure(t, 'anchor')

  // A receipt byte flipped: the receipt is no longer the one in the sealed block.
  t = clone(b)
  const receipt = hexToBytes(t.key.proof.transaction.receipt)
  receipt[receipt.length - 1] = (receipt[receipt.length - 1] as number) ^ 1
  t.key.proof.transaction.receipt = bytesToHex(receipt)
  expectFailure(t, 'keyRecord')

  // Claiming the registration key for reading B (signed by key 1).
  t = clone(b)
  t.keyIndex = 0
  t.key = t.registration
  expectFailure(t, 'signature')

  t = clone(a)
  t.registration = clone(b).transfers[0]!
  expectFailure(t, 'registration')

  t = clone(b)
  t.transfers = [t.transfers[0]!, t.transfers[0]!]
  expectFailure(t, 'owner')

  // A transfer later than the anchoring block cannot speak for the owner at that time.
  t = clone(a)
  t.transfers = clone(b).transfers
  expectFailure(t, 'owner')

  expectFailure(a, 'registration', { ...s.chain.genesis, chainId: 1 })
  expectFailure(a, 'registration', { ...s.chain.genesis, validators: [bytesToHex(new Uint8Array(20).fill(7))] })
  expectFailure({ ...a, extra: 1 }, 'format')
  expectFailure('not json', 'format')
})

test('readings signed with a rotated-out key after the rotation, or after the revocation, do not verify', async () => {
  const s = await scenario
  const afterRotation = await forge(s, 0, 100, Number(blockTime(4n)) * 1000 + 1)
  const r1 = verifyTelemetryProof(afterRotation, s.chain.genesis)
  assert.equal(r1.valid, false)
  if (!r1.valid) assert.equal(r1.failedStep, 'keyValidity')

  const afterRevocation = await forge(s, 1, 101, Number(blockTime(7n)) * 1000)
  const r2 = verifyTelemetryProof(afterRevocation, s.chain.genesis)
  assert.equal(r2.valid, false)
  if (!r2.valid) assert.equal(r2.failedStep, 'revocation')

  const beforeRegistration = await forge(s, 0, 102, Number(blockTime(1n)) * 1000 - 1)
  const r3 = verifyTelemetryProof(beforeRegistration, s.chain.genesis)
  assert.equal(r3.valid, false)
  if (!r3.valid) assert.equal(r3.failedStep, 'keyValidity')
})

test('the ingestor against the contract state: revoked device and rotated keys as the chain says', async () => {
  const s = await scenario
  s.clock.now = Number(blockTime(7n)) * 1000 + 10
  const { results } = await s.ingestor.ingest([signReading(s.keys[1], { deviceId: s.deviceId, seq: 50, time: s.clock.now, payload: 1 })])
  assert.equal(results[0]!.reason, 'REVOKED')
})
