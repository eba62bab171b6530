import { test } from 'node:test'
import assert from 'node:assert/strict'
import { keccak256 } from '../../crypto/keccak.js'
import { bytesToHex, hexToBytes, type Hex } from '../../primitives/bytes.js'
import { nativeVerifierCrypto } from '../nativeVerifierCrypto.js'
import { buildAnchorProof } from '../proofs.js'
import { buildProofScenario, SCENARIO_FILE, SCENARIO_LICENCE, SCENARIO_METADATA, type ProofScenario } from '../testing/proofScenario.js'
import { PROOF_VERSION, type ProofBundle } from './proofBundle.js'
import { createProofVerifier, quorumSize, verifyProofBundle, type VerifyResult } from './verifyProof.js'

// Built once per validator count; every test reads them and clones before changing anything.
const scenarios = new Map<number, Promise<ProofScenario>>()
const scenario = (n: number) => {
  let s = scenarios.get(n)
  if (!s) scenarios.set(n, (s = buildProofScenario(n)))
  return s
}
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T
const native = { crypto: nativeVerifierCrypto }

function assertValid(result: VerifyResult): asserts result is Extract<VerifyResult, { valid: true }> {
  if (!result.valid) assert.fail(`expected a valid proof, failed at ${result.failedStep}: ${result.reason}`)
}
function assertInvalid(result: VerifyResult, label: string, steps?: string[]): string {
  if (result.valid) assert.fail(`tampered ${label} still verified`)
  if (steps) assert.ok(steps.includes(result.failedStep), `${label}: failed at ${result.failedStep} (${result.reason}), expected one of ${steps.join(', ')}`)
  return result.failedStep
}

test('quorum is ceil(2n/3)', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 10].map(quorumSize), [1, 2, 2, 3, 4, 4, 5, 7])
})

for (const n of [1, 4]) {
  test(`${n} validator(s): every bundle kind verifies, with noble and with native crypto, and claims are right`, async () => {
    const s = await scenario(n)
    const { genesis } = s.chain
    for (const crypto of [undefined, nativeVerifierCrypto]) {
      const options = crypto ? { crypto } : {}
      const reg = verifyProofBundle(JSON.stringify(s.registration), genesis, { ...options, file: SCENARIO_FILE })
      assertValid(reg)
      assert.deepEqual(reg.claims, {
        kind: 'registration',
        chainId: 1337n,
        blockNumber: 1n,
        blockHash: bytesToHex(s.chain.blocks[1]!.hash),
        timestamp: s.chain.blocks[1]!.header.timestamp,
        contentHash: bytesToHex(keccak256(SCENARIO_FILE)),
        owner: bytesToHex(s.bob),
        ownerAsOfBlock: 3n,
        registrant: bytesToHex(s.alice),
        licence: SCENARIO_LICENCE,
        metadata: SCENARIO_METADATA,
      })
      const early = verifyProofBundle(s.anchorEarly, genesis, options)
      assertValid(early)
      assert.equal(early.claims.contentHash, bytesToHex(s.anchored[3]!))
      assert.equal(early.claims.anchorIndex, 3)
      assert.equal(early.claims.blockNumber, 1n)
      assertValid(verifyProofBundle(s.anchorLate, genesis, options))
      const erc20 = verifyProofBundle(s.erc20Transfer, genesis, options)
      assertValid(erc20)
      assert.equal(erc20.claims.transaction?.from, bytesToHex(s.alice))
      assert.equal(erc20.claims.transaction?.hash, bytesToHex(s.txHashes.erc20))
      assert.deepEqual(erc20.claims.transaction?.tokenTransfers, [{ token: bytesToHex(s.token), from: bytesToHex(s.alice), to: bytesToHex(s.bob), value: 300n }])
      const legacy = verifyProofBundle(s.legacyTransfer, genesis, options)
      assertValid(legacy)
      assert.equal(legacy.claims.transaction?.from, bytesToHex(s.bob))
      assert.equal(legacy.claims.transaction?.value, 10n ** 18n)
      assert.equal(legacy.claims.transaction?.to, bytesToHex(s.alice))
      const al = verifyProofBundle(s.accessListTx, genesis, options)
      assertValid(al)
      assert.equal(al.claims.transaction?.from, bytesToHex(s.alice))
    }
  })
}

