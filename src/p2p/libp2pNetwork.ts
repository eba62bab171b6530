import { createHash, randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { gossipsub, TopicValidatorResult, type GossipSub, type GossipsubMessage } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { ErrorCode, SteleError, errorMessage, isSteleError } from '../primitives/errors.js'
import { deadlineError, withDeadline } from './deadline.js'
import {
  MAX_SYNC_BLOCK_BYTES,
  MAX_SYNC_BLOCKS_PER_REQUEST,
  MAX_SYNC_RESPONSE_BYTES,
  SILENT_LOGGER,
  TOPICS,
  TOPIC_MAX_BYTES,
  type DisconnectOptions,
  type MessageHandler,
  type Network,
  type NetworkLogger,
  type PeerInfo,
  type PeerListener,
  type PeerStatus,
  type RequestOptions,
  type StatusProvider,
  type SyncRequestHandler,
  type Topic,
  type Unsubscribe,
} from './network.js'
import { decodeGossipBatch, encodeGossipBatch } from './gossipBatch.js'
import { libp2pKeyFromNodeKey, peerIdFromNodeKey } from './peerIdentity.js'
import {
  FrameDecoder,
  MAX_REQUEST_FRAME_BYTES,
  SYNC_PROTOCOL,
  boundSyncResponse,
  decodeBlocksHeader,
  decodeStatusResponse,
  decodeSyncRequest,
  encodeBlocksHeader,
  encodeErrorResponse,
  encodeFrame,
  encodeStatusResponse,
  encodeSyncRequest,
} from './syncCodec.js'

export interface StaticPeer {
  peerId: string
  host: string
  port: number
}

export interface ReconnectOptions {
  /** First redial delay after a drop or failed dial. */
  initialDelayMs: number
  /** Cap for the doubling delay. */
  maxDelayMs: number
}

export const DEFAULT_RECONNECT: ReconnectOptions = { initialDelayMs: 250, maxDelayMs: 30_000 }

export interface Libp2pNetworkConfig {
  /** The node's 32-byte secp256k1 key; the peer id derives from it. */
  privateKey: Uint8Array
  /** Where to listen; port 0 picks a free port (see `listenPort()`). */
  listen: { host: string; port: number }
  staticPeers?: readonly StaticPeer[]
  /**
   * Node permissioning: connections to or from any other peer id are refused. `'any'` turns
   * permissioning off (genesis with an empty `permittedPeers`); an empty list admits nobody.
   */
  permittedPeerIds: Iterable<string> | 'any'
  logger?: NetworkLogger
  reconnect?: Partial<ReconnectOptions>
  /** Gossipsub heartbeat; small networks can afford a short one, which heals meshes quickly. */
  heartbeatIntervalMs?: number
  /**
   * How long gossipsub remembers a message id (default 2 minutes): a forwarded copy of one publish arriving
   * again within this time is not delivered again (a new publish of the same bytes is: see PUBLISH_NONCE_BYTES).
   */
  gossipSeenTtlMs?: number
  /** Prefix of wire topic names, e.g. `/stele/<chain id>`; nodes must agree on it. */
  topicPrefix?: string
  dialTimeoutMs?: number
  /** How long a sync server waits for the request frame before dropping the stream. */
  syncRequestTimeoutMs?: number
}

export interface Libp2pNetwork extends Network {
  /** Multiaddrs we listen on, each ending in `/p2p/<peer id>`. */
  listenAddresses(): string[]
  /** The TCP port actually bound (useful with port 0). */
  listenPort(): number
  /** Dials a peer once; rejects if it is unreachable or refuses us. */
  connect(peer: StaticPeer, options?: RequestOptions): Promise<void>
  /** Replaces the permitted set and drops connections to peers no longer in it. */
  setPermittedPeers(peerIds: Iterable<string> | 'any'): Promise<void>
}

/** Redial delay before attempt `attempt` (1-based): doubling from the initial delay, capped. */
export function reconnectDelay(attempt: number, options: ReconnectOptions = DEFAULT_RECONNECT): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30)
  return Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent)
}

