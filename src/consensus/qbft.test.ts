import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EMPTY_OMMERS_HASH, EMPTY_TRIE_ROOT, QBFT_MIX_HASH } from '../chain/header.js'
import { blockHash, commitSealHash } from '../chain/seal.js'
import type { Block } from '../chain/types.js'
import { keccak256 } from '../crypto/keccak.js'
import { privateKeyToAddress, recoverAddress, sign } from '../crypto/secp256k1.js'
import { bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { authenticateMessage, signPayload, toWireMessage, type EngineMessage } from './authenticate.js'
import { qbftBlockCodec } from './blockCodec.js'
import { decodeWireMessage, encodeWireMessage } from './messages.js'
import { faultTolerance, proposerForRound, quorumSize, sortValidators } from './proposer.js'
import { createQbftEngine, roundTimeoutMs, walOf, type QbftEngine } from './qbft.js'
import type { QbftConfig, QbftEffect, QbftState } from './types.js'
import { hasCommitQuorum } from './verifyCommittedBlock.js'
import { decodeWal, encodeWal } from './wal.js'

const recover = (hash: Uint8Array, sig: Uint8Array) => {
  try {
    return recoverAddress(hash, sig)
  } catch {
    return undefined
  }
}
const keys = Array.from({ length: 4 }, (_, i) => keccak256(Uint8Array.of(7, i)))
const addresses = keys.map((k) => privateKeyToAddress(k))
const sorted = sortValidators(addresses)
const keyOf = (address: Uint8Array) => keys[addresses.findIndex((a) => bytesToHex(a) === bytesToHex(address))] as Uint8Array

function config(key: Uint8Array, overrides: Partial<QbftConfig> = {}): QbftConfig {
  return {
    self: privateKeyToAddress(key),
    sign: (hash) => sign(hash, key),
    recoverSigner: recover,
    blockCodec: qbftBlockCodec,
    blockPeriodMs: 0,
    baseRoundTimeoutMs: 1000,
    maxRoundTimeoutMs: 10_000,
    maxFutureHeights: 10,
    maxBufferedPerAuthor: 8,
    ...overrides,
  }
}

function block(height: bigint, round: number, coinbase: Uint8Array, salt = 0): Block {
  const header = {
    parentHash: new Uint8Array(32),
    ommersHash: EMPTY_OMMERS_HASH,
    coinbase,
    stateRoot: EMPTY_TRIE_ROOT,
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 1n,
    number: height,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: BigInt(salt),
    extraData: { vanity: new Uint8Array(32), validators: [], vote: undefined, round, seals: [] },
    mixHash: QBFT_MIX_HASH,
    nonce: new Uint8Array(8),
    baseFeePerGas: 0n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
  }
  return { header, hash: blockHash(header), transactions: [Uint8Array.of(1, 2, 3)], anchors: [] }
}

function run(engine: QbftEngine, state: QbftState, input: Parameters<QbftEngine['step']>[1]) {
  return engine.step(state, input)
}
const ofType = <T extends QbftEffect['type']>(effects: QbftEffect[], type: T) =>
  effects.filter((e): e is Extract<QbftEffect, { type: T }> => e.type === type)

test('quorum and fault tolerance follow Besu: ceil(2n/3), floor((n-1)/3)', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 10, 21].map(quorumSize), [1, 2, 2, 3, 4, 4, 5, 7, 14])
  assert.deepEqual([1, 4, 7, 10, 21].map(faultTolerance), [0, 1, 2, 3, 6])
})

test('proposer: round robin after the previous proposer, one step per round; a missing proposer starts at the next address', () => {
  const v = ['0x01', '0x02', '0x03', '0x04'].map((h) => hexToBytes(h.padEnd(42, '0')))
  const hex = (b: Uint8Array) => bytesToHex(b).slice(0, 4)
  assert.equal(hex(proposerForRound(v, v[0]!, 0)), '0x02')
  assert.equal(hex(proposerForRound(v, v[0]!, 1)), '0x03')
  assert.equal(hex(proposerForRound(v, v[3]!, 0)), '0x01')
  assert.equal(hex(proposerForRound(v, v[3]!, 6)), '0x03')
  // Genesis (coinbase zero) is not a validator: height 1 round 0 goes to the lowest address.
  assert.equal(hex(proposerForRound(v, new Uint8Array(20), 0)), '0x01')
  assert.equal(hex(proposerForRound(v, hexToBytes('0x025'.padEnd(42, '0')), 0)), '0x03')
})

