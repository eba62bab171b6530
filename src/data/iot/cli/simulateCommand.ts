import { connectAsync, type MqttClient } from 'mqtt'
import { hexToFixedBytes, utf8ToBytes, type Hex } from '../../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../../primitives/errors.js'
import { keccak256 } from '../../../crypto/keccak.js'
import { parseKeyType, DEVICE_REGISTRY_ADDRESS, type KeyType } from '../deviceRegistryAbi.js'
import type { IngestResult } from '../ingest.js'
import type { Reading } from '../telemetryCodec.js'
import { encodeRegisterDeviceCall } from '../registry/deviceRegistry.js'
import { deviceKeyFromSeed, signReading, type TestDeviceKey } from '../testing/deviceFixtures.js'
import { createRpcClient, createTxSender } from './rpcClient.js'

/**
 * `stele iot simulate --devices N --rate R --duration S [--mqtt URL]`: creates N devices, each with its own key
 * (derived from --seed, so a rerun reuses them), registers them with transactions signed by `privateKey`, then
 * sends signed readings at R readings per second in total, for S seconds, as HTTP batches to
 * POST /v1/telemetry or as MQTT messages on stele/telemetry/<deviceId>.
 */
export interface SimulateOptions {
  rpcUrl: string
  privateKey: string
  devices: number
  /** Readings per second, all devices together. */
  rate: number
  durationS: number
  /** Default: the RPC URL's origin + /v1/telemetry. */
  telemetryUrl?: string
  mqttUrl?: string
  /** p256, ed25519, secp256k1 or mixed (default p256). */
  keyType?: string
  seed?: string
  log?: (line: string) => void
}

export interface SimulateResult {
  devices: number
  registered: number
  sent: number
  accepted: number
  rejected: Record<string, number>
  seconds: number
  acceptedPerSecond: number
}

const TICK_MS = 100

export async function iotSimulate(o: SimulateOptions): Promise<SimulateResult> {
  if (!(o.devices >= 1 && o.rate > 0 && o.durationS > 0)) throw new SteleError(ErrorCode.InvalidInput, '--devices, --rate and --duration must be positive')
  const log = o.log ?? (() => undefined)
  const types: KeyType[] = o.keyType === 'mixed' ? ['p256', 'ed25519', 'secp256k1'] : [parseKeyType(o.keyType ?? 'p256')]
  const seed = o.seed ?? 'stele simulate'
  const devices = Array.from({ length: o.devices }, (_, i) => {
    const keyType = types[i % types.length] as KeyType
    return { id: keccak256(utf8ToBytes(`${seed} device ${i}`)), key: deviceKeyFromSeed(keyType, utf8ToBytes(`${seed} key ${i}`)) as TestDeviceKey, seq: Date.now() }
  })

  const rpc = createRpcClient(o.rpcUrl)
  const registered = await registerAll(o, rpc, devices, log)

  const telemetryUrl = o.telemetryUrl ?? `${new URL(o.rpcUrl).origin}/v1/telemetry`
  let mqtt: MqttClient | undefined
  if (o.mqttUrl) mqtt = await connectAsync(o.mqttUrl, { reconnectPeriod: 0 })
  const rejected: Record<string, number> = {}
  let sent = 0
  let accepted = 0
  let next = 0
  const started = Date.now()
  // Batches go out one after another: a device's later seqs must not overtake its earlier ones (REPLAY).
  let chain: Promise<void> = Promise.resolve()
  try {
    for (let tick = 0; Date.now() - started < o.durationS * 1000; tick++) {
      // Readings due by now: rate × elapsed, minus what was sent, so slow ticks catch up.
      const due = Math.floor((o.rate * (Date.now() - started)) / 1000) - sent
      const batch: Reading[] = []
      for (let i = 0; i < Math.min(due, 5_000); i++) {
        const d = devices[next++ % devices.length] as (typeof devices)[number]
        d.seq++
        batch.push(signReading(d.key, { deviceId: d.id, seq: d.seq, time: Date.now(), payload: { t: 20 + (d.seq % 10) / 10, n: d.seq } }))
      }
      sent += batch.length
      if (batch.length > 0) {
        chain = chain.then(async () => {
          const r = await (mqtt ? publishMqtt(mqtt, batch) : postHttp(telemetryUrl, batch))
          if (!r) return
          accepted += r.accepted
          for (const x of r.results) if (x.reason) rejected[x.reason] = (rejected[x.reason] ?? 0) + 1
        })
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (tick + 1) * TICK_MS - Date.now())))
    }
    await chain
  } finally {
    await mqtt?.endAsync()
  }
  const seconds = (Date.now() - started) / 1000
  const result = { devices: devices.length, registered, sent, accepted: mqtt ? sent : accepted, rejected, seconds, acceptedPerSecond: Math.round((mqtt ? sent : accepted) / seconds) }
  log(`sent ${sent} readings in ${seconds.toFixed(1)} s${mqtt ? ' over MQTT (statuses are published on stele/telemetry-status/#)' : `, ${accepted} accepted`}`)
  return result
}

async function registerAll(o: SimulateOptions, rpc: ReturnType<typeof createRpcClient>, devices: { id: Uint8Array; key: TestDeviceKey }[], log: (l: string) => void): Promise<number> {
  const sender = await createTxSender(rpc, hexToFixedBytes(o.privateKey, 32, '--private-key'))
  const hashes: Hex[] = []
  for (const d of devices) {
    hashes.push(await sender.send(DEVICE_REGISTRY_ADDRESS, encodeRegisterDeviceCall({ deviceId: d.id, keyType: d.key.keyType, publicKey: d.key.publicKey, metadata: '{"simulated":true}' })))
  }
  let ok = 0
  for (const hash of hashes) if ((await sender.waitForReceipt(hash)).status === 1) ok++
  log(`registered ${ok} of ${devices.length} devices (${devices.length - ok} were registered before)`)
  return ok
}

async function postHttp(url: string, batch: unknown[]): Promise<IngestResult | undefined> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) })
  if (!response.ok) throw new SteleError(ErrorCode.Network, `POST ${url} answered ${response.status}: ${await response.text()}`)
  return (await response.json()) as IngestResult
}

async function publishMqtt(client: MqttClient, batch: { deviceId: Hex }[]): Promise<undefined> {
  await Promise.all(batch.map((r) => client.publishAsync(`stele/telemetry/${r.deviceId}`, JSON.stringify(r), { qos: 0 })))
  return undefined
}

