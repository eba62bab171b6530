import { EMPTY_OMMERS_HASH, EMPTY_TRIE_ROOT, QBFT_MIX_HASH, type BlockHeader } from '../../src/chain/header.js'
import { blockHash } from '../../src/chain/seal.js'
import type { Block } from '../../src/chain/types.js'
import { keccak256 } from '../../src/crypto/keccak.js'
import { privateKeyToAddress, recoverAddress, sign } from '../../src/crypto/secp256k1.js'
import { bigintToBytes, bytesToHex, equalBytes } from '../../src/primitives/bytes.js'
import { authenticateMessage, toWireMessage, type EngineMessage } from '../../src/consensus/authenticate.js'
import { blockWithRound, qbftBlockCodec } from '../../src/consensus/blockCodec.js'
import { decodeWireMessage, encodeWireMessage, signingHash, encodePayload, type MessageType, type WireMessage } from '../../src/consensus/messages.js'
import { proposerForRound, quorumSize, sortValidators } from '../../src/consensus/proposer.js'
import { createQbftEngine, type QbftEngine } from '../../src/consensus/qbft.js'
import type { QbftEffect, QbftInput, QbftState, QbftWal } from '../../src/consensus/types.js'
import { hasCommitQuorum } from '../../src/consensus/verifyCommittedBlock.js'
import { decodeWal, encodeWal } from '../../src/consensus/wal.js'

/**
 * N validators (the real engine, a sim driver each) in one process on a virtual clock. A seeded scheduler delays,
 * drops, duplicates and reorders messages, partitions and heals, crashes and restarts nodes from what they
 * persisted, and plays Byzantine validators. Invariants are checked after every event; a violation throws a
 * SimViolation naming the seed.
 */

export type ByzantineKind = 'silent' | 'equivocate' | 'doubleVote' | 'garbage' | 'future' | 'replay'
export const BYZANTINE_KINDS: readonly ByzantineKind[] = ['silent', 'equivocate', 'doubleVote', 'garbage', 'future', 'replay']

export interface SimOptions {
  seed: number
  validators: number
  /** Byzantine behaviours, given to the last validators (by index). */
  byzantine?: ByzantineKind[]
  blockPeriodMs?: number
  baseRoundTimeoutMs?: number
  maxRoundTimeoutMs?: number
  minDelayMs?: number
  maxDelayMs?: number
  dropRate?: number
  duplicateRate?: number
  maxMessageBytes?: number
  /** Memoize signer recovery across nodes (same bytes, same signer). Off for the benchmark's operation counts. */
  cacheRecovery?: boolean
  /** Check agreement and validity on every finalized block (costs signature recoveries). Off only for the benchmark. */
  checkInvariants?: boolean
  /** Keep what nodes persist. Off only to show that the invariants catch a validator restarting without its WAL. */
  persistWal?: boolean
  /** Which nodes (by index) validate each height, as governance votes would decide; default all of them. */
  validatorSchedule?: (height: bigint) => number[]
}

export class SimViolation extends Error {
  override name = 'SimViolation'
}

/** A small seeded PRNG (sfc32), so a seed replays a run exactly. */
export function createRng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed
  let b = 0x243f6a88 ^ (seed * 31)
  let c = 0xb7e15162
  let d = seed | 0
  const next = () => {
    a |= 0; b |= 0; c |= 0; d |= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  return next
}

interface SimEvent {
  time: number
  seq: number
  run: () => void
}

/** A binary min-heap on (time, seq): equal times keep insertion order, so runs are deterministic. */
class EventQueue {
  private heap: SimEvent[] = []
  private seq = 0
  get size() {
    return this.heap.length
  }
  push(time: number, run: () => void) {
    const e = { time, seq: this.seq++, run }
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }
  peekTime(): number | undefined {
    return this.heap[0]?.time
  }
  pop(): SimEvent | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && less(h[l]!, h[m]!)) m = l
        if (r < h.length && less(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    return top
  }
}
const less = (a: SimEvent, b: SimEvent) => a.time < b.time || (a.time === b.time && a.seq < b.seq)