const DEFAULT_SYNC_REQUEST_TIMEOUT_MS = 5_000
const SERVER_RESPONSE_TIMEOUT_MS = 30_000
const MAX_INBOUND_SYNC_STREAMS = 8
const MAX_TOPIC_BYTES = Math.max(...Object.values(TOPIC_MAX_BYTES))
// gossipsub length-prefixes each RPC with it-length-prefixed, whose encoder (not configurable) refuses
// anything over 4 MiB; TOPIC_MAX_BYTES leaves room for the protobuf wrapping.
const GOSSIP_MAX_RPC_BYTES = 4 * 1024 * 1024

/**
 * Topics whose publishes in one event-loop turn travel as one gossip message (gossipBatch.ts): small,
 * numerous payloads. Consensus messages go out one by one, unbatched.
 */
export const BATCHED_TOPICS: ReadonlySet<Topic> = new Set<Topic>(['tx', 'telemetry'])
const GOSSIP_BATCH_MAX_BYTES = 1024 * 1024

/**
 * Every publish is a new gossip message, even with identical bytes: the payload (a batch, on batched topics)
 * travels behind an 8-byte publish nonce, stripped on receipt, so gossipsub's duplicate filter (message id =
 * hash of the data) does not swallow a deliberate re-send. Copies of one publish forwarded along different
 * paths keep one id and are still delivered once. Consensus re-sends its round's messages to peers that
 * missed them; a node re-offers its pool to a peer that joins. Without the nonce, a transaction first
 * published while no peer could take it was marked seen, and its re-offer was dropped as a duplicate.
 */
const PUBLISH_NONCE_BYTES = 8
/**
 * A peer's subscription arrives over its stream to us; ours to it may still be opening. Topic-peer listeners
 * (which usually publish at once) are called this much later.
 */
const TOPIC_PEER_NOTIFY_DELAY_MS = 250

type Services = { identify: ReturnType<ReturnType<typeof identify>>; pubsub: GossipSub }

/**
 * Reopens gossip streams that @libp2p/gossipsub (17.1.1) has lost track of. It keeps one outbound stream per peer,
 * opens one (and sends our subscriptions on it) only when it holds none, and drops its entry on the stream's
 * 'close' event. But its `createOutboundStream` stores the stream once `connection.newStream()` resolves, without
 * checking that the connection or the peer is still there, and newStream's last step awaits a peer-store write.
 * A peer that stops while our stream to it is being opened thus leaves, after gossipsub has removed the peer, a
 * stored stream that is already closed and whose 'close' event has passed. When the peer reconnects, gossipsub
 * keeps that dead stream and opens none: our subscriptions and messages never reach the peer again, and it never
 * lists us as a topic peer (seen in the restart test, under CPU load, when a peer stops just after connecting).
 *
 * So, on every heartbeat: a gossip peer with an open connection but no writable outbound gossip stream on any of
 * its connections is suspect; still so a heartbeat later (a new stream takes a round trip to open), its stored
 * stream is dropped, and identifying the connection again makes gossipsub open a new stream, as on a connect.
 */