test('the late anchor proof carries the change header; the early one, built after the change, carries none', async () => {
  const s = await scenario(4)
  assert.equal(s.anchorLate.validatorSetChanges.length, 1)
  assert.equal(s.anchorEarly.validatorSetChanges.length, 0)
  // A proof made before the change still verifies after it: the verifier needs the chain up to h only.
  const builtBefore = clone(s.anchorEarly)
  assertValid(verifyProofBundle(builtBefore, s.chain.genesis, native))
})

test('a proof that skips a validator-set change is rejected', async () => {
  const s = await scenario(4)
  const skipped = clone(s.anchorLate)
  skipped.validatorSetChanges = []
  // Block 5 is sealed by five validators, one of whom the genesis set does not know.
  assertInvalid(verifyProofBundle(skipped, s.chain.genesis, native), 'skipped change', ['seals'])

  // Even when only old members seal the later block, the block's own list betrays the missing change.
  const [v0, v1, v2, v3] = s.chain.genesis.validators.map(hexToBytes)
  const extra = await s.chain.addBlock({ anchors: [keccak256(Uint8Array.of(42))], sealers: [v0!, v1!, v2!, v3!] })
  const proof = buildAnchorProof(s.chain.reader, extra.anchors[0]!)
  assertValid(verifyProofBundle(proof, s.chain.genesis, native))
  proof.validatorSetChanges = []
  assertInvalid(verifyProofBundle(proof, s.chain.genesis, native), 'skipped change, old sealers', ['validatorSet'])
})

test('too few seals fail the quorum; a non-change listed as a change is refused; evidence out of order is refused', async () => {
  const s = await scenario(4)
  const [v0, v1] = s.chain.genesis.validators.map(hexToBytes)
  const thin = await s.chain.addBlock({ anchors: [keccak256(Uint8Array.of(7))], sealers: [v0!, v1!] })
  const proof = buildAnchorProof(s.chain.reader, thin.anchors[0]!)
  assertInvalid(verifyProofBundle(proof, s.chain.genesis, native), 'two of five seals', ['quorum'])

  const bogus = clone(s.anchorLate)
  bogus.validatorSetChanges = [s.anchorEarly.anchor.header, ...bogus.validatorSetChanges]
  assertInvalid(verifyProofBundle(bogus, s.chain.genesis, native), 'non-change as change', ['validatorSet'])
  const twice = clone(s.anchorLate)
  twice.validatorSetChanges = [twice.validatorSetChanges[0]!, twice.validatorSetChanges[0]!]
  assertInvalid(verifyProofBundle(twice, s.chain.genesis, native), 'repeated change', ['validatorSet'])
})

test('not JSON, a future version, another chain or a wrong file get clear errors', async () => {
  const s = await scenario(1)
  const notJson = verifyProofBundle('{"format": "stele-proof", ', s.chain.genesis)
  assert.equal(notJson.valid, false)
  assert.ok(!notJson.valid && notJson.failedStep === 'format' && /not JSON/.test(notJson.reason))
  const future = verifyProofBundle({ ...clone(s.anchorEarly), version: PROOF_VERSION + 1 }, s.chain.genesis)
  assert.ok(!future.valid && future.failedStep === 'format' && /newer than this verifier supports/.test(future.reason), JSON.stringify(future))
  const extraField = verifyProofBundle({ ...clone(s.anchorEarly), claims: { owner: '0x00' } }, s.chain.genesis)
  assert.ok(!extraField.valid && /unknown field "claims"/.test(extraField.reason))
  const otherChain = verifyProofBundle(s.anchorEarly, { ...s.chain.genesis, chainId: 1 })
  assert.ok(!otherChain.valid && otherChain.failedStep === 'genesis')
  assert.ok(!verifyProofBundle(s.anchorEarly, { chainId: 1337 }).valid)
  const wrongFile = verifyProofBundle(s.registration, s.chain.genesis, { file: new Uint8Array([1, 2, 3]) })
  assert.ok(!wrongFile.valid && wrongFile.failedStep === 'contentHash')
})