export interface SimNode {
  index: number
  key: Uint8Array
  address: Uint8Array
  kind: 'honest' | ByzantineKind
  engine: QbftEngine
  state: QbftState
  /** Durable: what the node persisted (the WAL) and its finalized chain; both survive a crash. */
  wal: QbftWal | undefined
  chain: Block[]
  up: boolean
  /** Bumped on crash: timers and pending callbacks of an earlier life are ignored. */
  life: number
  timers: { round: number; blockPeriod: number }
}

export interface SimCounters {
  events: number
  deliveries: number
  broadcasts: number
  signs: number
  recovers: number
  undecodable: number
  badSignature: number
  oversized: number
  syncedBlocks: number
}

const GENESIS_PROPOSER = new Uint8Array(20)

function keyFor(seed: number, index: number): Uint8Array {
  // Deterministic, valid secp256k1 keys (keccak output is below the curve order with overwhelming probability).
  return keccak256(new TextEncoder().encode(`stele-sim-${seed}-${index}`))
}

function fakeHeader(parent: Block, height: bigint, round: number, proposer: Uint8Array, salt: Uint8Array): BlockHeader {
  return {
    parentHash: parent.hash,
    ommersHash: EMPTY_OMMERS_HASH,
    coinbase: proposer,
    stateRoot: EMPTY_TRIE_ROOT,
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 1n,
    number: height,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: height,
    extraData: { vanity: salt, validators: [], vote: undefined, round, seals: [] },
    mixHash: QBFT_MIX_HASH,
    nonce: new Uint8Array(8),
    baseFeePerGas: 0n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
  }
}

function makeBlock(header: BlockHeader): Block {
  return { header, hash: blockHash(header), transactions: [], anchors: [] }
}

/** A tiny block on `parent`: what sim proposers build (also used by the driver tests). */
export function fakeBlock(parent: Block, height: bigint, round: number, proposer: Uint8Array, salt: Uint8Array = new Uint8Array(32)): Block {
  return makeBlock(fakeHeader(parent, height, round, proposer, salt))
}

export function createGenesis(validators: Uint8Array[]): Block {
  const header = fakeHeader({ hash: new Uint8Array(32) } as Block, 0n, 0, GENESIS_PROPOSER, new Uint8Array(32))
  header.extraData = { ...header.extraData, validators: sortValidators(validators) }
  return makeBlock(header)
}

export class SimNetwork {
  readonly options: Required<SimOptions>
  readonly rng: () => number
  readonly nodes: SimNode[]
  readonly validators: Uint8Array[]
  readonly genesis: Block
  now = 0
  readonly counters: SimCounters = {
    events: 0,
    deliveries: 0,
    broadcasts: 0,
    signs: 0,
    recovers: 0,
    undecodable: 0,
    badSignature: 0,
    oversized: 0,
    syncedBlocks: 0,
  }
  dropRate: number
  duplicateRate: number
  /** Partition groups: node index -> group id; undefined means fully connected. */
  private groups: number[] | undefined
  private readonly queue = new EventQueue()
  private readonly recoverCache = new Map<string, Uint8Array | undefined>()
  private readonly decoded = new WeakMap<Uint8Array, EngineMessage | 'badSignature' | 'undecodable'>()
  /** Global record for invariants. */
  private readonly finalizedDigest = new Map<bigint, string>()
  private readonly proposals = new Map<string, Set<string>>()
  private readonly honestSigned = new Map<string, string>()
  private readonly replayPool: Uint8Array[] = []

