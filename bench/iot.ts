import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createAnchorPool } from '../src/data/anchorPool.js'
import type { DeviceRecord, KeyType } from '../src/data/iot/deviceRegistryAbi.js'
import { prepareDeviceKey } from '../src/data/iot/deviceSignatures.js'
import { handleTelemetryRequest } from '../src/data/iot/httpRoutes.js'
import { createTelemetryIngestor } from '../src/data/iot/ingest.js'
import { readingMessage, type Reading } from '../src/data/iot/telemetryCodec.js'
import { verifyDeviceSignature } from '../src/data/iot/telemetrySignatures.js'
import { createSignatureVerifierPool } from '../src/data/iot/verifierPool.js'
import { signReading, testDeviceId, testDeviceKey, testDeviceRecord, type TestDeviceKey } from '../src/data/iot/testing/deviceFixtures.js'
import { bytesToHex } from '../src/primitives/bytes.js'
import { openLmdbStore } from '../src/state/kvStore.js'
import { progress, round } from './lib/stats.js'

export interface IotBenchOptions {
  /** Signatures per verification measurement (default 5,000). */
  verifications?: number
  devices?: number
  /** Readings per ingestion measurement (default 50,000 = 10 batches of 5,000). */
  readings?: number
}

const TYPES: KeyType[] = ['p256', 'ed25519', 'secp256k1']
const cpuMs = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start)
  return (u.user + u.system) / 1000
}

/**
 * `npm run bench -- iot`: device-signature verification per key type (native on the node, noble in the browser
 * verifier), and ingestion throughput of the telemetry ingestor with 1,000 devices into LMDB with a real anchor
 * pool, directly and over HTTP. Rates are given per wall second and per CPU second: the machine is shared, and
 * CPU time is what bounds a node.
 */
export async function runIotBench(options: IotBenchOptions = {}): Promise<object> {
  const n = options.verifications ?? 5_000
  const deviceCount = options.devices ?? 1_000
  const readingCount = options.readings ?? 50_000

  progress('iot: signature verification per key type')
  const verification: Record<string, unknown> = {}
  for (const keyType of TYPES) {
    const key = testDeviceKey(keyType, 'bench')
    const id = testDeviceId('bench')
    const messages = Array.from({ length: n }, (_, i) => readingMessage({ deviceId: bytesToHex(id), seq: i + 1, time: 1_760_000_000_000 + i, payload: { temp: 21.5, hum: 40 + (i % 10) } }))
    const signatures = messages.map((m) => key.sign(m))
    const prepared = prepareDeviceKey(keyType, key.publicKey)
    const wall0 = performance.now()
    const cpu0 = process.cpuUsage()
    let ok = 0
    for (let i = 0; i < n; i++) if (prepared.verify(messages[i] as Uint8Array, signatures[i] as Uint8Array)) ok++
    const nativeCpu = cpuMs(cpu0)
    const nativeWall = performance.now() - wall0
    if (ok !== n) throw new Error(`${keyType}: only ${ok} of ${n} signatures verified`)
    const nobleN = Math.min(n, 300)
    const nobleWall0 = performance.now()
    const nobleCpu0 = process.cpuUsage()
    for (let i = 0; i < nobleN; i++) if (!verifyDeviceSignature(keyType, key.publicKey, messages[i] as Uint8Array, signatures[i] as Uint8Array)) throw new Error('noble disagrees')
    verification[keyType] = {
      nativePerWallSecond: Math.round((n / nativeWall) * 1000),
      nativePerCpuSecond: Math.round((n / nativeCpu) * 1000),
      noblePerWallSecond: Math.round((nobleN / (performance.now() - nobleWall0)) * 1000),
      noblePerCpuSecond: Math.round((nobleN / cpuMs(nobleCpu0)) * 1000),
    }
    progress(`iot:   ${keyType} ${JSON.stringify(verification[keyType])}`)
  }

  const ingestion: Record<string, unknown> = {}
  for (const mix of ['p256', 'mixed'] as const) {
    progress(`iot: ingestion, ${deviceCount} devices, ${readingCount} readings (${mix}), signing`)
    const { records, batches } = makeLoad(mix, deviceCount, readingCount)
    ingestion[mix] = {
      direct: await measureIngest(records, batches, false, 0),
      http: await measureIngest(records, batches, true, 0),
      directWorkers2: await measureIngest(records, batches, false, 2),
      httpWorkers2: await measureIngest(records, batches, true, 2),
    }
    progress(`iot:   ${mix} ${JSON.stringify(ingestion[mix])}`)
  }
  return {
    machine: { cpus: (await import('node:os')).cpus().length, loadAverage1m: round((await import('node:os')).loadavg()[0], 2) },
    verification,
    ingestion,
    goal: { readingsPerSecond: 10_000, p256ReadingsPerSecond: 15_000 },
  }
}

