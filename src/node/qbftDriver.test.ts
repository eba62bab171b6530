import { test } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import type { Block } from '../chain/types.js'
import { keccak256 } from '../crypto/keccak.js'
import { privateKeyToAddress, sign } from '../crypto/secp256k1.js'
import { bytesToHex } from '../primitives/bytes.js'
import { createMemoryStore, openLmdbStore, type KvStore } from '../state/kvStore.js'
import { hasCommitQuorum } from '../consensus/verifyCommittedBlock.js'
import { recoverAddress } from '../crypto/secp256k1.js'
import { createGenesis, fakeBlock } from '../../test/sim/simNetwork.js'
import { createQbftDriver, type Clock, type QbftDriver, type QbftDriverOptions } from './qbftDriver.js'

/** A clock driven by the test: timers fire only when advanced. */
function manualClock() {
  let now = 0
  let nextId = 0
  const timers = new Map<number, { at: number; callback: () => void }>()
  const clock: Clock & { advance(ms: number, settle: () => Promise<void>): Promise<void> } = {
    now: () => now,
    setTimer(delayMs, callback) {
      timers.set(++nextId, { at: now + delayMs, callback })
      return nextId
    },
    clearTimer: (handle) => void timers.delete(handle as number),
    async advance(ms, settle) {
      const end = now + ms
      for (;;) {
        await settle()
        const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0]
        if (!due) break
        timers.delete(due[0])
        now = due[1].at
        due[1].callback()
      }
      now = end
      await settle()
    },
  }
  return clock
}

const recover = (hash: Uint8Array, sig: Uint8Array) => {
  try {
    return recoverAddress(hash, sig)
  } catch {
    return undefined
  }
}

interface TestNode {
  key: Uint8Array
  address: Uint8Array
  store: KvStore
  chain: Block[]
  driver: QbftDriver
  sent: Uint8Array[]
  commitTimes: number[]
  commitCpu: NodeJS.CpuUsage[]
}

function makeNodes(count: number, clock: Clock, overrides: Partial<QbftDriverOptions> = {}, connect = true): TestNode[] {
  const keys = Array.from({ length: count }, (_, i) => keccak256(Uint8Array.of(42, i)))
  const validators = keys.map((k) => privateKeyToAddress(k))
  const genesis = createGenesis(validators)
  const nodes: TestNode[] = []
  for (const key of keys) {
    const address = privateKeyToAddress(key)
    const node = { key, address, store: createMemoryStore(), chain: [genesis], sent: [], commitTimes: [], commitCpu: [] } as unknown as TestNode
    node.driver = makeDriver(node, validators, clock, nodes, overrides, connect)
    nodes.push(node)
  }
  return nodes
}

function makeDriver(node: TestNode, validators: Uint8Array[], clock: Clock, peers: TestNode[], overrides: Partial<QbftDriverOptions>, connect: boolean) {
  const tip = () => node.chain[node.chain.length - 1] as Block
  return createQbftDriver({
    address: node.address,
    sign: (hash) => sign(hash, node.key),
    buildBlock: async (height, round) => fakeBlock(tip(), height, round, node.address, keccak256(Uint8Array.of(round))),
    validateBlock: async (block) => block.header.number === tip().header.number + 1n && bytesToHex(block.header.parentHash) === bytesToHex(tip().hash),
    commitBlock: async (block) => {
      node.commitTimes.push(performance.now())
      node.commitCpu.push(process.cpuUsage())
      node.chain.push(block)
    },
    broadcast: (bytes) => {
      node.sent.push(bytes)
      if (connect) for (const peer of peers) if (peer !== node) peer.driver.onMessage(bytes)
    },
    validators: () => validators,
    head: () => tip().header,
    store: node.store,
    clock,
    blockPeriodMs: 100,
    ...overrides,
  })
}

const settleAll = (nodes: TestNode[]) => async () => {
  // Let promise callbacks (build, validate, commit) run, then wait for every queue to drain.
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    await Promise.all(nodes.map((n) => n.driver.idle()))
  }
}