  constructor(options: SimOptions) {
    this.options = {
      byzantine: [],
      blockPeriodMs: 100,
      baseRoundTimeoutMs: 200,
      maxRoundTimeoutMs: 1600,
      minDelayMs: 1,
      maxDelayMs: 40,
      dropRate: 0,
      duplicateRate: 0,
      maxMessageBytes: 64 * 1024,
      cacheRecovery: true,
      checkInvariants: true,
      persistWal: true,
      validatorSchedule: () => Array.from({ length: options.validators }, (_, i) => i),
      ...options,
    }
    const o = this.options
    if (o.byzantine.length > Math.floor((o.validators - 1) / 3)) throw new Error('more Byzantine validators than f')
    this.rng = createRng(o.seed)
    this.dropRate = o.dropRate
    this.duplicateRate = o.duplicateRate
    const keys = Array.from({ length: o.validators }, (_, i) => keyFor(o.seed, i))
    this.validators = sortValidators(keys.map((k) => privateKeyToAddress(k)))
    this.genesis = createGenesis(this.validators)
    this.nodes = keys.map((key, index) => {
      const byzantineFrom = o.validators - o.byzantine.length
      const kind = index >= byzantineFrom ? (o.byzantine[index - byzantineFrom] as ByzantineKind) : 'honest'
      const address = privateKeyToAddress(key)
      const node: SimNode = {
        index,
        key,
        address,
        kind,
        engine: undefined as unknown as QbftEngine,
        state: undefined as unknown as QbftState,
        wal: undefined,
        chain: [this.genesis],
        up: false,
        life: 0,
        timers: { round: 0, blockPeriod: 0 },
      }
      node.engine = createQbftEngine({
        self: address,
        sign: (hash) => {
          this.counters.signs++
          return sign(hash, key)
        },
        recoverSigner: (hash, sig) => this.recover(hash, sig),
        blockCodec: qbftBlockCodec,
        blockPeriodMs: o.blockPeriodMs,
        baseRoundTimeoutMs: o.baseRoundTimeoutMs,
        maxRoundTimeoutMs: o.maxRoundTimeoutMs,
        maxFutureHeights: 10,
        maxBufferedPerAuthor: 64,
      })
      return node
    })
  }

  // ---- control ----------------------------------------------------------------------------------------------

  start(): void {
    for (const node of this.nodes) this.boot(node)
  }

  crash(index: number): void {
    const node = this.nodes[index] as SimNode
    node.up = false
    node.life++
  }

  restart(index: number): void {
    const node = this.nodes[index] as SimNode
    if (node.up) return
    this.boot(node)
  }

  /** Splits the network: nodes in different groups cannot reach each other. */
  partition(groups: number[][]): void {
    const map = Array.from({ length: this.nodes.length }, () => -1)
    groups.forEach((g, gi) => g.forEach((i) => (map[i] = gi)))
    this.groups = map
  }

  heal(): void {
    this.groups = undefined
    this.dropRate = 0
    this.duplicateRate = 0
  }

  honest(): SimNode[] {
    return this.nodes.filter((n) => n.kind === 'honest')
  }

  /** Finalized height of a node (its chain tip). */
  heightOf(node: SimNode): bigint {
    return BigInt(node.chain.length - 1)
  }

  /** Runs events until `until` is true (checked after each event) or virtual time passes `deadline`. */
  runUntil(until: () => boolean, deadline: number): boolean {
    for (;;) {
      if (until()) return true
      const t = this.queue.peekTime()
      if (t === undefined || t > deadline) {
        this.now = Math.max(this.now, deadline)
        return until()
      }
      const e = this.queue.pop() as SimEvent
      this.now = e.time
      this.counters.events++
      e.run()
    }
  }

  runFor(ms: number): void {
    this.runUntil(() => false, this.now + ms)
  }

  at(delayMs: number, run: () => void): void {
    this.queue.push(this.now + delayMs, run)
  }

  // ---- nodes ------------------------------------------------------------------------------------------------

  private boot(node: SimNode): void {
    node.up = true
    node.life++
    node.state = node.engine.initialState()
    // Restart from what is durable: the chain and the WAL (through its byte encoding, as a real restart would).
    const wal = node.wal && decodeWal(encodeWal(node.wal, qbftBlockCodec), (h, s) => this.recover(h, s), qbftBlockCodec)
    this.input(node, this.newHeightInput(node, wal))
  }

  private newHeightInput(node: SimNode, wal?: QbftWal): QbftInput {
    const tip = node.chain[node.chain.length - 1] as Block
    const height = tip.header.number + 1n
    return { type: 'newHeight', height, validators: this.validatorsAt(height), previousProposer: tip.header.coinbase, wal }
  }

  /** The validator set of a height (sorted addresses). */
  validatorsAt(height: bigint): Uint8Array[] {
    return sortValidators(this.options.validatorSchedule(height).map((i) => (this.nodes[i] as SimNode).address))
  }

  private input(node: SimNode, input: QbftInput): void {
    if (!node.up) return
    const { state, effects } = node.engine.step(node.state, input)
    node.state = state
    for (const effect of effects) this.effect(node, effect)
  }

