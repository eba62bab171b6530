import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bytesToHex } from '../../primitives/bytes.js'
import { handleTelemetryRequest, type TelemetryHttpDeps } from './httpRoutes.js'
import { createTelemetryIngestor } from './ingest.js'
import { signReading, testDeviceId, testDeviceKey, testDeviceRecord } from './testing/deviceFixtures.js'
import { blockTime, buildTelemetryScenario } from './testing/telemetryScenario.js'
import { verifyTelemetryProof } from './verifyTelemetryProof.js'

async function serve(deps: TelemetryHttpDeps): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    handleTelemetryRequest(req, res, deps).then((handled) => {
      if (!handled) {
        res.writeHead(418)
        res.end('not telemetry')
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

test('HTTP: post a batch, list by seq with paging, fetch a proof that verifies; errors have codes', async () => {
  const s = await buildTelemetryScenario()
  const key = testDeviceKey('p256', 'http')
  const id = testDeviceId('http')
  const now = Number(blockTime(8n)) * 1000
  const ingestor = createTelemetryIngestor({
    store: s.store,
    readDevice: async (d) => (bytesToHex(d) === bytesToHex(id) ? testDeviceRecord(id, [{ key, validFrom: blockTime(1n) }]) : s.reader.readDevice(d)),
    anchor: () => undefined,
    clock: { now: () => now },
  })
  const { server, base } = await serve({ ingestor, store: s.store, proofReader: s.chain.reader, maxBodyBytes: 64 * 1024 })
  try {
    const readings = Array.from({ length: 5 }, (_, i) => signReading(key, { deviceId: id, seq: i + 1, time: now, payload: { i } }))
    let res = await fetch(`${base}/v1/telemetry`, { method: 'POST', body: JSON.stringify([...readings, { ...readings[0], seq: 9 }]) })
    assert.equal(res.status, 200)
    const posted = (await res.json()) as { results: { status: string; reason?: string }[]; accepted: number }
    assert.equal(posted.accepted, 5)
    assert.deepEqual(posted.results.map((r) => r.reason ?? r.status), ['accepted', 'accepted', 'accepted', 'accepted', 'accepted', 'BAD_SIGNATURE'])

    // One reading (not an array) is a batch of one.
    res = await fetch(`${base}/v1/telemetry/`, { method: 'POST', body: JSON.stringify(signReading(key, { deviceId: id, seq: 6, time: now, payload: 6 })) })
    assert.equal(((await res.json()) as { accepted: number }).accepted, 1)

    res = await fetch(`${base}/v1/telemetry/${bytesToHex(id)}?from=2&limit=2`)
    let page = (await res.json()) as { readings: { seq: number; sig: string }[]; next?: number }
    assert.deepEqual(page.readings.map((r) => r.seq), [2, 3])
    assert.equal(page.readings[0]!.sig, readings[1]!.sig)
    assert.equal(page.next, 4)
    res = await fetch(`${base}/v1/telemetry/${bytesToHex(id)}?from=4&to=5`)
    page = (await res.json()) as typeof page
    assert.deepEqual(page.readings.map((r) => r.seq), [4, 5])
    assert.equal(page.next, undefined)

    res = await fetch(`${base}/v1/telemetry/${bytesToHex(s.deviceId)}/${s.seqA}/proof`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('access-control-allow-origin'), '*')
    const verified = verifyTelemetryProof(await res.text(), s.chain.genesis)
    assert.ok(verified.valid, verified.valid ? '' : verified.reason)
    assert.equal(verified.claims.blockNumber, 3n)

    const errors: [string, RequestInit | undefined, number, string][] = [
      [`/v1/telemetry/${bytesToHex(id)}/1/proof`, undefined, 409, 'NOT_ANCHORED'],
      [`/v1/telemetry/${bytesToHex(id)}/77/proof`, undefined, 404, 'NOT_FOUND'],
      ['/v1/telemetry/0x1234', undefined, 400, 'INVALID_INPUT'],
      [`/v1/telemetry/${bytesToHex(id)}?limit=abc`, undefined, 400, 'INVALID_INPUT'],
      ['/v1/telemetry', { method: 'POST', body: '{"deviceId": ' }, 400, 'MALFORMED'],
      ['/v1/telemetry', { method: 'POST', body: '[]' }, 400, 'INVALID_INPUT'],
      ['/v1/telemetry', { method: 'POST', body: JSON.stringify(new Array(5001).fill(0)) }, 413, 'OVERSIZED_DATA'],
      ['/v1/telemetry', { method: 'POST', body: 'x'.repeat(70 * 1024) }, 413, 'OVERSIZED_DATA'],
      ['/v1/telemetry', undefined, 405, 'METHOD_NOT_ALLOWED'],
    ]
    for (const [path, init, status, code] of errors) {
      const r = await fetch(base + path, init)
      assert.equal(r.status, status, path)
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, code, path)
    }
    assert.equal((await fetch(`${base}/v1/telemetryx`)).status, 418)
    assert.equal((await fetch(`${base}/`)).status, 418)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})
