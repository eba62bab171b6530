import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connectAsync } from 'mqtt'
import { bytesToHex } from '../../primitives/bytes.js'
import { createMemoryStore } from '../../state/kvStore.js'
import { createTelemetryIngestor } from './ingest.js'
import { startMqttIngest } from './mqttIngest.js'
import { listReadings } from './telemetryStore.js'
import { signReading, testDeviceId, testDeviceKey, testDeviceRecord } from './testing/deviceFixtures.js'
import { findMosquitto, startMosquitto } from './testing/mosquitto.js'

const mosquitto = findMosquitto()
const skip = mosquitto === undefined ? 'the mosquitto binary is not installed (apt-get install mosquitto); skipping the MQTT test' : false
if (skip) console.log(`# ${skip}`)

test('MQTT: readings published to stele/telemetry/# are ingested and each gets a status on stele/telemetry-status/<deviceId>', { skip }, async () => {
  const broker = await startMosquitto(mosquitto as string)
  const key = testDeviceKey('ed25519', 'mqtt')
  const id = testDeviceId('mqtt')
  const now = 1_760_000_000_000
  const store = createMemoryStore()
  const anchored: Uint8Array[] = []
  const ingestor = createTelemetryIngestor({
    store,
    readDevice: async (d) => (bytesToHex(d) === bytesToHex(id) ? testDeviceRecord(id, [{ key, validFrom: 1_700_000_000n }]) : undefined),
    anchor: (h) => anchored.push(...h),
    clock: { now: () => now },
  })
  const service = await startMqttIngest({ url: broker.url, ingestor })
  const device = await connectAsync(broker.url, { reconnectPeriod: 0 })
  try {
    const statuses: { topic: string; body: { deviceId?: string; seq?: number; status: string; reason?: string; index?: number } }[] = []
    device.on('message', (topic, payload) => statuses.push({ topic, body: JSON.parse(payload.toString()) }))
    await device.subscribeAsync('stele/telemetry-status/#', { qos: 1 })
    const r = (seq: number) => signReading(key, { deviceId: id, seq, time: now, payload: { seq } })
    await device.publishAsync(`stele/telemetry/${bytesToHex(id)}`, JSON.stringify(r(1)), { qos: 1 })
    await device.publishAsync(`stele/telemetry/${bytesToHex(id)}`, JSON.stringify([r(2), r(3), { ...r(4), sig: r(5).sig }, r(3)]), { qos: 1 })
    await device.publishAsync('stele/telemetry/garbage', '{not json', { qos: 1 })
    const unknown = signReading(key, { deviceId: testDeviceId('mqtt unknown'), seq: 1, time: now, payload: 0 })
    await device.publishAsync('stele/telemetry/x', JSON.stringify(unknown), { qos: 1 })

    const deadline = Date.now() + 15_000
    while (statuses.length < 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(statuses.length, 7, JSON.stringify(statuses))
    const mine = statuses.filter((s) => s.topic === `stele/telemetry-status/${bytesToHex(id)}`).map((s) => [s.body.seq, s.body.reason ?? s.body.status])
    assert.deepEqual(mine, [
      [1, 'accepted'],
      [2, 'accepted'],
      [3, 'accepted'],
      [4, 'BAD_SIGNATURE'],
      [3, 'REPLAY'],
    ])
    assert.deepEqual(statuses.find((s) => s.topic === 'stele/telemetry-status/unknown')?.body.reason, 'MALFORMED')
    assert.equal(statuses.find((s) => s.topic === `stele/telemetry-status/${unknown.deviceId}`)?.body.reason, 'UNKNOWN_DEVICE')
    assert.deepEqual(listReadings(store, id, { limit: 10 }).map((x) => x.seq), [1, 2, 3])
    assert.equal(anchored.length, 3)
    assert.equal(service.stats.accepted, 3)
  } finally {
    await device.endAsync()
    await service.stop()
    await broker.stop()
  }
})