  private later(node: SimNode, delayMs: number, run: () => void): void {
    const life = node.life
    this.at(delayMs, () => {
      if (node.up && node.life === life) run()
    })
  }

  private effect(node: SimNode, effect: QbftEffect): void {
    switch (effect.type) {
      case 'persist':
        if (this.options.persistWal) node.wal = effect.wal
        return
      case 'broadcast':
        this.outgoing(node, effect.message)
        return
      case 'scheduleTimeout': {
        const token = ++node.timers[effect.timer]
        this.later(node, effect.delayMs, () => {
          if (node.timers[effect.timer] !== token) return
          this.input(
            node,
            effect.timer === 'round'
              ? { type: 'roundTimeout', height: effect.height, round: effect.round }
              : { type: 'blockPeriodTimeout', height: effect.height },
          )
        })
        return
      }
      case 'buildBlock': {
        const tip = node.chain[node.chain.length - 1] as Block
        if (tip.header.number + 1n !== effect.height) return
        const salt = keccak256(new TextEncoder().encode(`${node.index}:${effect.height}:${effect.round}`))
        const block = makeBlock(fakeHeader(tip, effect.height, effect.round, node.address, salt))
        this.later(node, 1, () => this.input(node, { type: 'blockBuilt', height: effect.height, round: effect.round, block }))
        return
      }
      case 'validateBlock': {
        const tip = node.chain[node.chain.length - 1] as Block
        const b = effect.block
        const valid = b.header.number === tip.header.number + 1n && equalBytes(b.header.parentHash, tip.hash)
        this.later(node, 1, () =>
          this.input(node, { type: 'blockValidated', height: effect.height, round: effect.round, digest: b.hash, valid }),
        )
        return
      }
      case 'commitBlock':
        this.commit(node, effect.block)
        this.input(node, this.newHeightInput(node))
        return
      case 'requestSync':
        this.later(node, 5 + Math.floor(this.rng() * 20), () => this.sync(node))
        return
    }
  }

  private commit(node: SimNode, block: Block): void {
    const tip = node.chain[node.chain.length - 1] as Block
    const height = block.header.number
    if (height !== tip.header.number + 1n || !equalBytes(block.header.parentHash, tip.hash)) {
      this.violation(`node ${node.index} finalized block ${height} that does not extend its chain`)
    }
    this.checkFinalized(node, block, true)
    node.chain.push(block)
  }

  /** Agreement and validity for a block a node is about to add (finalized by itself, or synced). */
  private checkFinalized(node: SimNode, block: Block, ownRound: boolean): void {
    if (!this.options.checkInvariants) return
    const height = block.header.number
    const digest = bytesToHex(block.hash)
    if (node.kind === 'honest') {
      const known = this.finalizedDigest.get(height)
      if (known !== undefined && known !== digest) {
        this.violation(`agreement: node ${node.index} finalized ${digest} at ${height}, another node finalized ${known}`)
      }
      this.finalizedDigest.set(height, digest)
    }
    if (!hasCommitQuorum(block, this.validatorsAt(height), (h, s) => this.recover(h, s))) {
      this.violation(`validity: block ${height} finalized by node ${node.index} lacks a quorum of valid seals`)
    }
    if (ownRound) {
      const parent = node.chain[Number(height) - 1] as Block
      const round = block.header.extraData.round
      const expected = bytesToHex(proposerForRound(this.validatorsAt(height), parent.header.coinbase, round))
      const proposers = this.proposals.get(`${height}:${round}:${digest}`)
      if (!proposers?.has(expected)) {
        this.violation(`validity: block ${height} round ${round} was not proposed by that round's proposer ${expected}`)
      }
    }
  }

  private sync(node: SimNode): void {
    const peers = this.nodes.filter((p) => p !== node && p.up && p.kind === 'honest' && this.reachable(p.index, node.index))
    const source = peers.sort((a, b) => b.chain.length - a.chain.length)[0]
    if (!source || source.chain.length <= node.chain.length) return
    let imported = false
    while (node.chain.length < source.chain.length) {
      const block = source.chain[node.chain.length] as Block
      const tip = node.chain[node.chain.length - 1] as Block
      if (!equalBytes(block.header.parentHash, tip.hash)) this.violation(`sync: node ${node.index} got a block not on its chain`)
      this.checkFinalized(node, block, false)
      node.chain.push(block)
      this.counters.syncedBlocks++
      imported = true
    }
    if (imported) this.input(node, this.newHeightInput(node))
  }