test('dev mode, n = 1: waits for pending transactions, then proposes, commits and finalizes by itself at once', async () => {
  const clock = manualClock()
  let pending = false
  const [n] = makeNodes(1, clock, {}, false) as [TestNode]
  let builtAt = 0
  let builtCpu = process.cpuUsage()
  n.driver = makeDriver(n, [n.address], clock, [n], {
    blockPeriodMs: 0,
    emptyBlocks: false,
    hasPendingTransactions: () => pending,
    buildBlock: async (height, round) => {
      const block = fakeBlock(n.chain[n.chain.length - 1] as Block, height, round, n.address)
      pending = false // the block takes every pending transaction
      builtAt = performance.now()
      builtCpu = process.cpuUsage()
      return block
    },
  }, false)
  const settle = settleAll([n])
  await n.driver.start()
  await clock.advance(60_000, settle)
  assert.equal(n.chain.length, 1, 'no empty blocks while nothing is pending')
  pending = true
  n.driver.notifyPendingTransactions()
  await clock.advance(0, settle)
  assert.equal(n.chain.length, 2, 'one block finalized')
  const block = n.chain[1] as Block
  assert.ok(hasCommitQuorum(block, [n.address], recover))
  assert.ok(n.store.get('wal', new TextEncoder().encode('qbft')), 'the WAL was written')
  await clock.advance(60_000, settle)
  assert.equal(n.chain.length, 2, 'idle again once nothing is pending')
  pending = true
  n.driver.notifyPendingTransactions()
  await clock.advance(0, settle)
  assert.equal(n.chain.length, 3, 'the next transaction starts the next height at once')
  // CPU time from the built block to the commit call (second block: the first one warms the JIT): the engine
  // step, four signatures, the WAL write and the queue hops.
  const commitCpu = n.commitCpu[1] as NodeJS.CpuUsage
  const engineCpuMs = (commitCpu.user - builtCpu.user + commitCpu.system - builtCpu.system) / 1000
  assert.ok(engineCpuMs < 10, `finalized ${engineCpuMs.toFixed(2)} ms of CPU after the block was built`)
  assert.ok((n.commitTimes[1] as number) - builtAt < 1000, 'and promptly in wall time')
  await n.driver.stop()
})

test('n = 4 drivers on an in-memory bus finalize the same chain; junk input is dropped and counted', async () => {
  const clock = manualClock()
  const nodes = makeNodes(4, clock)
  for (const n of nodes) await n.driver.start()
  const settle = settleAll(nodes)
  await clock.advance(2_000, settle)
  const heights = nodes.map((n) => n.chain.length - 1)
  assert.ok(Math.min(...heights) >= 5, `heights ${heights}`)
  const h = Math.min(...heights)
  const tips = new Set(nodes.map((n) => bytesToHex((n.chain[h] as Block).hash)))
  assert.equal(tips.size, 1, 'agreement')
  const target = nodes[0]!.driver
  target.onMessage(new Uint8Array(20 * 1024 * 1024))
  target.onMessage(Uint8Array.of(0x13, 0xc0))
  const prepare = nodes[1]!.sent.find((b) => b[0] === 0x13)!
  const badRecoveryId = prepare.slice()
  badRecoveryId[badRecoveryId.length - 1] = 7
  target.onMessage(badRecoveryId)
  // A tampered signature recovers some other address: an outsider, counted by the engine.
  const tampered = prepare.slice()
  tampered[tampered.length - 2]! ^= 0xff
  target.onMessage(tampered)
  target.onMessage(prepare)
  await settle()
  const stats = target.status().stats
  assert.equal(stats.oversized, 1)
  assert.equal(stats.undecodable, 1)
  assert.equal(stats.badSignature, 1)
  assert.ok(stats.nonValidator + stats.old >= 1)
  assert.ok(stats.duplicate + stats.old >= 1, 'a replayed prepare is a duplicate or old')
  for (const n of nodes) await n.driver.stop()
})

for (const backend of ['memory', 'lmdb'] as const) {
  test(`a restarted driver resumes from its WAL (${backend} store): same round, the very same signed messages, no new ones`, async () => {
    const clock = manualClock()
    // Only one of four validators is up: no quorum, so it times out and sends a round change.
    const nodes = makeNodes(4, clock, {}, false)
    const lone = nodes[0] as TestNode
    const dir = backend === 'lmdb' ? mkdtempSync(join(tmpdir(), 'stele-qbft-wal-')) : undefined
    try {
      if (dir) {
        lone.store = openLmdbStore(dir)
        lone.driver = makeDriver(lone, nodes.map((n) => n.address), clock, [lone], {}, false)
      }
      await lone.driver.start()
      await clock.advance(1_200, settleAll([lone]))
      const before = lone.driver.status()
      assert.ok(before.round >= 1, 'timed out into a later round')
      const lastRoundChange = lone.sent.filter((b) => b[0] === 0x15).at(-1) as Uint8Array
      await lone.driver.stop()
      if (dir) {
        await lone.store.close()
        lone.store = openLmdbStore(dir)
      }

      const sentBefore = lone.sent.length
      lone.driver = makeDriver(lone, nodes.map((n) => n.address), clock, [lone], {}, false)
      await lone.driver.start()
      await settleAll([lone])()
      const after = lone.driver.status()
      assert.equal(after.height, before.height)
      assert.equal(after.round, before.round)
      const resent = lone.sent.slice(sentBefore)
      assert.ok(resent.some((b) => bytesToHex(b) === bytesToHex(lastRoundChange)), 'the round change is re-sent byte for byte')
      assert.equal(resent.filter((b) => b[0] === 0x15).length, 1, 'and no second, different one for that round')
      await lone.driver.stop()
    } finally {
      if (dir) {
        await lone.store.close()
        rmSync(dir, { recursive: true, force: true })
      }
    }
  })
}

