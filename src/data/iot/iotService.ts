import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Log } from '../../chain/types.js'
import { errorMessage } from '../../primitives/errors.js'
import { silentLogger, type Logger } from '../../primitives/logger.js'
import type { KvStore } from '../../state/kvStore.js'
import type { ProofChainReader } from '../proofs.js'
import { createDeviceReader, type DeviceReader } from './deviceReader.js'
import { handleTelemetryRequest } from './httpRoutes.js'
import { createTelemetryIngestor, type TelemetryIngestor } from './ingest.js'
import { startMqttIngest, type MqttIngestService } from './mqttIngest.js'
import { createSignatureVerifierPool, type SignatureVerifierPool } from './verifierPool.js'

/**
 * IoT telemetry assembled for the node: the device reader over eth_call, the ingestor, the HTTP handler,
 * optional MQTT and worker-thread verification. The composition root gives it the node's store, eth_call,
 * anchor pool and proof reader, mounts handleHttp on the RPC port, and calls onBlockCommitted per block.
 */
export interface IotServiceOptions {
  store: KvStore
  /** eth_call at the head: e.g. (to, data) => backend.call({ to, data }, head).then((r) => r.returnData). */
  call(to: Uint8Array, data: Uint8Array): Promise<Uint8Array>
  /** Queues reading hashes for the next block: e.g. anchorPool.submit (then wake the block producer). */
  anchor(hashes: Uint8Array[]): unknown
  proofReader: ProofChainReader
  /** Worker threads verifying signatures; 0 (default) verifies on the event loop's thread. */
  verifierThreads?: number
  maxSkewMs?: number
  maxPayloadBytes?: number
  /** Subscribe to a broker as well. */
  mqtt?: { url: string; topic?: string; statusTopicPrefix?: string }
  logger?: Logger
}

export interface IotService {
  readonly ingestor: TelemetryIngestor
  readonly reader: DeviceReader
  /** For the RPC server's HTTP listener: true when the request was under /v1/telemetry and answered. */
  handleHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean>
  /** After each committed block: refreshes cached device records its registry events change, retries anchoring. */
  onBlockCommitted(receipts: readonly { logs: readonly Log[] }[]): void
  stop(): Promise<void>
}

export async function startIotService(options: IotServiceOptions): Promise<IotService> {
  const log = (options.logger ?? silentLogger).child('iot')
  const reader = createDeviceReader({ call: options.call })
  const verifier: SignatureVerifierPool | undefined = options.verifierThreads ? createSignatureVerifierPool({ threads: options.verifierThreads }) : undefined
  const ingestor = createTelemetryIngestor({
    store: options.store,
    readDevice: (id) => reader.readDevice(id),
    isFirmwareApproved: (owner, firmware) => reader.isFirmwareApproved(owner, firmware),
    anchor: options.anchor,
    ...(options.maxSkewMs === undefined ? {} : { maxSkewMs: options.maxSkewMs }),
    ...(options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes }),
    ...(verifier ? { verifier } : {}),
    onAnchorError: (error, count) => log.warn('anchoring telemetry failed; will retry', { error: errorMessage(error), pending: count }),
  })
  let mqtt: MqttIngestService | undefined
  if (options.mqtt) {
    mqtt = await startMqttIngest({
      url: options.mqtt.url,
      ingestor,
      ...(options.mqtt.topic === undefined ? {} : { topic: options.mqtt.topic }),
      ...(options.mqtt.statusTopicPrefix === undefined ? {} : { statusTopicPrefix: options.mqtt.statusTopicPrefix }),
      logger: log,
    })
    log.info('mqtt telemetry subscribed', { url: options.mqtt.url })
  }
  const deps = { ingestor, store: options.store, proofReader: options.proofReader }
  return {
    ingestor,
    reader,
    handleHttp: (req, res) => handleTelemetryRequest(req, res, deps),
    onBlockCommitted(receipts) {
      reader.onBlockCommitted(receipts.flatMap((r) => r.logs))
      if (ingestor.pendingAnchors > 0) ingestor.retryAnchors()
    },
    async stop() {
      await mqtt?.stop()
      await verifier?.close()
    },
  }
}