  // ---- network ----------------------------------------------------------------------------------------------

  private reachable(from: number, to: number): boolean {
    return this.groups === undefined || this.groups[from] === this.groups[to]
  }

  private recover(hash: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
    const key = this.options.cacheRecovery ? bytesToHex(hash) + bytesToHex(signature) : undefined
    if (key !== undefined && this.recoverCache.has(key)) return this.recoverCache.get(key)
    this.counters.recovers++
    let address: Uint8Array | undefined
    try {
      address = recoverAddress(hash, signature)
    } catch {
      address = undefined
    }
    if (key !== undefined) {
      if (this.recoverCache.size > 200_000) this.recoverCache.clear()
      this.recoverCache.set(key, address)
    }
    return address
  }

  private outgoing(node: SimNode, message: EngineMessage): void {
    const bytes = encodeWireMessage(toWireMessage(message, qbftBlockCodec))
    if (message.type === 'proposal') this.recordProposal(message)
    if (node.kind === 'honest') {
      this.recordHonest(message)
      this.broadcast(node, bytes)
      return
    }
    this.byzantine(node, message, bytes)
  }

  private recordProposal(message: EngineMessage): void {
    const p = message.signed.payload
    const key = `${p.height}:${p.round}:${bytesToHex((message.signed.payload as { block: Block }).block.hash)}`
    let set = this.proposals.get(key)
    if (!set) this.proposals.set(key, (set = new Set()))
    set.add(bytesToHex(message.signed.author))
  }

  /** No honest validator signs two different messages of one kind at one height and round. */
  private recordHonest(message: EngineMessage): void {
    const p = message.signed.payload
    const key = `${bytesToHex(message.signed.author)}:${message.type}:${p.height}:${p.round}`
    const signature = bytesToHex(message.signed.signature)
    const previous = this.honestSigned.get(key)
    if (previous !== undefined && previous !== signature) {
      this.violation(`honest validator signed two different ${message.type} messages at height ${p.height} round ${p.round}`)
    }
    this.honestSigned.set(key, signature)
  }

  broadcast(from: SimNode, bytes: Uint8Array, to?: SimNode[]): void {
    this.counters.broadcasts++
    if (this.replayPool.length < 500) this.replayPool.push(bytes)
    else this.replayPool[Math.floor(this.rng() * 500)] = bytes
    for (const peer of to ?? this.nodes) {
      if (peer === from || !this.reachable(from.index, peer.index)) continue
      if (this.rng() < this.dropRate) continue
      const copies = this.rng() < this.duplicateRate ? 2 : 1
      for (let i = 0; i < copies; i++) {
        const delay = this.options.minDelayMs + Math.floor(this.rng() * (this.options.maxDelayMs - this.options.minDelayMs + 1))
        this.at(delay, () => this.deliver(peer, bytes))
      }
    }
  }

  private deliver(node: SimNode, bytes: Uint8Array): void {
    if (!node.up) return
    this.counters.deliveries++
    if (bytes.length > this.options.maxMessageBytes) {
      this.counters.oversized++
      return
    }
    // Every peer gets the same bytes object, so decode and authenticate once per broadcast (unless benchmarking).
    let decoded = this.options.cacheRecovery ? this.decoded.get(bytes) : undefined
    if (decoded === undefined) {
      try {
        decoded = authenticateMessage(decodeWireMessage(bytes), (h, s) => this.recover(h, s), qbftBlockCodec)
      } catch (error) {
        decoded = (error as { code?: string }).code === 'INVALID_SIGNATURE' ? 'badSignature' : 'undecodable'
      }
      if (this.options.cacheRecovery) this.decoded.set(bytes, decoded)
    }
    if (typeof decoded === 'string') {
      this.counters[decoded]++
      return
    }
    this.input(node, { type: 'message', message: decoded })
  }

  private violation(message: string): never {
    throw new SimViolation(`${message} (seed ${this.options.seed}, t=${this.now}ms)`)
  }

