import { ErrorCode, SteleError } from '../primitives/errors.js'
import { withDeadline } from './deadline.js'
import {
  MAX_SYNC_BLOCKS_PER_REQUEST,
  TOPICS,
  TOPIC_MAX_BYTES,
  type DisconnectOptions,
  type MessageHandler,
  type Network,
  type PeerInfo,
  type PeerListener,
  type PeerStatus,
  type RequestOptions,
  type StatusProvider,
  type SyncRequestHandler,
  type Topic,
  type Unsubscribe,
} from './network.js'
import { boundSyncResponse } from './syncCodec.js'

/**
 * Several networks in one process. Two started members are connected unless their link is cut or one
 * has banned the other. Deliveries are asynchronous (next macrotask) and bytes are copied, as over a
 * real wire, so tests cannot depend on re-entrancy or shared buffers.
 */
/** One gossip delivery, handed to a custom scheduler that may run it later, twice, or never. */
export interface MemoryDelivery {
  from: string
  to: string
  topic: Topic
  data: Uint8Array
  /** Calls the receiver's handlers (no-op if the link is down by then). */
  deliver(): void
}

export interface MemoryHubOptions {
  /** Decides when gossip is delivered (delay, drop, duplicate, reorder). Default: the next macrotask. */
  schedule?: (delivery: MemoryDelivery) => void
}

export interface MemoryHub {
  createNetwork(peerId: string): Network
  /** Cuts (false) or restores (true) the link between two members, both directions. */
  setLinked(a: string, b: string, linked: boolean): void
}

interface Member {
  readonly peerId: string
  started: boolean
  readonly connected: Map<string, 'inbound' | 'outbound'>
  readonly bannedUntil: Map<string, number>
  readonly handlers: Map<Topic, Set<MessageHandler>>
  readonly statuses: Map<string, PeerStatus>
  readonly connectedListeners: Set<PeerListener>
  readonly disconnectedListeners: Set<PeerListener>
  readonly topicPeerListeners: Map<Topic, Set<PeerListener>>
  readonly banTimers: Set<ReturnType<typeof setTimeout>>
  syncHandler?: SyncRequestHandler
  statusProvider?: StatusProvider
}