test('round timeouts double per round up to the cap', () => {
  const c = { baseRoundTimeoutMs: 1000, maxRoundTimeoutMs: 10_000 }
  assert.deepEqual([0, 1, 2, 3, 4, 5, 100, 5000].map((r) => roundTimeoutMs(c, r)), [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000])
})

test('n = 1: the single validator proposes, prepares, commits and finalizes in one step after its block is built', () => {
  const key = keys[0] as Uint8Array
  const self = privateKeyToAddress(key)
  const engine = createQbftEngine(config(key))
  let s = engine.initialState()
  let previousProposer: Uint8Array = new Uint8Array(20)
  for (const height of [1n, 2n]) {
    let r = run(engine, s, { type: 'newHeight', height, validators: [self], previousProposer })
    assert.equal(ofType(r.effects, 'scheduleTimeout').find((e) => e.timer === 'blockPeriod')?.delayMs, 0)
    s = r.state
    r = run(engine, s, { type: 'blockPeriodTimeout', height })
    assert.deepEqual(ofType(r.effects, 'buildBlock'), [{ type: 'buildBlock', height, round: 0 }])
    s = r.state
    const cpu = process.cpuUsage()
    r = run(engine, s, { type: 'blockBuilt', height, round: 0, block: block(height, 0, self) })
    const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000
    assert.equal(r.effects[0]?.type, 'persist', 'persist comes before any broadcast')
    assert.deepEqual(ofType(r.effects, 'broadcast').map((e) => e.message.type), ['proposal', 'prepare', 'commit'])
    const [commit] = ofType(r.effects, 'commitBlock')
    assert.ok(commit, 'finalized')
    assert.equal(commit.block.header.extraData.seals.length, 1)
    assert.ok(hasCommitQuorum(commit.block, [self], recover))
    assert.equal(r.state.finalized, true)
    // Height 1 warms the JIT; height 2 is the steady state.
    if (height === 2n) assert.ok(cpuMs < 10, `took ${cpuMs} ms of CPU`)
    s = r.state
    previousProposer = self
  }
})

test('step does not mutate the state it is given', () => {
  const engine = createQbftEngine(config(keys[0] as Uint8Array))
  const s0 = run(engine, engine.initialState(), { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) }).state
  const snapshot = JSON.stringify(s0, (_, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Map ? [...v] : v))
  run(engine, s0, { type: 'roundTimeout', height: 1n, round: 0 })
  assert.equal(JSON.stringify(s0, (_, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Map ? [...v] : v)), snapshot)
})

/** Four engines wired by hand, delivering every broadcast to everyone (through the wire encoding). */
function network() {
  const engines = keys.map((k) => createQbftEngine(config(k)))
  const states = engines.map((e) => e.initialState())
  const committed: (Block | undefined)[] = [undefined, undefined, undefined, undefined]
  const sent: EngineMessage[] = []
  const stepAll = (i: number, input: Parameters<QbftEngine['step']>[1]) => {
    const queue: [number, Parameters<QbftEngine['step']>[1]][] = [[i, input]]
    while (queue.length) {
      const [j, inp] = queue.shift()!
      const r = engines[j]!.step(states[j]!, inp)
      states[j] = r.state
      for (const e of r.effects) {
        if (e.type === 'broadcast') {
          sent.push(e.message)
          const bytes = encodeWireMessage(toWireMessage(e.message, qbftBlockCodec))
          const decoded = authenticateMessage(decodeWireMessage(bytes), recover, qbftBlockCodec)
          for (let k = 0; k < 4; k++) if (k !== j) queue.push([k, { type: 'message', message: decoded }])
        } else if (e.type === 'buildBlock') {
          queue.push([j, { type: 'blockBuilt', height: e.height, round: e.round, block: block(e.height, e.round, addresses[j]!, e.round + 1) }])
        } else if (e.type === 'validateBlock') {
          queue.push([j, { type: 'blockValidated', height: e.height, round: e.round, digest: e.block.hash, valid: true }])
        } else if (e.type === 'commitBlock') committed[j] = e.block
      }
    }
  }
  return { engines, states, committed, sent, stepAll }
}