test('a round timer that expires while the validator validates the proposal is held, then re-armed for a full timeout', async () => {
  const clock = manualClock()
  let release: (valid: boolean) => void = () => {}
  const validation = new Promise<boolean>((resolve) => (release = resolve))
  // Validation of anyone's proposal waits for the test; the proposer never validates its own block.
  const nodes = makeNodes(4, clock, { validateBlock: () => validation }, false)
  const settle = settleAll(nodes)
  for (const n of nodes) await n.driver.start()
  await clock.advance(150, settle)
  const proposer = nodes.find((n) => n.sent.some((b) => b[0] === 0x12)) as TestNode
  assert.ok(proposer, 'the round-0 proposer proposed after the block period')
  const target = nodes.find((n) => n !== proposer) as TestNode
  target.driver.onMessage(proposer.sent.find((b) => b[0] === 0x12) as Uint8Array)
  await settle()
  // Round 0's timer (block period 100 + timeout 1000) expires long before the validation ends.
  await clock.advance(5_000, settle)
  assert.equal(target.driver.status().round, 0, 'still in round 0 while its own validation runs')
  assert.ok(target.driver.status().stats.deferredTimeouts >= 1, 'the expiry was held')
  assert.equal(target.sent.filter((b) => b[0] === 0x15).length, 0, 'no round change meanwhile')
  release(true)
  await settle()
  assert.equal(target.sent.filter((b) => b[0] === 0x13).length, 1, 'validated: it prepared')
  // The re-armed timer counts from the end of the validation: a full round-0 timeout, and then it does fire.
  await clock.advance(999, settle)
  assert.equal(target.driver.status().round, 0)
  await clock.advance(2, settle)
  assert.equal(target.driver.status().round, 1, 'liveness: without a quorum the round still ends')
  assert.equal(target.sent.filter((b) => b[0] === 0x15).length, 1, 'with a round change')
  for (const n of nodes) await n.driver.stop()
})

test('resendCurrentRound broadcasts the current round’s own messages again, byte for byte, and nothing new', async () => {
  const clock = manualClock()
  // A lone validator of four (no messages delivered): it times out into round 1 and sends a round change.
  const nodes = makeNodes(4, clock, {}, false)
  const lone = nodes[0] as TestNode
  await lone.driver.start()
  await clock.advance(1_200, settleAll([lone]))
  assert.ok(lone.driver.status().round >= 1)
  const roundChange = lone.sent.filter((b) => b[0] === 0x15).at(-1) as Uint8Array
  const before = lone.sent.length
  lone.driver.resendCurrentRound()
  await settleAll([lone])()
  const resent = lone.sent.slice(before)
  assert.equal(resent.length, 1, 'only the round change of the current round')
  assert.equal(bytesToHex(resent[0] as Uint8Array), bytesToHex(roundChange))
  assert.equal(lone.driver.status().stats.resends, 1)
  await lone.driver.stop()
})

test('a validator prepared in its round waits one more timeout for commits (re-sending its own), then moves on', async () => {
  const clock = manualClock()
  const commits: Uint8Array[] = []
  // Everything is delivered except commits: every validator prepares round 0, none can finalize it.
  const nodes: TestNode[] = makeNodes(4, clock, {
    broadcast: (bytes) => {
      if (bytes[0] === 0x14) {
        commits.push(bytes)
        return
      }
      for (const peer of nodes) peer.driver.onMessage(bytes)
    },
  }, false)
  const settle = settleAll(nodes)
  for (const n of nodes) await n.driver.start()
  // Block period 100 + round-0 timeout 1000: prepared everywhere by then, so each timer is extended once.
  await clock.advance(1_150, settle)
  for (const n of nodes) {
    const status = n.driver.status()
    assert.equal(status.round, 0, 'still in round 0 after its timeout')
    assert.equal(status.stats.preparedExtensions, 1)
  }
  assert.equal(commits.length, 8, 'each validator sent its commit, then re-sent it once')
  await clock.advance(1_000, settle)
  for (const n of nodes) assert.equal(n.driver.status().round, 1, 'one extension only: then the round changes')
  for (const n of nodes) await n.driver.stop()
})
