import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256 } from '../../crypto/keccak.js'
import { bytesToHex } from '../../primitives/bytes.js'
import { isSteleError } from '../../primitives/errors.js'
import { createAnchorPool } from '../anchorPool.js'
import { createDataRpcMethods } from '../rpcMethods.js'
import { buildProofScenario, SCENARIO_FILE } from '../testing/proofScenario.js'
import { anchorFiles, fetchProof } from './anchorFiles.js'
import { hashFile } from './hashFile.js'
import { verifyProofFile } from './verifyProofFile.js'

test('verify, anchor and fetch-proof commands over files and a loopback JSON-RPC server', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-data-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const s = await buildProofScenario(4)
  const path = (name: string) => join(dir, name)
  writeFileSync(path('genesis.json'), JSON.stringify({ ...s.chain.genesis, alloc: {}, blockPeriodMs: 0 }))
  writeFileSync(path('file.txt'), SCENARIO_FILE)
  writeFileSync(path('reg.json'), JSON.stringify(s.registration))
  writeFileSync(path('other.txt'), 'not the registered file')
  writeFileSync(path('broken.json'), '{ nope')

  assert.deepEqual(await hashFile(path('file.txt')), keccak256(SCENARIO_FILE))
  const ok = await verifyProofFile({ proof: path('reg.json'), genesis: path('genesis.json'), file: path('file.txt') })
  assert.equal(ok.exitCode, 0)
  assert.match(ok.output, /^VALID registration proof/)
  assert.match(ok.output, new RegExp(`owner +${bytesToHex(s.bob)} \\(as of block 3\\)`))
  const wrong = await verifyProofFile({ proof: path('reg.json'), genesis: path('genesis.json'), file: path('other.txt') })
  assert.equal(wrong.exitCode, 1)
  assert.match(wrong.output, /^INVALID: failed at contentHash/)
  const broken = await verifyProofFile({ proof: path('broken.json'), genesis: path('genesis.json'), json: true })
  assert.equal(broken.exitCode, 1)
  assert.equal((JSON.parse(broken.output) as { failedStep: string }).failedStep, 'format')
  await assert.rejects(verifyProofFile({ proof: path('missing.json'), genesis: path('genesis.json') }), (e) => isSteleError(e, 'INVALID_INPUT'))

  // A loopback node: the data methods over HTTP; a block "commits" the pool after the first call.
  const pool = createAnchorPool({ lookup: (h) => s.chain.reader.anchorLocation(h) })
  const methods = createDataRpcMethods({ pool, reader: s.chain.reader, callRegistry: async () => new Uint8Array(192) })
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', async () => {
      const { id, method, params } = JSON.parse(body) as { id: number; method: string; params: unknown[] }
      try {
        const result = await methods[method]!(params)
        if (method === 'stele_anchor' && pool.pendingCount > 0) await s.chain.addBlock({ anchors: pool.take(100) })
        res.end(JSON.stringify({ jsonrpc: '2.0', id, result }))
      } catch (error) {
        res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32000, message: (error as Error).message } }))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const anchored = await anchorFiles({ rpcUrl, paths: [path('file.txt'), path('other.txt')], waitMs: 10_000, pollMs: 20 })
  assert.deepEqual(anchored.map((a) => a.status), ['anchored', 'anchored'])
  assert.equal(anchored[0]!.hash, bytesToHex(keccak256(SCENARIO_FILE)))
  await fetchProof({ rpcUrl, kind: 'anchor', hash: anchored[1]!.hash, out: path('anchor.json') })
  const verified = await verifyProofFile({ proof: path('anchor.json'), genesis: path('genesis.json'), file: path('other.txt') })
  assert.equal(verified.exitCode, 0, verified.output)
  await assert.rejects(fetchProof({ rpcUrl, kind: 'registration', hash: bytesToHex(keccak256(new Uint8Array([9]))) }), /not registered/)
})