test('n = 4: a proposal reaches every validator and all four finalize the same block with a quorum of seals', () => {
  const net = network()
  for (let i = 0; i < 4; i++) net.stepAll(i, { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) })
  const proposer = addresses.findIndex((a) => bytesToHex(a) === bytesToHex(sorted[0]!))
  net.stepAll(proposer, { type: 'blockPeriodTimeout', height: 1n })
  const hashes = net.committed.map((b) => (b ? bytesToHex(b.hash) : 'none'))
  assert.equal(new Set(hashes).size, 1)
  assert.notEqual(hashes[0], 'none')
  for (const b of net.committed) assert.ok(b && hasCommitQuorum(b, addresses, recover))
})

test('n = 4: after a round-0 timeout everyone moves to round 1, whose proposer builds with a round-change justification', () => {
  const net = network()
  for (let i = 0; i < 4; i++) net.stepAll(i, { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) })
  for (let i = 0; i < 4; i++) net.stepAll(i, { type: 'roundTimeout', height: 1n, round: 0 })
  const proposal = net.sent.find((m) => m.type === 'proposal')
  assert.ok(proposal && proposal.type === 'proposal')
  assert.equal(proposal.signed.payload.round, 1)
  assert.equal(bytesToHex(proposal.signed.author), bytesToHex(sorted[1]!))
  assert.ok(proposal.roundChanges.length >= 3)
  assert.ok(net.committed.every((b) => b?.header.extraData.round === 1))
})

test('a prepared block is re-proposed in the next round (the lock carries over through round changes)', () => {
  const net = network()
  for (let i = 0; i < 4; i++) net.stepAll(i, { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) })
  // Round 0: a proposal is prepared everywhere, but no commit gets through (drop commits by hand).
  const proposerIndex = addresses.findIndex((a) => bytesToHex(a) === bytesToHex(sorted[0]!))
  const engine = net.engines[proposerIndex]!
  let r = engine.step(net.states[proposerIndex]!, { type: 'blockPeriodTimeout', height: 1n })
  r = engine.step(r.state, { type: 'blockBuilt', height: 1n, round: 0, block: block(1n, 0, sorted[0]!, 99) })
  const proposal = ofType(r.effects, 'broadcast').find((e) => e.message.type === 'proposal')!.message
  const roundZeroDigest = bytesToHex((proposal.signed.payload as { block: Block }).block.hash)
  net.states[proposerIndex] = r.state
  const prepares: EngineMessage[] = [ofType(r.effects, 'broadcast').find((e) => e.message.type === 'prepare')!.message]
  for (let i = 0; i < 4; i++) {
    if (i === proposerIndex) continue
    let s = net.engines[i]!.step(net.states[i]!, { type: 'message', message: proposal })
    const v = ofType(s.effects, 'validateBlock')[0]!
    s = net.engines[i]!.step(s.state, { type: 'blockValidated', height: 1n, round: 0, digest: v.block.hash, valid: true })
    net.states[i] = s.state
    prepares.push(ofType(s.effects, 'broadcast')[0]!.message)
  }
  for (let i = 0; i < 4; i++) {
    for (const p of prepares) if (bytesToHex(p.signed.author) !== bytesToHex(addresses[i]!)) net.states[i] = net.engines[i]!.step(net.states[i]!, { type: 'message', message: p }).state
    assert.equal(net.states[i]!.prepared?.round, 0, `validator ${i} prepared`)
  }
  for (let i = 0; i < 4; i++) net.stepAll(i, { type: 'roundTimeout', height: 1n, round: 0 })
  const reproposal = net.sent.find((m) => m.type === 'proposal' && m.signed.payload.round === 1)
  assert.ok(reproposal && reproposal.type === 'proposal')
  assert.equal(bytesToHex(reproposal.signed.payload.block.hash), roundZeroDigest, 'same block, new round')
  assert.ok(reproposal.prepares.length >= 3, 'carries the prepared certificate')
  assert.ok(net.committed.every((b) => b && bytesToHex(b.hash) === roundZeroDigest))
})