function makeLoad(mix: 'p256' | 'mixed', deviceCount: number, readingCount: number): { records: DeviceRecord[]; batches: Reading[][] } {
  const devices: { id: Uint8Array; key: TestDeviceKey }[] = Array.from({ length: deviceCount }, (_, i) => ({
    id: testDeviceId(`bench ${i}`),
    key: testDeviceKey(mix === 'p256' ? 'p256' : (TYPES[i % 3] as KeyType), `bench ${i}`),
  }))
  const records = devices.map((d) => testDeviceRecord(d.id, [{ key: d.key, validFrom: 1_700_000_000n }]))
  const seqs = new Array<number>(deviceCount).fill(0)
  const batches: Reading[][] = []
  let batch: Reading[] = []
  const now = Date.now()
  for (let i = 0; i < readingCount; i++) {
    const d = i % deviceCount
    const device = devices[d] as (typeof devices)[number]
    seqs[d] = (seqs[d] as number) + 1
    batch.push(signReading(device.key, { deviceId: device.id, seq: seqs[d] as number, time: now, payload: { temp: 20 + (i % 50) / 10, hum: 40 + (i % 7), bat: 3.7 } }))
    if (batch.length === 5_000) {
      batches.push(batch)
      batch = []
    }
  }
  if (batch.length > 0) batches.push(batch)
  return { records, batches }
}

/** threads 0: signatures verified on the event loop's thread; otherwise on that many worker threads. */
async function measureIngest(records: DeviceRecord[], batches: Reading[][], overHttp: boolean, threads: number): Promise<Record<string, number | undefined>> {
  const verifier = threads > 0 ? createSignatureVerifierPool({ threads }) : undefined
  const dir = mkdtempSync(join(tmpdir(), 'stele-iot-bench-'))
  const store = openLmdbStore(join(dir, 'db'))
  const byId = new Map(records.map((r) => [bytesToHex(r.deviceId), r]))
  const pool = createAnchorPool({ lookup: () => undefined })
  const ingestor = createTelemetryIngestor({
    store,
    readDevice: async (id) => byId.get(bytesToHex(id)),
    anchor: (hashes) => pool.submit(hashes),
    maxSkewMs: 3_600_000,
    ...(verifier ? { verifier } : {}),
  })
  const server = overHttp ? createServer((req, res) => void handleTelemetryRequest(req, res, { ingestor, store, proofReader: undefined as never })) : undefined
  if (server) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = server ? `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/telemetry` : ''
  const bodies = overHttp ? batches.map((b) => JSON.stringify(b)) : []
  try {
    let accepted = 0
    const wall0 = performance.now()
    const cpu0 = process.cpuUsage()
    for (const [i, batch] of batches.entries()) {
      if (server) {
        const response = await fetch(url, { method: 'POST', body: bodies[i] as string })
        accepted += ((await response.json()) as { accepted: number }).accepted
      } else {
        accepted += (await ingestor.ingest(batch)).accepted
      }
    }
    const wall = performance.now() - wall0
    const cpu = cpuMs(cpu0)
    const total = batches.reduce((s, b) => s + b.length, 0)
    if (accepted !== total) throw new Error(`only ${accepted} of ${total} readings accepted`)
    if (pool.pendingCount !== total) throw new Error(`anchor pool holds ${pool.pendingCount}, expected ${total}`)
    return {
      readings: total,
      acceptedPerWallSecond: Math.round((total / wall) * 1000),
      // process.cpuUsage counts every thread of the process, workers included.
      acceptedPerCpuSecond: Math.round((total / cpu) * 1000),
      cpuMicrosPerReading: round((cpu * 1000) / total, 1),
      msPerBatchOf5000: round(wall / batches.length, 1),
    }
  } finally {
    if (server) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
    await store.close()
    await verifier?.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

// `node --import ./scripts/preload.mjs bench/iot.ts` runs it alone.
if (process.argv[1]?.endsWith('bench/iot.ts')) {
  runIotBench({ verifications: Number(process.env.IOT_VERIFICATIONS ?? 5000), readings: Number(process.env.IOT_READINGS ?? 50000) }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e)
      process.exitCode = 1
    },
  )
}
