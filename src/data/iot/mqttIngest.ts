import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt'
import type { Hex } from '../../primitives/bytes.js'
import { errorMessage } from '../../primitives/errors.js'
import { silentLogger, type Logger } from '../../primitives/logger.js'
import { MAX_READINGS_PER_CALL, type ReadingResult, type TelemetryIngestor } from './ingest.js'

/**
 * Telemetry over MQTT (docs/spec/telemetry.md): subscribes to a topic filter, ingests each message (one reading
 * or an array) with the same checks as HTTP, and publishes each reading's status on
 * `<statusTopicPrefix><deviceId>`. Messages that arrive together are ingested as one batch (one store write),
 * which is what makes per-reading messages fast.
 */
export interface MqttIngestOptions {
  /** mqtt://host:port (or mqtts://, ws://). */
  url: string
  ingestor: TelemetryIngestor
  /** Default 'stele/telemetry/#'. */
  topic?: string
  /** Default 'stele/telemetry-status/'. Statuses of readings without a usable deviceId go to `<prefix>unknown`. */
  statusTopicPrefix?: string
  qos?: 0 | 1
  clientOptions?: IClientOptions
  logger?: Logger
}

export interface MqttIngestService {
  readonly client: MqttClient
  /** Messages received and readings processed so far. */
  readonly stats: { messages: number; readings: number; accepted: number }
  stop(): Promise<void>
}

export const DEFAULT_TELEMETRY_TOPIC = 'stele/telemetry/#'
export const DEFAULT_STATUS_TOPIC_PREFIX = 'stele/telemetry-status/'

type Status = Omit<ReadingResult, 'index'> & { index?: number }

export async function startMqttIngest(options: MqttIngestOptions): Promise<MqttIngestService> {
  const log = (options.logger ?? silentLogger).child('mqtt')
  const topic = options.topic ?? DEFAULT_TELEMETRY_TOPIC
  const prefix = options.statusTopicPrefix ?? DEFAULT_STATUS_TOPIC_PREFIX
  const qos = options.qos ?? 1
  const client = await connectAsync(options.url, { clean: true, reconnectPeriod: 1_000, ...options.clientOptions })
  await client.subscribeAsync(topic, { qos })
  const stats = { messages: 0, readings: 0, accepted: 0 }

  // Readings waiting for the next batch, each with the index it had in its own message.
  let queue: { reading: unknown; index: number }[] = []
  let flushing: Promise<void> | undefined
  let stopped = false

  const publish = (status: Status) => {
    const deviceTopic = typeof status.deviceId === 'string' ? status.deviceId : 'unknown'
    client.publish(prefix + deviceTopic, JSON.stringify(status), { qos }, (error) => {
      if (error && !stopped) log.warn('cannot publish a telemetry status', { error: errorMessage(error) })
    })
  }

  const flush = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_READINGS_PER_CALL)
      queue = queue.slice(batch.length)
      try {
        const { results, accepted } = await options.ingestor.ingest(batch.map((b) => b.reading))
        stats.readings += batch.length
        stats.accepted += accepted
        for (const r of results) publish({ ...r, index: (batch[r.index] as { index: number }).index })
      } catch (error) {
        // Storage failure: every reading of the batch is answered, none accepted.
        log.error('telemetry batch failed', { error: errorMessage(error) })
        for (const b of batch) publish({ index: b.index, ...idsOf(b.reading), status: 'rejected', reason: 'INTERNAL', message: errorMessage(error) })
      }
    }
    flushing = undefined
  }

  client.on('message', (_topic, payload) => {
    stats.messages++
    let parsed: unknown
    try {
      parsed = JSON.parse(payload.toString('utf8'))
    } catch {
      publish({ status: 'rejected', reason: 'MALFORMED', message: 'the message is not JSON' })
      return
    }
    const readings = Array.isArray(parsed) ? parsed : [parsed]
    if (readings.length === 0 || readings.length > MAX_READINGS_PER_CALL) {
      publish({ status: 'rejected', reason: 'MALFORMED', message: `a message carries 1 to ${MAX_READINGS_PER_CALL} readings, this one ${readings.length}` })
      return
    }
    readings.forEach((reading, index) => queue.push({ reading, index }))
    // setImmediate lets every message already received join this batch.
    flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush)
  })
  client.on('error', (error) => log.warn('mqtt client error', { error: errorMessage(error) }))

  return {
    client,
    stats,
    async stop() {
      await flushing
      stopped = true
      await client.endAsync()
    },
  }
}

function idsOf(reading: unknown): { deviceId?: Hex; seq?: number } {
  if (typeof reading !== 'object' || reading === null) return {}
  const r = reading as Record<string, unknown>
  return {
    ...(typeof r.deviceId === 'string' && /^0x[0-9a-f]{64}$/.test(r.deviceId) ? { deviceId: r.deviceId as Hex } : {}),
    ...(Number.isSafeInteger(r.seq) ? { seq: r.seq as number } : {}),
  }
}