test('duplicates, equivocations, non-validators, wrong proposers and unjustified proposals are dropped and counted', () => {
  const engine = createQbftEngine(config(keys[0] as Uint8Array))
  let s = run(engine, engine.initialState(), { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) }).state
  const other = addresses[1]!
  const prepare = (digest: Uint8Array, key = keyOf(other), round = 0): EngineMessage => ({
    type: 'prepare',
    signed: signPayload('prepare', { height: 1n, round, digest }, (h) => sign(h, key), privateKeyToAddress(key), qbftBlockCodec),
  })
  const d1 = keccak256(Uint8Array.of(1))
  s = run(engine, s, { type: 'message', message: prepare(d1) }).state
  s = run(engine, s, { type: 'message', message: prepare(d1) }).state
  assert.equal(s.stats.duplicate, 1)
  s = run(engine, s, { type: 'message', message: prepare(keccak256(Uint8Array.of(2))) }).state
  assert.equal(s.stats.conflicting, 1)
  const outsider = keccak256(Uint8Array.of(99))
  s = run(engine, s, { type: 'message', message: prepare(d1, outsider) }).state
  assert.equal(s.stats.nonValidator, 1)
  // A round-0 proposal from someone who is not round 0's proposer.
  const notProposer = addresses.find((a) => bytesToHex(a) !== bytesToHex(sorted[0]!))!
  const wrong = signPayload('proposal', { height: 1n, round: 0, block: block(1n, 0, notProposer) }, (h) => sign(h, keyOf(notProposer)), notProposer, qbftBlockCodec)
  s = run(engine, s, { type: 'message', message: { type: 'proposal', signed: wrong, roundChanges: [], prepares: [] } }).state
  assert.equal(s.stats.wrongProposer, 1)
  // A round-1 proposal from round 1's proposer without a round-change quorum.
  const p1 = sorted[1]!
  const unjustified = signPayload('proposal', { height: 1n, round: 1, block: block(1n, 1, p1) }, (h) => sign(h, keyOf(p1)), p1, qbftBlockCodec)
  const r = run(engine, s, { type: 'message', message: { type: 'proposal', signed: unjustified, roundChanges: [], prepares: [] } })
  assert.equal(r.state.stats.invalid, 1)
  assert.equal(r.state.round, 0, 'an unjustified future proposal does not move the round')
  assert.equal(ofType(r.effects, 'validateBlock').length, 0)
})

test('future-round messages are buffered within bounds and replayed on entering the round', () => {
  const engine = createQbftEngine(config(keys[0] as Uint8Array))
  let s = run(engine, engine.initialState(), { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) }).state
  const other = addresses[2]!
  for (let round = 1; round <= 12; round++) {
    const signed = signPayload('prepare', { height: 1n, round, digest: keccak256(Uint8Array.of(round)) }, (h) => sign(h, keyOf(other)), other, qbftBlockCodec)
    s = run(engine, s, { type: 'message', message: { type: 'prepare', signed } }).state
  }
  assert.equal(s.futureRound.length, 8, 'bounded per sender')
  assert.equal(s.stats.overflow, 4)
  s = run(engine, s, { type: 'roundTimeout', height: 1n, round: 0 }).state
  assert.equal(s.round, 1)
  assert.equal(s.prepares.has(bytesToHex(other)), true, 'the round-1 prepare was replayed')
  assert.equal(s.futureRound.length, 7)
})

