import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildTelemetryProof } from '../buildTelemetryProof.js'
import { buildTelemetryScenario } from '../testing/telemetryScenario.js'
import { iotCommand } from './iotCommand.js'
import { iotVerify } from './verifyCommand.js'

test('stele iot verify: the proof of this reading passes; another reading or a tampered proof fails with the step', async () => {
  const s = await buildTelemetryScenario()
  const dir = mkdtempSync(join(tmpdir(), 'stele-iot-verify-'))
  const quiet = console.log
  try {
    const proof = await buildTelemetryProof(s.chain.reader, s.store, s.deviceId, s.seqB)
    const files = { reading: join(dir, 'reading.json'), other: join(dir, 'other.json'), proof: join(dir, 'proof.json'), bad: join(dir, 'bad.json'), genesis: join(dir, 'genesis.json') }
    writeFileSync(files.reading, JSON.stringify(proof.reading))
    writeFileSync(files.other, JSON.stringify({ ...proof.reading, seq: 3 }))
    writeFileSync(files.proof, JSON.stringify(proof))
    writeFileSync(files.bad, JSON.stringify({ ...proof, keyIndex: 0, key: proof.registration }))
    writeFileSync(files.genesis, JSON.stringify(s.chain.genesis))
    const ok = iotVerify({ readingFile: files.reading, proofFile: files.proof, genesisFile: files.genesis })
    assert.ok(ok.valid)
    assert.equal(ok.claims.seq, s.seqB)
    const other = iotVerify({ readingFile: files.other, proofFile: files.proof, genesisFile: files.genesis })
    assert.deepEqual([other.valid, !other.valid && other.failedStep], [false, 'format'])
    const bad = iotVerify({ readingFile: files.reading, proofFile: files.bad, genesisFile: files.genesis })
    assert.deepEqual([bad.valid, !bad.valid && bad.failedStep], [false, 'signature'])

    console.log = () => undefined
    assert.equal(await iotCommand.run(['verify', files.reading, '--proof', files.proof, '--genesis', files.genesis]), 0)
    assert.equal(await iotCommand.run(['verify', files.reading, '--proof', files.bad, '--genesis', files.genesis]), 1)
    assert.equal(await iotCommand.run(['keygen', '--key-type', 'ed25519']), 0)
    assert.equal(await iotCommand.run(['nope']), 2)
  } finally {
    console.log = quiet
    rmSync(dir, { recursive: true, force: true })
  }
})