/** Every way to change one thing in a bundle: each byte of each hex field, each number, each string. */
function* tamperings(bundle: ProofBundle): Generator<[string, ProofBundle]> {
  function* walk(value: unknown, path: (string | number)[]): Generator<[(string | number)[], unknown]> {
    if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* walk(v, [...path, i])
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) yield* walk(v, [...path, k])
    else yield [path, value]
  }
  const set = (root: unknown, path: (string | number)[], v: unknown) => {
    let o = root as Record<string | number, unknown>
    for (const p of path.slice(0, -1)) o = o[p] as Record<string | number, unknown>
    o[path[path.length - 1]!] = v
  }
  for (const [path, value] of walk(bundle, [])) {
    const label = path.join('.')
    if (typeof value === 'number') {
      for (const v of [value + 1, value - 1, value + 1000]) {
        if (v < 0) continue
        const b = clone(bundle)
        set(b, path, v)
        yield [`${label}=${v}`, b]
      }
    } else if (label === 'chainId' && typeof value === 'string') {
      for (const v of [`0x${(BigInt(value) + 1n).toString(16)}`, `0x0${value.slice(2)}`, value.toUpperCase()]) {
        const b = clone(bundle)
        set(b, path, v)
        yield [`${label}=${v}`, b]
      }
    } else if (typeof value === 'string' && value.startsWith('0x')) {
      const bytes = hexToBytes(value)
      for (let i = 0; i < bytes.length; i++) {
        // Headers get two flips per byte (low bit, high bit: RLP prefixes and round scalars); other fields one.
        for (const mask of /header|validatorSetChanges/.test(label) ? [0x01, 0x80] : [0x01]) {
          const changed = bytes.slice()
          changed[i]! ^= mask
          const b = clone(bundle)
          set(b, path, bytesToHex(changed))
          yield [`${label}[${i}]^${mask}`, b]
        }
      }
    } else if (typeof value === 'string') {
      const b = clone(bundle)
      set(b, path, `${value}x`)
      yield [`${label}=${value}x`, b]
    }
  }
  // Dropping any element of a list of proof parts (not transfers: fewer transfers is a weaker, still true, claim).
  const lists: (string | number)[][] = []
  const collect = (value: unknown, path: (string | number)[]) => {
    if (Array.isArray(value)) {
      if (path[path.length - 1] !== 'transfers' && value.length > 0) lists.push(path)
      value.forEach((v, i) => collect(v, [...path, i]))
    } else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) collect(v, [...path, k])
  }
  collect(bundle, [])
  for (const path of lists) {
    let list = bundle as unknown
    for (const p of path) list = (list as Record<string | number, unknown>)[p]
    for (let i = 0; i < (list as unknown[]).length; i++) {
      const b = clone(bundle)
      set(b, path, (list as unknown[]).filter((_, j) => j !== i))
      yield [`${path.join('.')} without item ${i}`, b]
    }
  }
}