test('f+1 round changes for later rounds pull a validator forward', () => {
  const engine = createQbftEngine(config(keys[0] as Uint8Array))
  let s = run(engine, engine.initialState(), { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) }).state
  const rc = (key: Uint8Array, round: number): EngineMessage => ({
    type: 'roundChange',
    signed: signPayload('roundChange', { height: 1n, round, prepared: undefined }, (h) => sign(h, key), privateKeyToAddress(key), qbftBlockCodec),
    preparedBlock: undefined,
    prepares: [],
  })
  s = run(engine, s, { type: 'message', message: rc(keys[1]!, 5) }).state
  assert.equal(s.round, 0, 'one validator (possibly faulty) is not enough')
  const r = run(engine, s, { type: 'message', message: rc(keys[2]!, 3) })
  assert.equal(r.state.round, 3, 'f+1 = 2 validators at rounds >= 3')
  assert.ok(ofType(r.effects, 'broadcast').some((e) => e.message.type === 'roundChange' && e.message.signed.payload.round === 3))
})

test('the WAL round-trips through bytes, and a restarted validator re-sends, never re-signs differently', () => {
  const net = network()
  for (let i = 0; i < 4; i++) net.stepAll(i, { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) })
  for (let i = 0; i < 4; i++) net.stepAll(i, { type: 'roundTimeout', height: 1n, round: 0 })
  const i = 1
  const wal = walOf(net.states[i]!)
  const restored = decodeWal(encodeWal(wal, qbftBlockCodec), recover, qbftBlockCodec)
  assert.equal(restored.height, wal.height)
  assert.equal(restored.round, wal.round)
  assert.equal(restored.prepared?.round, wal.prepared?.round)
  assert.deepEqual(restored.sent.map((m) => bytesToHex(m.signed.signature)), wal.sent.map((m) => bytesToHex(m.signed.signature)))
  // Restart validator i from the WAL: it resumes the round and re-broadcasts the very same messages.
  const engine = net.engines[i]!
  const r = engine.step(engine.initialState(), { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20), wal: restored })
  assert.equal(r.state.round, wal.round)
  const resent = ofType(r.effects, 'broadcast').map((e) => bytesToHex(e.message.signed.signature))
  assert.deepEqual(resent, wal.sent.map((m) => bytesToHex(m.signed.signature)))
  // A different proposal for that round gets no second prepare from it.
  const proposer = proposerForRound(sorted, new Uint8Array(20), wal.round)
  const other = signPayload('proposal', { height: 1n, round: wal.round, block: block(1n, wal.round, proposer, 12345) }, (h) => sign(h, keyOf(proposer)), proposer, qbftBlockCodec)
  let s = engine.step(r.state, { type: 'message', message: { type: 'proposal', signed: other, roundChanges: net.sent.filter((m) => m.type === 'roundChange').map((m) => m.signed as never), prepares: [] } })
  const v = ofType(s.effects, 'validateBlock')[0]
  if (v) s = engine.step(s.state, { type: 'blockValidated', height: 1n, round: wal.round, digest: v.block.hash, valid: true })
  assert.equal(ofType(s.effects, 'broadcast').filter((e) => e.message.type === 'prepare').length, 0)
})

test('a commit with a seal that does not match its sender is dropped and counted', () => {
  const net = network()
  for (let i = 0; i < 4; i++) net.stepAll(i, { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) })
  const proposerIndex = addresses.findIndex((a) => bytesToHex(a) === bytesToHex(sorted[0]!))
  const watcher = (proposerIndex + 1) % 4
  const engine = net.engines[watcher]!
  const b = block(1n, 0, sorted[0]!, 5)
  const proposal = signPayload('proposal', { height: 1n, round: 0, block: b }, (h) => sign(h, keyOf(sorted[0]!)), sorted[0]!, qbftBlockCodec)
  let s = engine.step(net.states[watcher]!, { type: 'message', message: { type: 'proposal', signed: proposal, roundChanges: [], prepares: [] } })
  s = engine.step(s.state, { type: 'blockValidated', height: 1n, round: 0, digest: b.hash, valid: true })
  const liar = addresses[(watcher + 1) % 4]!
  const badSeal = sign(commitSealHash(b.header), keyOf(addresses[(watcher + 2) % 4]!))
  const commit = signPayload('commit', { height: 1n, round: 0, digest: b.hash, commitSeal: badSeal }, (h) => sign(h, keyOf(liar)), liar, qbftBlockCodec)
  s = engine.step(s.state, { type: 'message', message: { type: 'commit', signed: commit } })
  assert.equal(s.state.stats.badCommitSeal, 1)
})

