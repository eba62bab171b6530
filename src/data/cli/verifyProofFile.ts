import { readFile } from 'node:fs/promises'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { nativeVerifierCrypto } from '../nativeVerifierCrypto.js'
import { verifyProofBundle, type ProofClaims, type VerifyResult } from '../verify/verifyProof.js'

export interface VerifyProofFileOptions {
  /** Path of the proof bundle (JSON). */
  proof: string
  /** Path of the chain's genesis.json: the trust root. */
  genesis: string
  /** Optional path of the file the proof is about; its keccak256 must match. */
  file?: string
  /** Print the result as JSON instead of text. */
  json?: boolean
}

/**
 * `stele verify <proof.json> --genesis genesis.json [--file path] [--json]`: exit 0 when valid, 1 when not.
 * Runs the browser verifier with native crypto; the result text is for stdout.
 */
export async function verifyProofFile(options: VerifyProofFileOptions): Promise<{ exitCode: number; output: string; result: VerifyResult }> {
  const [proofText, genesisText, file] = await Promise.all([
    read(options.proof, 'proof'),
    read(options.genesis, 'genesis'),
    options.file === undefined ? undefined : readFile(options.file).catch((cause: unknown) => {
      throw new SteleError(ErrorCode.InvalidInput, `cannot read ${options.file}`, { cause })
    }),
  ])
  let genesis: unknown
  try {
    genesis = JSON.parse(genesisText)
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, `${options.genesis} is not JSON`, { cause })
  }
  const result = verifyProofBundle(proofText, genesis, { crypto: nativeVerifierCrypto, ...(file ? { file: new Uint8Array(file) } : {}) })
  const output = options.json ? JSON.stringify(result, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) : formatResult(result)
  return { exitCode: result.valid ? 0 : 1, output, result }
}

export function formatResult(result: VerifyResult): string {
  if (!result.valid) return `INVALID: failed at ${result.failedStep}: ${result.reason}`
  const c: ProofClaims = result.claims
  const lines = [`VALID ${c.kind} proof`, `  chain id     ${c.chainId}`, `  block        ${c.blockNumber} ${c.blockHash}`, `  time         ${new Date(Number(c.timestamp) * 1000).toISOString()}`]
  if (c.contentHash) lines.push(`  content hash ${c.contentHash}`)
  if (c.registrant) lines.push(`  registrant   ${c.registrant}`)
  if (c.owner) lines.push(`  owner        ${c.owner} (as of block ${c.ownerAsOfBlock})`)
  if (c.licence !== undefined) lines.push(`  licence      ${c.licence}`)
  if (c.metadata) lines.push(`  metadata     ${c.metadata}`)
  if (c.anchorIndex !== undefined) lines.push(`  leaf index   ${c.anchorIndex}`)
  if (c.transaction) {
    const t = c.transaction
    lines.push(`  transaction  ${t.hash} (${t.status === 1 ? 'succeeded' : 'failed'})`, `  from         ${t.from}`, `  to           ${t.to ?? '(contract creation)'}`, `  value        ${t.value} wei`)
    for (const x of t.tokenTransfers) lines.push(`  token        ${x.token}: ${x.value} from ${x.from} to ${x.to}`)
  }
  return lines.join('\n')
}

async function read(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, `cannot read the ${what} file ${path}`, { cause })
  }
}
