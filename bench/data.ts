import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { keccak256 } from '../src/crypto/keccak.js'
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
    verification[name] = {
      nativeColdPerSec: round(best(() => rate(roundMs, () => verifyProofBundle(text, genesis, { crypto: nativeVerifierCrypto })))),
      nativeSessionPerSec: round(best(() => rate(roundMs, () => nativeSession.verify(text)))),
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
