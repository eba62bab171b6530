import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { devGenesis } from '../src/cli/dev/devCommand.js'
import { deriveDevKeys } from '../src/crypto/hdKeys.js'
import { keccak256 } from '../src/crypto/keccak.js'
import { privateKeyToAddress } from '../src/crypto/secp256k1.js'
import { rpcCall } from '../src/data/cli/rpcCall.js'
import { startNode } from '../src/node/node.js'
import { bytesToHex, type Hex } from '../src/primitives/bytes.js'
import { silentLogger } from '../src/primitives/logger.js'
import { merkleRoot } from '../src/crypto/merkle.js'
import { anchorRoot, anchorTree } from '../src/data/anchorIndex.js'
import { createAnchorPool } from '../src/data/anchorPool.js'
import { nativeVerifierCrypto } from '../src/data/nativeVerifierCrypto.js'
import { buildProofScenario } from '../src/data/testing/proofScenario.js'
import { createProofVerifier, verifyProofBundle } from '../src/data/verify/verifyProof.js'
import { nobleVerifierCrypto } from '../src/data/verify/verifierCrypto.js'
import { progress, round } from './lib/stats.js'

export interface DataBenchOptions {
  /** Wall time per measurement round (default 400 ms); each figure is the best of `rounds` (default 3). */
  roundMs?: number
  rounds?: number
  /** Hashes anchored end to end through an in-process dev node (default 50,000; 0 skips the phase). */
  e2eHashes?: number
  signal?: AbortSignal
}

/**
 * `npm run bench -- data`: how fast the offline verifier checks proof bundles of a 4-validator chain, how
 * big the bundles are, and how fast hashes go through the anchor pool and into a block's Merkle root.
 * "cold" verifies each bundle from scratch (every seal recovered); "session" reuses one createProofVerifier,
 * which remembers seal recoveries, as an auditor checking many proofs of one chain would.
 * End-to-end anchoring through a dev node is measured elsewhere (later).
 */
export async function runDataBench(options: DataBenchOptions = {}): Promise<object> {
  const roundMs = options.roundMs ?? 400
  const rounds = options.rounds ?? 3
  const best = (fn: () => number) => Math.max(...Array.from({ length: rounds }, fn))

  progress('data: building a 4-validator proof scenario')
  const s = await buildProofScenario(4)
  const genesis = s.chain.genesis
  const bundles = {
    anchor: JSON.stringify(s.anchorEarly),
    anchorAfterSetChange: JSON.stringify(s.anchorLate),
    registration: JSON.stringify(s.registration),
    erc20Transfer: JSON.stringify(s.erc20Transfer),
  }
  for (const [name, text] of Object.entries(bundles)) {
    if (!verifyProofBundle(text, genesis, { crypto: nativeVerifierCrypto }).valid) throw new Error(`bench bundle ${name} does not verify`)
  }

  progress('data: proof verification')
  const verification: Record<string, Record<string, number | undefined>> = {}
  for (const [name, text] of Object.entries(bundles)) {
    const nativeSession = createProofVerifier(genesis, { crypto: nativeVerifierCrypto })
    const nobleSession = createProofVerifier(genesis, { crypto: nobleVerifierCrypto })
    const nativeCold = () => verifyProofBundle(text, genesis, { crypto: nativeVerifierCrypto })
    verification[name] = {
      nativeColdPerSec: round(best(() => rate(roundMs, nativeCold))),
      // Per second of this process's CPU time: on a shared host, wall-clock rates include other tenants' time.
      nativeColdPerCpuSec: round(best(() => cpuRate(roundMs, nativeCold))),
      nativeSessionPerSec: round(best(() => rate(roundMs, () => nativeSession.verify(text)))),
      nativeSessionPerCpuSec: round(best(() => cpuRate(roundMs, () => nativeSession.verify(text)))),
      nobleColdPerSec: round(best(() => rate(roundMs, () => verifyProofBundle(text, genesis, { crypto: nobleVerifierCrypto })))),
      nobleSessionPerSec: round(best(() => rate(roundMs, () => nobleSession.verify(text)))),
    }
  }

  const bundleBytes = Object.fromEntries(Object.entries(bundles).map(([name, text]) => [name, new TextEncoder().encode(text).length]))

  progress('data: anchor pool and Merkle roots')
  const batch = Array.from({ length: 10_000 }, (_, i) => keccak256(new Uint8Array([i & 255, (i >> 8) & 255, 1])))
  let generation = 0
  const poolHashesPerSec = best(() => {
    // A fresh pool and fresh hashes each round: submit 10,000, take them, commit them.
    generation++
    const hashes = batch.map((h) => {
      const x = h.slice()
      x[31] = generation & 255
      x[30] = (generation >> 8) & 255
      return x
    })
    const pool = createAnchorPool({ lookup: () => undefined })
    const start = performance.now()
    pool.submit(hashes)
    const taken = pool.take(10_000)
    pool.onBlockCommitted({ anchors: taken })
    return hashes.length / ((performance.now() - start) / 1000)
  })
  const rootNative = best(() => rate(roundMs, () => anchorRoot(batch), 1)) * batch.length
  const rootNoble = best(() => rate(roundMs, () => merkleRoot(batch, keccak_256), 1)) * batch.length
  const tree = anchorTree(batch)
  const proofsPerSec = best(() => rate(roundMs, (i) => tree.proof(i % batch.length)))

  const endToEnd = (options.e2eHashes ?? 50_000) > 0 ? await anchorThroughDevNode(options.e2eHashes ?? 50_000, options.signal) : { skipped: true }

  return {
    validators: 4,
    loadAverage1m: round(loadavg()[0]),
    goalVerifiedPerSec: 2000,
    verification,
    bundleBytes,
    anchoring: {
      poolSubmitTakeCommitHashesPerSec: round(poolHashesPerSec),
      merkleRootNativeHashesPerSec: round(rootNative),
      merkleRootNobleHashesPerSec: round(rootNoble),
      proofsFromBuiltTreePerSec: round(proofsPerSec),
      batchSize: batch.length,
    },
    endToEnd,
  }
}