export function watchGossipStreams(libp2p: Libp2p<Services>, logger: NetworkLogger): void {
  const pubsub = libp2p.services.pubsub
  const protocols = new Set(pubsub.protocols)
  // A public field of gossipsub's class, though not of its exported interface.
  const outbound = (pubsub as unknown as { streamsOutbound?: Map<string, unknown> }).streamsOutbound
  if (!(outbound instanceof Map)) throw new SteleError(ErrorCode.Internal, 'gossipsub no longer has streamsOutbound')
  let suspects = new Set<string>()
  pubsub.addEventListener('gossipsub:heartbeat', () => {
    const stillSuspect = new Set<string>()
    for (const peer of pubsub.getPeers()) {
      const open = libp2p.getConnections(peer).filter((c) => c.status === 'open')
      const connection = open[0]
      if (connection === undefined) continue
      const sending = open.some((c) =>
        c.streams.some((s) => s.direction === 'outbound' && s.writeStatus === 'writable' && protocols.has(s.protocol)),
      )
      if (sending) continue
      const id = peer.toString()
      if (!suspects.has(id)) {
        stillSuspect.add(id)
        continue
      }
      logger.info('reopening a lost gossip stream', { peer: id })
      outbound.delete(id)
      libp2p.services.identify.identify(connection).catch((error: unknown) => {
        logger.debug('identify to reopen a gossip stream failed', { peer: id, error: errorMessage(error) })
      })
    }
    suspects = stillSuspect
  })
}

