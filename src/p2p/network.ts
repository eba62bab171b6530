import type { Logger } from '../primitives/logger.js'

/**
 * The network as the node sees it: gossip topics carrying opaque bytes, a block-range sync request,
 * a head-status request, and peer bookkeeping. Two implementations: memoryNetwork.ts (tests, one
 * process) and libp2pNetwork.ts (TCP + Noise + Yamux + gossipsub). See docs/spec/p2p.md.
 */

/**
 * Gossip topics. Payloads are opaque here: RLP transactions, QBFT messages, anchors, telemetry. Publishing the
 * same bytes twice on 'consensus' sends them twice (re-sends to peers that missed them must get through); on
 * the other topics an identical payload within the seen window is sent once.
 */
export const TOPICS = ['tx', 'consensus', 'anchors', 'telemetry'] as const
export type Topic = (typeof TOPICS)[number]

const KIB = 1024
const MIB = 1024 * KIB

/** Largest payload accepted per topic; bigger messages are rejected before any handler sees them. */
export const TOPIC_MAX_BYTES: Readonly<Record<Topic, number>> = {
  tx: 256 * KIB,
  // A QBFT proposal carries the whole block. gossipsub's framing refuses RPCs over 4 MiB, so this is
  // the ceiling for a proposal; the block builder must keep encoded blocks below it.
  consensus: 4 * MIB - 64 * KIB,
  anchors: 1 * MIB,
  telemetry: 256 * KIB,
}

/** Most blocks one sync request may ask for. */
export const MAX_SYNC_BLOCKS_PER_REQUEST = 256
/** Largest single encoded block a sync response may carry. */
export const MAX_SYNC_BLOCK_BYTES = 8 * MIB
/** A responder stops adding blocks once this many bytes are queued (it always sends at least one). */
export const MAX_SYNC_RESPONSE_BYTES = 16 * MIB

/** What a peer says about its chain: the height and hash of its head block. */
export interface PeerStatus {
  head: bigint
  headHash: Uint8Array
}

export interface PeerInfo {
  peerId: string
  /** Remote address, e.g. `/ip4/127.0.0.1/tcp/30303` (memory network: `memory`). */
  address: string
  direction: 'inbound' | 'outbound'
  /** Last head this peer reported, if we have asked it. */
  status?: PeerStatus
}

export interface SyncRequest {
  /** Peer id of the requester. */
  peer: string
  /** First height wanted. */
  from: bigint
  /** How many consecutive heights, 1..MAX_SYNC_BLOCKS_PER_REQUEST. */
  count: number
}

/**
 * Serves a sync request: returns encoded blocks for consecutive heights starting at `from`, at most
 * `count`, stopping early at the first height it does not have.
 */
export type SyncRequestHandler = (request: SyncRequest) => Promise<Uint8Array[]>
export type StatusProvider = () => PeerStatus | Promise<PeerStatus>
/** `from` is the peer that delivered the message (with gossip, not necessarily its author). */
export type MessageHandler = (data: Uint8Array, from: string) => void
export type PeerListener = (peerId: string) => void
export type Unsubscribe = () => void

export interface RequestOptions {
  signal?: AbortSignal
  /** Defaults to DEFAULT_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000

export interface DisconnectOptions {
  /** Refuse this peer (both directions) for this long; without it, static peers are redialled. */
  banMs?: number
}

export interface Network {
  readonly peerId: string
  start(): Promise<void>
  stop(): Promise<void>
  /** Sends to every peer; the publisher's own handlers are not called. */
  publish(topic: Topic, data: Uint8Array): Promise<void>
  subscribe(topic: Topic, handler: MessageHandler): Unsubscribe
  /** Peers currently known to receive `topic` from us (gossip readiness). */
  topicPeers(topic: Topic): string[]
  onSyncRequest(handler: SyncRequestHandler): void
  onStatusRequest(provider: StatusProvider): void
  /** Encoded blocks for heights from..from+count-1 (possibly fewer), validated only for bounds. */
  requestBlocks(peer: string, from: bigint, count: number, options?: RequestOptions): Promise<Uint8Array[]>
  /** Asks a peer for its head and remembers the answer in `peers()`. */
  requestStatus(peer: string, options?: RequestOptions): Promise<PeerStatus>
  peers(): PeerInfo[]
  disconnect(peer: string, options?: DisconnectOptions): Promise<void>
  onPeerConnected(listener: PeerListener): Unsubscribe
  onPeerDisconnected(listener: PeerListener): Unsubscribe
  /**
   * A peer can now receive `topic` from us (it subscribed, e.g. after connecting or restarting). Gossip is not
   * replayed to latecomers, so this is when to re-send state they need (consensus re-sends its current round).
   */
  onTopicPeer(topic: Topic, listener: PeerListener): Unsubscribe
}

/** Logging hook: the node passes its logger (e.g. `logger.child('p2p')`); the default is silent. */
export type NetworkLogger = Pick<Logger, 'debug' | 'info' | 'warn'>

export const SILENT_LOGGER: NetworkLogger = { debug() {}, info() {}, warn() {} }

export function isTopic(value: string): value is Topic {
  return (TOPICS as readonly string[]).includes(value)
}