  // ---- Byzantine behaviour ----------------------------------------------------------------------------------

  private signAs(node: SimNode, type: MessageType, payload: unknown): Uint8Array {
    const encodable =
      type === 'proposal' ? { ...(payload as { block: Block }), block: qbftBlockCodec.encode((payload as { block: Block }).block) } : payload
    return sign(signingHash(type, encodePayload(type, encodable)), node.key)
  }

  private byzantine(node: SimNode, message: EngineMessage, bytes: Uint8Array): void {
    const others = this.nodes.filter((p) => p !== node)
    const half = others.filter((_, i) => i % 2 === 0)
    const otherHalf = others.filter((_, i) => i % 2 === 1)
    const p = message.signed.payload
    switch (node.kind) {
      case 'silent':
        return
      case 'equivocate': {
        if (message.type !== 'proposal') return this.broadcast(node, bytes)
        const original = message.signed.payload.block
        const salt = keccak256(original.hash)
        const alt = makeBlock({ ...original.header, extraData: { ...original.header.extraData, vanity: salt } })
        const altPayload = { ...message.signed.payload, block: blockWithRound(alt, p.round) }
        const altMessage: EngineMessage = {
          ...message,
          signed: { payload: altPayload, signature: this.signAs(node, 'proposal', altPayload), author: node.address },
        }
        this.recordProposal(altMessage)
        this.broadcast(node, bytes, half)
        this.broadcast(node, encodeWireMessage(toWireMessage(altMessage, qbftBlockCodec)), otherHalf)
        return
      }
      case 'doubleVote': {
        this.broadcast(node, bytes, half)
        if (message.type !== 'prepare' && message.type !== 'commit') return this.broadcast(node, bytes, otherHalf)
        const digest = keccak256(message.signed.signature)
        const payload =
          message.type === 'prepare'
            ? { ...message.signed.payload, digest }
            : { ...message.signed.payload, digest, commitSeal: sign(digest, node.key) }
        const conflicting = { type: message.type, signed: { payload, signature: this.signAs(node, message.type, payload), author: node.address } }
        this.broadcast(node, encodeWireMessage(conflicting as unknown as WireMessage), otherHalf)
        return
      }
      case 'garbage': {
        this.broadcast(node, bytes)
        const junk = new Uint8Array(1 + Math.floor(this.rng() * 200))
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(this.rng() * 256)
        if (this.rng() < 0.5) junk[0] = 0x12 + Math.floor(this.rng() * 4)
        this.broadcast(node, junk)
        if (this.rng() < 0.2) this.broadcast(node, new Uint8Array(this.options.maxMessageBytes + 1).fill(0x13))
        // A well-formed message with a signature that does not match its content.
        const forged = { ...message, signed: { ...message.signed, signature: keccak256(bytes).slice(0, 32) } }
        const badSig = new Uint8Array(65)
        badSig.set(forged.signed.signature)
        this.broadcast(node, encodeWireMessage(toWireMessage({ ...forged, signed: { ...forged.signed, signature: badSig } } as EngineMessage, qbftBlockCodec)))
        return
      }
      case 'future': {
        this.broadcast(node, bytes)
        const height = p.height + BigInt(Math.floor(this.rng() * 15))
        const round = p.round + 1 + Math.floor(this.rng() * 40)
        const digest = keccak256(bigintToBytes(height + 1n))
        const prepare = { height, round, digest }
        this.broadcast(node, encodeWireMessage({ type: 'prepare', signed: { payload: prepare, signature: this.signAs(node, 'prepare', prepare), author: node.address } }))
        const rc = { height, round, prepared: undefined }
        this.broadcast(node, encodeWireMessage({ type: 'roundChange', signed: { payload: rc, signature: this.signAs(node, 'roundChange', rc), author: node.address }, preparedBlock: undefined, prepares: [] }))
        return
      }
      case 'replay': {
        this.broadcast(node, bytes)
        const old = this.replayPool[Math.floor(this.rng() * this.replayPool.length)]
        if (old) this.broadcast(node, old)
        return
      }
    }
  }

  quorum(): number {
    return quorumSize(this.validators.length)
  }
}

export function createSimNetwork(options: SimOptions): SimNetwork {
  return new SimNetwork(options)
}