export async function createLibp2pNetwork(config: Libp2pNetworkConfig): Promise<Libp2pNetwork> {
  const logger = config.logger ?? SILENT_LOGGER
  const reconnect: ReconnectOptions = { ...DEFAULT_RECONNECT, ...config.reconnect }
  const topicPrefix = config.topicPrefix ?? '/stele/1'
  const dialTimeoutMs = config.dialTimeoutMs ?? 5_000
  const selfId = peerIdFromNodeKey(config.privateKey)
  let permitted = permittedSet(config.permittedPeerIds, ErrorCode.Config)
  const bannedUntil = new Map<string, number>()
  const staticPeers = new Map<string, StaticPeer>()
  for (const peer of config.staticPeers ?? []) {
    toPeerId(peer.peerId, ErrorCode.Config)
    if (!Number.isInteger(peer.port) || peer.port < 1 || peer.port > 65_535) {
      throw new SteleError(ErrorCode.Config, `static peer ${peer.peerId} has an invalid port`, { details: { port: peer.port } })
    }
    // Tolerate our own entry: every node can share one static peer list.
    if (peer.peerId !== selfId) staticPeers.set(peer.peerId, peer)
  }

  /**
   * Parsing a secp256k1 peer id decompresses its public key (a modular square root in JavaScript, about 0.3 ms);
   * status polls and connection checks did it on every call. Peers are few (permissioned): parsed ids are kept.
   */
  const parsedPeerIds = new Map<string, PeerId>()
  const peerIdOf = (peer: string): PeerId => {
    let parsed = parsedPeerIds.get(peer)
    if (parsed === undefined) {
      parsed = toPeerId(peer)
      if (parsedPeerIds.size >= 1024) parsedPeerIds.clear()
      parsedPeerIds.set(peer, parsed)
    }
    return parsed
  }

  const isAllowed = (peerId: string): boolean => {
    if (permitted !== 'any' && !permitted.has(peerId)) return false
    const until = bannedUntil.get(peerId)
    return until === undefined || until <= Date.now()
  }
  const deny = (peerId: PeerId): boolean => {
    const refused = !isAllowed(peerId.toString())
    if (refused) logger.info('refused a peer (not permitted or banned)', { peer: peerId.toString() })
    return refused
  }

  const wireTopic = (topic: Topic) => `${topicPrefix}/${topic}`
  const topicByWire = new Map<string, Topic>(TOPICS.map((topic) => [wireTopic(topic), topic]))

  const libp2p: Libp2p<Services> = await createLibp2p({
    privateKey: libp2pKeyFromNodeKey(config.privateKey),
    start: false,
    addresses: { listen: [`${ipPrefix(config.listen.host)}/tcp/${config.listen.port}`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialPeer: deny,
      // Checked once the remote has proven its key in the Noise handshake.
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
      denyInboundUpgradedConnection: deny,
      denyOutboundUpgradedConnection: deny,
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        // Authorship is proven inside the payloads (signed transactions, signed QBFT messages) and
        // every peer is authenticated by Noise, so per-message libp2p signatures would only cost CPU.
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (message) => createHash('sha256').update(message.topic).update(message.data).digest(),
        // Small permissioned network: send our own messages to every subscribed peer at once.
        floodPublish: true,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        doPX: false,
        heartbeatInterval: config.heartbeatIntervalMs ?? 500,
        ...(config.gossipSeenTtlMs === undefined ? {} : { seenTTL: config.gossipSeenTtlMs }),
        allowedTopics: [...topicByWire.keys()],
        maxInboundDataLength: GOSSIP_MAX_RPC_BYTES,
        maxOutboundBufferSize: 4 * MAX_TOPIC_BYTES,
        emitSelf: false,
      }),
    },
  })
  const pubsub = libp2p.services.pubsub
  watchGossipStreams(libp2p, logger)
  for (const [wire, topic] of topicByWire) {
    const max = TOPIC_MAX_BYTES[topic]
    pubsub.topicValidators.set(wire, (_peer, message) => {
      const length = message.data.length - PUBLISH_NONCE_BYTES
      if (length < 0) return TopicValidatorResult.Reject
      if (!BATCHED_TOPICS.has(topic)) return length <= max ? TopicValidatorResult.Accept : TopicValidatorResult.Reject
      if (length > GOSSIP_BATCH_MAX_BYTES) return TopicValidatorResult.Reject
      try {
        decodeGossipBatch(message.data.subarray(PUBLISH_NONCE_BYTES), max)
        return TopicValidatorResult.Accept
      } catch {
        return TopicValidatorResult.Reject
      }
    })
  }

  const handlers = new Map<Topic, Set<MessageHandler>>(TOPICS.map((topic) => [topic, new Set()]))
  const statuses = new Map<string, PeerStatus>()
  const connectedListeners = new Set<PeerListener>()
  const disconnectedListeners = new Set<PeerListener>()
  const topicPeerListeners = new Map<Topic, Set<PeerListener>>(TOPICS.map((topic) => [topic, new Set()]))
  const topicPeerTimers = new Set<ReturnType<typeof setTimeout>>()
  // Process-unique prefix plus a counter: publish nonces never repeat, across restarts included.
  const nonceBase = randomBytes(4)
  let nonceCounter = 0

  function withPublishNonce(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(PUBLISH_NONCE_BYTES + data.length)
    out.set(nonceBase, 0)
    new DataView(out.buffer).setUint32(4, nonceCounter)
    nonceCounter = (nonceCounter + 1) >>> 0
    out.set(data, PUBLISH_NONCE_BYTES)
    return out
  }

  pubsub.addEventListener('subscription-change', (event) => {
    const peerId = event.detail.peerId.toString()
    for (const { topic: wire, subscribe } of event.detail.subscriptions) {
      const topic = topicByWire.get(wire)
      const listeners = topic === undefined ? undefined : topicPeerListeners.get(topic)
      if (!subscribe || listeners === undefined || listeners.size === 0) continue
      const timer = setTimeout(() => {
        topicPeerTimers.delete(timer)
        if (!running) return
        for (const listener of [...listeners]) safeCall(listener, peerId)
      }, TOPIC_PEER_NOTIFY_DELAY_MS)
      topicPeerTimers.add(timer)
    }
  })
  let syncHandler: SyncRequestHandler | undefined
  let statusProvider: StatusProvider | undefined
  let running = false

  pubsub.addEventListener('gossipsub:message', (event: CustomEvent<GossipsubMessage>) => {
    const { propagationSource, msg } = event.detail
    const topic = topicByWire.get(msg.topic)
    if (topic === undefined) return
    const from = propagationSource.toString()
    let items: Uint8Array[]
    try {
      // The topic validator has already refused batches that do not decode; this is belt and braces.
      const payload = msg.data.subarray(PUBLISH_NONCE_BYTES)
      items = BATCHED_TOPICS.has(topic) ? decodeGossipBatch(payload, TOPIC_MAX_BYTES[topic]) : [payload]
    } catch (error) {
      logger.warn('undecodable gossip batch', { topic, from, error: errorMessage(error) })
      return
    }
    for (const item of items) {
      for (const handler of handlers.get(topic) ?? []) {
        try {
          handler(item, from)
        } catch (error) {
          logger.warn('gossip handler failed', { topic, error: errorMessage(error) })
        }
      }
    }
  })

  const batches = new Map<Topic, { items: Uint8Array[]; bytes: number; scheduled: boolean }>()

  function enqueue(topic: Topic, data: Uint8Array): void {
    let batch = batches.get(topic)
    if (batch === undefined) {
      batch = { items: [], bytes: 0, scheduled: false }
      batches.set(topic, batch)
    }
    if (batch.bytes + 4 + data.length > GOSSIP_BATCH_MAX_BYTES) flush(topic)
    // Copied: the caller may reuse its buffer before the batch leaves.
    batch.items.push(data.slice())
    batch.bytes += 4 + data.length
    if (!batch.scheduled) {
      batch.scheduled = true
      setImmediate(() => flush(topic))
    }
  }

  function flush(topic: Topic): void {
    const batch = batches.get(topic)
    if (batch === undefined) return
    batch.scheduled = false
    if (batch.items.length === 0) return
    const items = batch.items
    batch.items = []
    batch.bytes = 0
    if (!running) return
    pubsub.publish(wireTopic(topic), withPublishNonce(encodeGossipBatch(items))).catch((error: unknown) => {
      logger.warn('gossip batch publish failed', { topic, items: items.length, error: errorMessage(error) })
    })
  }

  // Static peers: redial with capped exponential backoff whenever they are not connected.
  const redialAttempts = new Map<string, number>()
  const redialTimers = new Map<string, ReturnType<typeof setTimeout>>()

  function scheduleRedial(peerId: string, delayMs: number): void {
    if (!running || redialTimers.has(peerId) || !staticPeers.has(peerId)) return
    const timer = setTimeout(() => {
      redialTimers.delete(peerId)
      void dialStatic(peerId)
    }, delayMs)
    redialTimers.set(peerId, timer)
  }

  async function dialStatic(peerId: string): Promise<void> {
    const peer = staticPeers.get(peerId)
    if (!running || peer === undefined || isConnected(peerId)) return
    const until = bannedUntil.get(peerId)
    if (until !== undefined && until > Date.now()) {
      scheduleRedial(peerId, until - Date.now() + 1)
      return
    }
    try {
      await connect(peer)
    } catch (error) {
      const delay = nextRedialDelay(peerId)
      logger.debug('static peer dial failed', { peer: peerId, retryInMs: delay, error: errorMessage(error) })
      scheduleRedial(peerId, delay)
    }
  }

  function nextRedialDelay(peerId: string): number {
    const attempt = (redialAttempts.get(peerId) ?? 0) + 1
    redialAttempts.set(peerId, attempt)
    return reconnectDelay(attempt, reconnect)
  }

  function isConnected(peerId: string): boolean {
    return libp2p.getConnections(peerIdOf(peerId)).some((c) => c.status === 'open')
  }

  async function connect(peer: StaticPeer, options: RequestOptions = {}): Promise<void> {
    const address = multiaddr(`${ipPrefix(peer.host)}/tcp/${peer.port}/p2p/${peer.peerId}`)
    await withDeadline({ timeoutMs: dialTimeoutMs, ...options }, `dial ${peer.peerId}`, async (signal) => {
      try {
        await libp2p.dial(address, { signal })
      } catch (cause) {
        throw new SteleError(ErrorCode.Network, `could not connect to ${peer.peerId}`, {
          details: { address: address.toString() },
          cause,
        })
      }
    })
  }

  // A connection that dies young (e.g. the remote does not permit us and closes it after the
  // handshake) keeps the backoff growing; one that lived a while resets it.
  const STABLE_CONNECTION_MS = 10_000
  const connectedAt = new Map<string, number>()

  libp2p.addEventListener('peer:connect', (event) => {
    const peerId = event.detail.toString()
    connectedAt.set(peerId, Date.now())
    logger.info('peer connected', { peer: peerId })
    for (const listener of [...connectedListeners]) safeCall(listener, peerId)
  })
  libp2p.addEventListener('peer:disconnect', (event) => {
    const peerId = event.detail.toString()
    statuses.delete(peerId)
    logger.info('peer disconnected', { peer: peerId })
    for (const listener of [...disconnectedListeners]) safeCall(listener, peerId)
    const since = connectedAt.get(peerId)
    connectedAt.delete(peerId)
    if (since !== undefined && Date.now() - since >= STABLE_CONNECTION_MS) redialAttempts.delete(peerId)
    if (staticPeers.has(peerId)) scheduleRedial(peerId, nextRedialDelay(peerId))
  })

  function safeCall(listener: PeerListener, peerId: string): void {
    try {
      listener(peerId)
    } catch (error) {
      logger.warn('peer listener failed', { error: errorMessage(error) })
    }
  }

  async function serveSync(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const readSignal = AbortSignal.timeout(config.syncRequestTimeoutMs ?? DEFAULT_SYNC_REQUEST_TIMEOUT_MS)
    let payload: Uint8Array
    try {
      payload = await readFirstFrame(stream, MAX_REQUEST_FRAME_BYTES, readSignal)
    } catch (error) {
      logger.debug('bad sync request stream', { peer, error: errorMessage(error) })
      stream.abort(asError(error))
      return
    }
    const writeSignal = AbortSignal.timeout(SERVER_RESPONSE_TIMEOUT_MS)
    try {
      const frames = await answerSync(peer, payload)
      for (const frame of frames) await writeFrame(stream, frame, writeSignal)
      await stream.close({ signal: writeSignal })
    } catch (error) {
      logger.debug('sync response failed', { peer, error: errorMessage(error) })
      stream.abort(asError(error))
    }
  }

  /** Response frames for one request; refusals become an error frame rather than a dropped stream. */
  async function answerSync(peer: string, payload: Uint8Array): Promise<Uint8Array[]> {
    try {
      const request = decodeSyncRequest(payload)
      if (request.kind === 'status') {
        if (statusProvider === undefined) return [encodeErrorResponse('status not available')]
        return [encodeStatusResponse(await statusProvider())]
      }
      if (syncHandler === undefined) return [encodeErrorResponse('not serving blocks')]
      const blocks = boundSyncResponse(await syncHandler({ peer, from: request.from, count: request.count }), request.count)
      return [encodeBlocksHeader(blocks.length), ...blocks]
    } catch (error) {
      logger.debug('sync request refused', { peer, error: errorMessage(error) })
      return [encodeErrorResponse(isSteleError(error, ErrorCode.Network) ? error.message : 'internal error')]
    }
  }

  /** Opens a sync stream, sends `request`, and hands the response frames to `read`. */
  async function exchange<T>(
    peer: string,
    request: Uint8Array,
    maxFrameBytes: number,
    options: RequestOptions | undefined,
    what: string,
    read: (frames: AsyncGenerator<Uint8Array>) => Promise<T>,
  ): Promise<T> {
    if (!running) throw new SteleError(ErrorCode.Network, 'network is not started')
    return withDeadline(options, what, async (signal) => {
      let stream: Stream | undefined
      const onAbort = () => stream?.abort(deadlineError(signal, what))
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        stream = await libp2p.dialProtocol(peerIdOf(peer), SYNC_PROTOCOL, { signal })
        await writeFrame(stream, request, signal)
        await stream.close({ signal })
        const frames = readFrames(stream, maxFrameBytes)
        const result = await read(frames)
        await frames.return(undefined)
        return result
      } catch (error) {
        stream?.abort(asError(error))
        if (signal.aborted) throw deadlineError(signal, what)
        if (isSteleError(error)) throw error
        throw new SteleError(ErrorCode.Network, `${what} to ${peer} failed: ${errorMessage(error)}`, { cause: error })
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    })
  }

  const network: Libp2pNetwork = {
    peerId: selfId,

    async start() {
      if (running) return
      await libp2p.start()
      running = true
      // Relay every topic, whether or not this node has a handler for it yet.
      for (const wire of topicByWire.keys()) pubsub.subscribe(wire)
      await libp2p.handle(
        SYNC_PROTOCOL,
        (stream, connection) => {
          void serveSync(stream, connection)
        },
        { maxInboundStreams: MAX_INBOUND_SYNC_STREAMS },
      )
      for (const peerId of staticPeers.keys()) void dialStatic(peerId)
    },

    async stop() {
      if (!running) return
      running = false
      batches.clear()
      for (const timer of topicPeerTimers) clearTimeout(timer)
      topicPeerTimers.clear()
      for (const timer of redialTimers.values()) clearTimeout(timer)
      redialTimers.clear()
      redialAttempts.clear()
      // Registrations outlive libp2p.stop(); without this a restart fails with a duplicate handler.
      await libp2p.unhandle(SYNC_PROTOCOL)
      await libp2p.stop()
    },

    async publish(topic, data) {
      if (!running) throw new SteleError(ErrorCode.Network, 'network is not started')
      if (data.length > TOPIC_MAX_BYTES[topic]) {
        throw new SteleError(ErrorCode.OversizedData, `${topic} message too large`, { details: { length: data.length } })
      }
      if (BATCHED_TOPICS.has(topic)) {
        enqueue(topic, data)
        return
      }
      try {
        await pubsub.publish(wireTopic(topic), withPublishNonce(data))
      } catch (cause) {
        throw new SteleError(ErrorCode.Network, `publish on ${topic} failed`, { cause })
      }
    },

    subscribe(topic, handler): Unsubscribe {
      const set = handlers.get(topic) as Set<MessageHandler>
      const entry: MessageHandler = (data, from) => handler(data, from)
      set.add(entry)
      return () => set.delete(entry)
    },

    topicPeers(topic) {
      if (!running) return []
      return pubsub.getSubscribers(wireTopic(topic)).map((id) => id.toString())
    },

    onSyncRequest(handler) {
      syncHandler = handler
    },

    onStatusRequest(provider) {
      statusProvider = provider
    },

    async requestBlocks(peer, from, count, options) {
      if (!Number.isInteger(count) || count < 1 || count > MAX_SYNC_BLOCKS_PER_REQUEST || from < 0n) {
        throw new SteleError(ErrorCode.InvalidInput, 'sync range out of bounds', { details: { from, count } })
      }
      const request = encodeSyncRequest({ kind: 'blocks', from, count })
      return exchange(peer, request, MAX_SYNC_BLOCK_BYTES, options, 'block request', async (frames) => {
        const header = await nextFrame(frames)
        const n = decodeBlocksHeader(header)
        if (n > count) throw new SteleError(ErrorCode.Network, 'peer sent more blocks than requested', { details: { n, count } })
        const blocks: Uint8Array[] = []
        let total = 0
        while (blocks.length < n) {
          const block = await nextFrame(frames)
          total += block.length
          if (total > MAX_SYNC_RESPONSE_BYTES + MAX_SYNC_BLOCK_BYTES) {
            throw new SteleError(ErrorCode.Network, 'sync response too large')
          }
          blocks.push(block)
        }
        return blocks
      })
    },

    async requestStatus(peer, options) {
      const request = encodeSyncRequest({ kind: 'status' })
      const status = await exchange(peer, request, 64, options, 'status request', async (frames) =>
        decodeStatusResponse(await nextFrame(frames)),
      )
      if (isConnected(peer)) statuses.set(peer, status)
      return status
    },

    peers(): PeerInfo[] {
      const seen = new Map<string, PeerInfo>()
      for (const connection of libp2p.getConnections()) {
        if (connection.status !== 'open') continue
        const peerId = connection.remotePeer.toString()
        if (seen.has(peerId)) continue
        const info: PeerInfo = {
          peerId,
          address: connection.remoteAddr.toString(),
          direction: connection.direction,
        }
        const status = statuses.get(peerId)
        if (status !== undefined) info.status = status
        seen.set(peerId, info)
      }
      return [...seen.values()]
    },

    async disconnect(peer, options: DisconnectOptions = {}) {
      if (options.banMs !== undefined && options.banMs > 0) bannedUntil.set(peer, Date.now() + options.banMs)
      await libp2p.hangUp(peerIdOf(peer))
    },

    onPeerConnected(listener) {
      connectedListeners.add(listener)
      return () => connectedListeners.delete(listener)
    },

    onPeerDisconnected(listener) {
      disconnectedListeners.add(listener)
      return () => disconnectedListeners.delete(listener)
    },

    onTopicPeer(topic, listener) {
      const listeners = topicPeerListeners.get(topic) as Set<PeerListener>
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    listenAddresses() {
      return libp2p.getMultiaddrs().map((address: Multiaddr) => address.toString())
    },

    listenPort() {
      for (const address of libp2p.getMultiaddrs()) {
        const port = address.getComponents().find((component) => component.name === 'tcp')?.value
        if (port !== undefined) return Number(port)
      }
      throw new SteleError(ErrorCode.Network, 'not listening on TCP')
    },

    connect,

    async setPermittedPeers(peerIds) {
      const next = permittedSet(peerIds, ErrorCode.InvalidInput)
      permitted = next
      if (next === 'any') return
      const dropped = network.peers().filter((peer) => !next.has(peer.peerId))
      await Promise.all(dropped.map((peer) => libp2p.hangUp(peerIdOf(peer.peerId))))
    },
  }
  return network
}