/**
 * Anchors `count` fresh hashes through a one-validator dev node in this process, over HTTP JSON-RPC, in
 * calls of 10,000; measures until every hash is anchored, then fetches and verifies one anchor proof.
 */
async function anchorThroughDevNode(count: number, signal: AbortSignal | undefined): Promise<object> {
  progress(`data: anchoring ${count} hashes through a dev node`)
  const nodeKey = deriveDevKeys(2)[1]!.privateKey
  const genesis = devGenesis({ chainId: 1337n, validator: privateKeyToAddress(nodeKey), funded: [], balanceWei: 0n, gasLimit: 100_000_000n, baseFee: 1_000_000_000n })
  const node = await startNode({ genesis, nodeKey, dataDir: undefined, rpc: { host: '127.0.0.1', port: 0 }, clientVersion: 'stele/bench', logger: silentLogger })
  try {
    const url = node.rpc.url
    const salt = Date.now()
    const hashes: Hex[] = Array.from({ length: count }, (_, i) => bytesToHex(keccak256(new TextEncoder().encode(`bench ${salt} ${i}`))))
    const startHead = node.ledger.head().header.number
    const start = performance.now()
    const submitMs: number[] = []
    for (let i = 0; i < hashes.length; i += 10_000) {
      const t = performance.now()
      await rpcCall(url, 'stele_anchor', [hashes.slice(i, i + 10_000)], signal)
      submitMs.push(performance.now() - t)
    }
    const submittedAt = performance.now()
    const last = hashes[hashes.length - 1] as Hex
    const deadline = Date.now() + 300_000
    for (;;) {
      const [status] = (await rpcCall(url, 'stele_getAnchorStatus', [[last]], signal)) as { status: string }[]
      if (status?.status === 'anchored') break
      if (Date.now() > deadline) throw new Error('end-to-end anchoring did not finish within 300 s')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const doneAt = performance.now()
    const statuses = (await rpcCall(url, 'stele_getAnchorStatus', [hashes.slice(0, 10_000)], signal)) as { status: string }[]
    if (statuses.some((x) => x.status !== 'anchored')) throw new Error('the first batch is not all anchored')
    const proofStart = performance.now()
    const bundle = await rpcCall(url, 'stele_getAnchorProof', [hashes[Math.floor(count / 2)]], signal)
    const proofMs = performance.now() - proofStart
    const genesisJson = await rpcCall(url, 'stele_getGenesis', [], signal)
    const verified = verifyProofBundle(bundle, genesisJson, { crypto: nativeVerifierCrypto })
    if (!verified.valid) throw new Error(`the end-to-end anchor proof does not verify: ${verified.failedStep}`)
    return {
      hashes: count,
      blocks: Number(node.ledger.head().header.number - startHead),
      submitMsPerCallOf10k: round(submitMs.reduce((a, b) => a + b, 0) / submitMs.length),
      submitHashesPerSec: round(count / ((submittedAt - start) / 1000)),
      anchoredHashesPerSec: round(count / ((doneAt - start) / 1000)),
      lastAnchoredAfterMs: round(doneAt - start),
      anchorProofRpcMs: round(proofMs),
    }
  } finally {
    await node.stop()
  }
}

function cpuRate(ms: number, op: (i: number) => unknown, checkEvery = 16): number {
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  let n = 0
  for (;;) {
    for (let j = 0; j < checkEvery; j++) op(n++)
    if (performance.now() - start >= ms) {
      const used = process.cpuUsage(cpu0)
      return n / ((used.user + used.system) / 1e6)
    }
  }
}

function rate(ms: number, op: (i: number) => unknown, checkEvery = 16): number {
  const start = performance.now()
  let n = 0
  for (;;) {
    for (let j = 0; j < checkEvery; j++) op(n++)
    const elapsed = performance.now() - start
    if (elapsed >= ms) return n / (elapsed / 1000)
  }
}
