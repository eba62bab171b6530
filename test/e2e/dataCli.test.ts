import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { rpc, startStele } from './processHarness.js'

const run = promisify(execFile)
const BIN = fileURLToPath(new URL('../../bin/stele.js', import.meta.url))
const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'

async function stele(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 120_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

// The user's path from the issue: register a file with one command, send file + proof + genesis to
// someone else, and `stele data verify` there says who registered it and when, with no network.
test('stele data register / proof / verify / anchor and stele tx proof / verify, as a user runs them', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stele-data-cli-'))
  const node = await startStele(['dev', '--data-dir', join(dir, 'chain'), '--port', '0', '--quiet'])
  try {
    const url = node.url
    const genesis = join(dir, 'chain', 'genesis.json')
    const file = join(dir, 'report.pdf')
    writeFileSync(file, 'quarterly report, final')

    const registered = await stele(['data', 'register', file, '--licence', 'CC-BY-4.0', '--meta', '{"title":"report"}', '--key', KEY, '--rpc', url])
    assert.equal(registered.code, 0, registered.stderr)
    assert.match(registered.stdout, /registered 0x[0-9a-f]{64} in block \d+/)
    const txHash = /tx (0x[0-9a-f]{64})/.exec(registered.stdout)![1]!

    const proofPath = join(dir, 'report.proof.json')
    assert.equal((await stele(['data', 'proof', file, '--out', proofPath, '--rpc', url])).code, 0)

    // Offline: only the file, the proof and genesis.
    const verified = await stele(['data', 'verify', file, '--proof', proofPath, '--genesis', genesis])
    assert.equal(verified.code, 0, verified.stdout + verified.stderr)
    assert.match(verified.stdout, /^VALID registration .*owner=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 .*registrant=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 .*licence="CC-BY-4.0"/)
    assert.equal(verified.stdout.trim().split('\n').length, 1, 'the claims are on one line')

    writeFileSync(join(dir, 'changed.pdf'), 'quarterly report, final!')
    const tampered = await stele(['data', 'verify', join(dir, 'changed.pdf'), '--proof', proofPath, '--genesis', genesis])
    assert.equal(tampered.code, 1)
    assert.match(tampered.stdout, /INVALID step=contentHash/)

    const notJson = join(dir, 'garbage.json')
    writeFileSync(notJson, 'not json at all')
    const garbage = await stele(['data', 'verify', file, '--proof', notJson, '--genesis', genesis])
    assert.notEqual(garbage.code, 0)

    const a = join(dir, 'a.csv')
    const b = join(dir, 'b.csv')
    writeFileSync(a, 'sensor,1\n')
    writeFileSync(b, 'sensor,2\n')
    const anchored = await stele(['data', 'anchor', a, b, '--rpc', url])
    assert.equal(anchored.code, 0, anchored.stderr)
    for (const f of [a, b]) {
      const v = await stele(['data', 'verify', f, '--proof', `${f}.proof.json`, '--genesis', genesis])
      assert.equal(v.code, 0, v.stdout + v.stderr)
      assert.match(v.stdout, /^VALID anchor/)
    }

    const txProof = join(dir, 'tx.proof.json')
    assert.equal((await stele(['tx', 'proof', txHash, '--out', txProof, '--rpc', url])).code, 0)
    const txVerified = await stele(['tx', 'verify', '--proof', txProof, '--genesis', genesis])
    assert.equal(txVerified.code, 0, txVerified.stdout + txVerified.stderr)
    assert.match(txVerified.stdout, /from=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 to=0x0000000000000000000000000000000000005701/)
    assert.ok(JSON.parse(readFileSync(txProof, 'utf8')))
    assert.ok(await rpc(url, 'eth_blockNumber'))
  } finally {
    node.child.kill('SIGTERM')
    await node.exited()
    rmSync(dir, { recursive: true, force: true })
  }
})