for (const n of [1, 4]) {
  test(`${n} validator(s): the tamper suite rejects every one-byte change to every bundle, naming the step`, async () => {
    const s = await scenario(n)
    const bundles: [string, ProofBundle, Uint8Array | undefined][] = [
      ['registration', s.registration, SCENARIO_FILE],
      ['anchorLate', s.anchorLate, undefined],
      ['anchorEarly', s.anchorEarly, undefined],
      ['erc20Transfer', s.erc20Transfer, undefined],
      ['legacyTransfer', s.legacyTransfer, undefined],
    ]
    const steps = new Map<string, number>()
    let count = 0
    // One session: its seal memo makes the many variants cheap, and must not let any of them through.
    const verifier = createProofVerifier(s.chain.genesis, native)
    for (const [name, bundle, file] of bundles) {
      assertValid(verifier.verify(bundle, file ? { file } : {}))
      for (const [label, tampered] of tamperings(bundle)) {
        const step = assertInvalid(verifier.verify(tampered, file ? { file } : {}), `${name} ${label}`)
        steps.set(step, (steps.get(step) ?? 0) + 1)
        count++
      }
    }
    // The file, byte by byte.
    for (let i = 0; i < SCENARIO_FILE.length; i++) {
      const file = SCENARIO_FILE.slice()
      file[i]! ^= 0x01
      assertInvalid(verifier.verify(s.registration, { file }), `file[${i}]`, ['contentHash'])
      count++
    }
    // The genesis: each byte of each validator address, and the chain id.
    for (const [v, address] of s.chain.genesis.validators.entries()) {
      const bytes = hexToBytes(address)
      for (let i = 0; i < bytes.length; i++) {
        const changed = bytes.slice()
        changed[i]! ^= 0x01
        const validators = s.chain.genesis.validators.map((a, j) => (j === v ? bytesToHex(changed) : a)) as Hex[]
        for (const bundle of [s.registration, s.anchorLate]) {
          assertInvalid(verifyProofBundle(bundle, { ...s.chain.genesis, validators }, native), `genesis.validators[${v}][${i}]`, ['seals', 'validatorSet', 'quorum'])
          count++
        }
      }
    }
    assertInvalid(verifyProofBundle(s.anchorLate, { ...s.chain.genesis, chainId: 1338 }, native), 'genesis.chainId', ['genesis'])
    console.log(`${n} validator(s): ${count} tampered variants rejected; by step: ${JSON.stringify(Object.fromEntries(steps))}`)
    for (const step of ['format', 'header', 'merklePath', 'anchorRoot', 'receiptInclusion', 'registryLog', 'transactionInclusion', 'seals']) {
      assert.ok(steps.has(step), `no tampering failed at ${step}`)
    }
  })
}

test('each seal of the target header, flipped, fails at the seals step (noble crypto)', async () => {
  const s = await scenario(4)
  const header = hexToBytes(s.anchorLate.anchor.header)
  const sealCount = 5
  // Seals are the last 5 × (1 + 65) bytes of the header RLP (each an RLP string of 65 bytes).
  for (let k = 0; k < sealCount; k++) {
    const at = header.length - (sealCount - k) * 66 + 1 + 10
    const changed = header.slice()
    changed[at]! ^= 0x01
    const b = clone(s.anchorLate)
    b.anchor.header = bytesToHex(changed)
    assertInvalid(verifyProofBundle(b, s.chain.genesis), `seal ${k}`, ['seals'])
  }
})

test('a proven block that is itself a set change verifies; a removed validator can no longer seal', async () => {
  const s = await buildProofScenario(4, 4242n)
  const set = s.chain.blocks[s.chain.blocks.length - 1]!.header.extraData.validators // five after block 4
  const shrunk = set.slice(0, 4).filter((_, i) => i !== 1) // drop validator 1 and the extra one
  const changeBlock = await s.chain.addBlock({ anchors: [keccak256(Uint8Array.of(1, 2, 3))], validators: shrunk })
  const atChange = buildAnchorProof(s.chain.reader, changeBlock.anchors[0]!)
  assert.equal(atChange.validatorSetChanges.length, 2, 'the change at block 4 and the proven block itself')
  assertValid(verifyProofBundle(atChange, s.chain.genesis, native))
  const withoutSelf = clone(atChange)
  withoutSelf.validatorSetChanges = withoutSelf.validatorSetChanges.slice(0, 1)
  assertInvalid(verifyProofBundle(withoutSelf, s.chain.genesis, native), 'change block not listed as a change', ['validatorSet'])

  // The next block is sealed by the shrunk set; a seal by the removed validator makes it invalid.
  const removed = set[1]!
  const next = await s.chain.addBlock({ anchors: [keccak256(Uint8Array.of(4, 5, 6))], sealers: [...shrunk, removed] })
  assertInvalid(verifyProofBundle(buildAnchorProof(s.chain.reader, next.anchors[0]!), s.chain.genesis, native), 'seal by a removed validator', ['seals'])
  const honest = await s.chain.addBlock({ anchors: [keccak256(Uint8Array.of(7, 8, 9))] })
  assertValid(verifyProofBundle(buildAnchorProof(s.chain.reader, honest.anchors[0]!), s.chain.genesis, native))
})