test('the validator set is per height: a removed validator is an outsider at the next height, and proposers follow the new set', () => {
  const engine = createQbftEngine(config(keys[0] as Uint8Array))
  const removed = sorted[3]!
  const remaining = sorted.slice(0, 3)
  let s = run(engine, engine.initialState(), { type: 'newHeight', height: 5n, validators: remaining, previousProposer: sorted[0]! }).state
  assert.equal(s.validators.length, 3)
  const prepare = signPayload('prepare', { height: 5n, round: 0, digest: keccak256(Uint8Array.of(5)) }, (h) => sign(h, keyOf(removed)), removed, qbftBlockCodec)
  s = run(engine, s, { type: 'message', message: { type: 'prepare', signed: prepare } }).state
  assert.equal(s.stats.nonValidator, 1)
  // Round 0 of height 5 goes to the validator after the parent's proposer in the new set.
  assert.equal(bytesToHex(proposerForRound(s.validators, sorted[0]!, 0)), bytesToHex(remaining[1]!))
})

test('consensus imports only primitives, crypto and chain encoding (it stays pure)', async () => {
  const { readdirSync, readFileSync } = await import('node:fs')
  const dir = new URL('.', import.meta.url)
  const allowed = [/^\.\/[a-zA-Z]+\.js$/, /^\.\.\/primitives\//, /^\.\.\/crypto\/keccak\.js$/, /^\.\.\/chain\/(header|seal|types|qbftExtraData)\.js$/]
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const source = readFileSync(new URL(file, dir), 'utf8')
    for (const [, spec] of source.matchAll(/from '([^']+)'/g)) {
      assert.ok(allowed.some((re) => re.test(spec as string)), `${file} imports ${spec}`)
    }
  }
})

test('a round no quorum has reached gets one extra timeout (its round change re-sent); a quorum arriving restarts the timer', () => {
  const engine = createQbftEngine(config(keys[0] as Uint8Array))
  let s = run(engine, engine.initialState(), { type: 'newHeight', height: 1n, validators: addresses, previousProposer: new Uint8Array(20) }).state
  s = run(engine, s, { type: 'roundTimeout', height: 1n, round: 0 }).state
  assert.equal(s.round, 1)
  let r = run(engine, s, { type: 'roundTimeout', height: 1n, round: 1 })
  assert.equal(r.state.round, 1, 'alone in round 1: wait one more timeout')
  assert.deepEqual(ofType(r.effects, 'broadcast').map((e) => e.message.type), ['roundChange'])
  assert.equal(ofType(r.effects, 'scheduleTimeout')[0]?.round, 1)
  r = run(engine, r.state, { type: 'roundTimeout', height: 1n, round: 1 })
  assert.equal(r.state.round, 2, 'then move on')
  // In round 2, round changes from two others make a quorum (with ours): the round timer restarts once.
  s = r.state
  const rc = (key: Uint8Array): EngineMessage => ({
    type: 'roundChange',
    signed: signPayload('roundChange', { height: 1n, round: 2, prepared: undefined }, (h) => sign(h, key), privateKeyToAddress(key), qbftBlockCodec),
    preparedBlock: undefined,
    prepares: [],
  })
  const others = keys.slice(1).filter((k) => bytesToHex(privateKeyToAddress(k)) !== bytesToHex(proposerForRound(sorted, new Uint8Array(20), 2)))
  s = run(engine, s, { type: 'message', message: rc(others[0]!) }).state
  r = run(engine, s, { type: 'message', message: rc(others[1]!) })
  assert.ok(ofType(r.effects, 'scheduleTimeout').some((e) => e.timer === 'round' && e.round === 2), 'timer restarted on quorum')
  r = run(engine, r.state, { type: 'roundTimeout', height: 1n, round: 2 })
  assert.equal(r.state.round, 3, 'a round a quorum reached times out normally')
})