function ipPrefix(host: string): string {
  const family = isIP(host)
  if (family === 4) return `/ip4/${host}`
  if (family === 6) return `/ip6/${host}`
  return `/dns/${host}`
}

function permittedSet(ids: Iterable<string> | 'any', code: ErrorCode): Set<string> | 'any' {
  if (ids === 'any') return 'any'
  const set = new Set(ids)
  for (const id of set) toPeerId(id, code)
  return set
}

function toPeerId(peer: string, code: ErrorCode = ErrorCode.InvalidInput): PeerId {
  try {
    return peerIdFromString(peer)
  } catch (cause) {
    throw new SteleError(code, `not a peer id: ${peer}`, { cause })
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

async function writeFrame(stream: Stream, payload: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(encodeFrame(payload))) await stream.onDrain({ signal })
}

/** Frames from a stream; a frame declaring more than `maxFrameBytes` aborts the read. */
async function* readFrames(stream: Stream, maxFrameBytes: number): AsyncGenerator<Uint8Array> {
  const decoder = new FrameDecoder(maxFrameBytes)
  for await (const chunk of stream) {
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
    for (const frame of decoder.push(bytes)) yield frame
  }
  if (decoder.buffered > 0) throw new SteleError(ErrorCode.Network, 'stream ended inside a frame')
}

async function nextFrame(frames: AsyncGenerator<Uint8Array>): Promise<Uint8Array> {
  const next = await frames.next()
  if (next.done === true) throw new SteleError(ErrorCode.Network, 'stream ended early')
  return next.value
}

async function readFirstFrame(stream: Stream, maxFrameBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const onAbort = () => stream.abort(deadlineError(signal, 'sync request read'))
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    const frames = readFrames(stream, maxFrameBytes)
    const frame = await nextFrame(frames)
    await frames.return(undefined)
    return frame
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
