import { readFileSync } from 'node:fs'
import { ErrorCode, SteleError } from '../../../primitives/errors.js'
import { nativeVerifierCrypto } from '../../nativeVerifierCrypto.js'
import { canonicalJson } from '../telemetryCodec.js'
import { verifyTelemetryProof, type TelemetryVerifyResult } from '../verifyTelemetryProof.js'

/**
 * `stele iot verify READING.json --proof P --genesis G`: checks that the proof is about exactly this reading
 * and verifies it offline against the genesis. Returns the verifier's result (claims or the failed step).
 */
export function iotVerify(o: { readingFile: string; proofFile: string; genesisFile: string }): TelemetryVerifyResult {
  // A reading as the node lists it also carries the node's own fields (hash, keyIndex, receivedAt):
  // only what the device signed is compared.
  const reading = signedFields(readJson(o.readingFile, 'reading'))
  const proof = readJson(o.proofFile, 'proof')
  const genesis = readJson(o.genesisFile, 'genesis')
  const proven = (proof as { reading?: unknown }).reading
  let same = false
  try {
    same = proven !== undefined && canonicalJson(signedFields(proven)) === canonicalJson(reading)
  } catch {
    same = false
  }
  if (!same) return { valid: false, failedStep: 'format', reason: `the proof is about another reading than ${o.readingFile}` }
  return verifyTelemetryProof(proof, genesis, { crypto: nativeVerifierCrypto })
}

function readJson(path: string, what: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, `cannot read the ${what} file ${path}`, { cause })
  }
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, `the ${what} file ${path} is not JSON`, { cause })
  }
}

const SIGNED_FIELDS = ['deviceId', 'seq', 'time', 'payload', 'sig', 'firmware'] as const

function signedFields(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const record = value as Record<string, unknown>
  return Object.fromEntries(SIGNED_FIELDS.filter((k) => record[k] !== undefined).map((k) => [k, record[k]]))
}