export function createMemoryHub(options: MemoryHubOptions = {}): MemoryHub {
  const schedule = options.schedule ?? ((delivery: MemoryDelivery) => setImmediate(delivery.deliver))
  const members = new Map<string, Member>()
  const cutLinks = new Set<string>()
  const linkKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`)

  function isBanned(member: Member, other: string): boolean {
    const until = member.bannedUntil.get(other)
    return until !== undefined && until > Date.now()
  }

  function shouldConnect(a: Member, b: Member): boolean {
    return a.started && b.started && !cutLinks.has(linkKey(a.peerId, b.peerId)) && !isBanned(a, b.peerId) && !isBanned(b, a.peerId)
  }

  /** Brings every member's connection set in line with the rules, emitting events for changes. */
  function refresh(): void {
    const all = [...members.values()]
    for (const a of all) {
      for (const b of all) {
        if (a === b) continue
        const want = shouldConnect(a, b)
        const has = a.connected.has(b.peerId)
        if (want && !has) {
          a.connected.set(b.peerId, a.peerId < b.peerId ? 'outbound' : 'inbound')
          emit(a.connectedListeners, b.peerId)
          // Every member relays every topic, so a connected peer is at once a peer on each.
          for (const listeners of a.topicPeerListeners.values()) emit(listeners, b.peerId)
        } else if (!want && has) {
          a.connected.delete(b.peerId)
          a.statuses.delete(b.peerId)
          emit(a.disconnectedListeners, b.peerId)
        }
      }
    }
  }

  function emit(listeners: Set<PeerListener>, peerId: string): void {
    for (const listener of [...listeners]) setImmediate(() => listener(peerId))
  }

  function connectedMember(self: Member, peer: string): Member {
    const other = members.get(peer)
    if (!self.started) throw new SteleError(ErrorCode.Network, 'network is not started')
    if (other === undefined || !self.connected.has(peer)) {
      throw new SteleError(ErrorCode.Network, `not connected to peer ${peer}`)
    }
    return other
  }

  function createNetwork(peerId: string): Network {
    if (members.has(peerId)) throw new SteleError(ErrorCode.InvalidInput, `peer id already on this hub: ${peerId}`)
    const self: Member = {
      peerId,
      started: false,
      connected: new Map(),
      bannedUntil: new Map(),
      handlers: new Map(TOPICS.map((topic) => [topic, new Set<MessageHandler>()])),
      statuses: new Map(),
      connectedListeners: new Set(),
      disconnectedListeners: new Set(),
      topicPeerListeners: new Map(TOPICS.map((topic) => [topic, new Set<PeerListener>()])),
      banTimers: new Set(),
    }
    members.set(peerId, self)

    async function call<T>(peer: string, options: RequestOptions | undefined, what: string, run: (other: Member) => Promise<T>): Promise<T> {
      const other = connectedMember(self, peer)
      return withDeadline(options, what, async () => {
        // A macrotask hop, as if the request crossed a wire.
        await new Promise((resolve) => setImmediate(resolve))
        return run(other)
      })
    }

    return {
      peerId,
      async start() {
        self.started = true
        refresh()
      },
      async stop() {
        self.started = false
        for (const timer of self.banTimers) clearTimeout(timer)
        self.banTimers.clear()
        refresh()
      },
      async publish(topic, data) {
        if (!self.started) throw new SteleError(ErrorCode.Network, 'network is not started')
        if (data.length > TOPIC_MAX_BYTES[topic]) {
          throw new SteleError(ErrorCode.OversizedData, `${topic} message too large`, { details: { length: data.length } })
        }
        for (const peer of self.connected.keys()) {
          const other = members.get(peer)
          if (other === undefined) continue
          const copy = data.slice()
          schedule({
            from: peerId,
            to: peer,
            topic,
            data: copy,
            deliver: () => {
              if (!other.connected.has(peerId)) return
              for (const handler of other.handlers.get(topic) ?? []) handler(copy, peerId)
            },
          })
        }
      },
      subscribe(topic, handler): Unsubscribe {
        const set = self.handlers.get(topic) as Set<MessageHandler>
        // Wrapped so the same function can be subscribed twice and unsubscribed independently.
        const entry: MessageHandler = (data, from) => {
          try {
            handler(data, from)
          } catch {
            // A failing handler must not stop delivery to others, as on libp2p.
          }
        }
        set.add(entry)
        return () => set.delete(entry)
      },
      topicPeers() {
        return [...self.connected.keys()]
      },
      onSyncRequest(handler) {
        self.syncHandler = handler
      },
      onStatusRequest(provider) {
        self.statusProvider = provider
      },
      async requestBlocks(peer, from, count, options) {
        if (!Number.isInteger(count) || count < 1 || count > MAX_SYNC_BLOCKS_PER_REQUEST || from < 0n) {
          throw new SteleError(ErrorCode.InvalidInput, 'sync range out of bounds', { details: { from, count } })
        }
        return call(peer, options, 'block request', async (other) => {
          if (other.syncHandler === undefined) throw new SteleError(ErrorCode.Network, 'peer refused sync request: not serving blocks')
          let blocks: Uint8Array[]
          try {
            blocks = await other.syncHandler({ peer: peerId, from, count })
          } catch (cause) {
            throw new SteleError(ErrorCode.Network, 'peer refused sync request: internal error', { cause })
          }
          return boundSyncResponse(blocks, count).map((block) => block.slice())
        })
      },
      async requestStatus(peer, options) {
        const status = await call(peer, options, 'status request', async (other) => {
          if (other.statusProvider === undefined) throw new SteleError(ErrorCode.Network, 'peer refused sync request: no status')
          const answer = await Promise.resolve(other.statusProvider()).catch((cause: unknown) => {
            throw new SteleError(ErrorCode.Network, 'peer refused sync request: internal error', { cause })
          })
          return { head: answer.head, headHash: answer.headHash.slice() }
        })
        if (self.connected.has(peer)) self.statuses.set(peer, status)
        return status
      },
      peers(): PeerInfo[] {
        return [...self.connected].map(([id, direction]) => {
          const status = self.statuses.get(id)
          return status === undefined ? { peerId: id, address: 'memory', direction } : { peerId: id, address: 'memory', direction, status }
        })
      },
      async disconnect(peer, options: DisconnectOptions = {}) {
        // Without a ban the link comes straight back, like a static peer redialling.
        const banMs = options.banMs ?? 0
        self.bannedUntil.set(peer, Date.now() + Math.max(banMs, 1))
        refresh()
        const timer = setTimeout(() => {
          self.banTimers.delete(timer)
          self.bannedUntil.delete(peer)
          refresh()
        }, Math.max(banMs, 1))
        self.banTimers.add(timer)
      },
      onPeerConnected(listener) {
        self.connectedListeners.add(listener)
        return () => self.connectedListeners.delete(listener)
      },
      onPeerDisconnected(listener) {
        self.disconnectedListeners.add(listener)
        return () => self.disconnectedListeners.delete(listener)
      },
      onTopicPeer(topic, listener) {
        const listeners = self.topicPeerListeners.get(topic) as Set<PeerListener>
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    }
  }

  return {
    createNetwork,
    setLinked(a, b, linked) {
      if (linked) cutLinks.delete(linkKey(a, b))
      else cutLinks.add(linkKey(a, b))
      refresh()
    },
  }
}
