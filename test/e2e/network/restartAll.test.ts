import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { keccak256 } from '../../../src/crypto/keccak.js'
import { bytesToHex } from '../../../src/primitives/bytes.js'
import { verifyProofBundle } from '../../../src/data/verify/verifyProof.js'
import { rpc, waitUntil } from '../processHarness.js'
import { runScenario } from './runScenario.js'

test('n=4: all validators restarted together resume the chain; anchor proofs from any node verify offline', { timeout: 240_000 }, async () => {
  await runScenario(
    {
      name: 'restart-all',
      validators: 4,
      blockPeriodMs: 200,
      transactions: 20,
      perturbations: [0, 1, 2, 3].map((node) => ({ node, atHeight: 5, action: 'restart' as const })),
      finalHeight: 12,
      timeoutMs: 120_000,
    },
    async (net) => {
      // Anchored through node 1, proved by node 2, verified against genesis alone: seals from 4 validators.
      const hash = bytesToHex(keccak256(new TextEncoder().encode(`localnet anchor ${net.dir}`)))
      await rpc(net.nodes[1]!.url, 'stele_anchor', [[hash]])
      await waitUntil('anchored on node 2', async () => {
        const [status] = await rpc<{ status: string }[]>(net.nodes[2]!.url, 'stele_getAnchorStatus', [[hash]])
        return status?.status === 'anchored' ? true : undefined
      }, 60_000, 100)
      const bundle = await rpc(net.nodes[2]!.url, 'stele_getAnchorProof', [hash])
      const genesis = JSON.parse(readFileSync(join(net.dir, 'net', 'genesis.json'), 'utf8')) as unknown
      const result = verifyProofBundle(bundle, genesis)
      assert.equal(result.valid, true, JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? v.toString() : v)))
    },
  )
})
