import { writeFile } from 'node:fs/promises'
import { bytesToHex, type Hex } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { MAX_ANCHORS_PER_CALL } from '../anchorIndex.js'
import { hashFile } from './hashFile.js'
import { rpcCall } from './rpcCall.js'

export interface AnchorFilesOptions {
  rpcUrl: string
  paths: string[]
  /** Wait until every hash is anchored (polls stele_getAnchorStatus), at most this many ms. */
  waitMs?: number
  pollMs?: number
  signal?: AbortSignal
}

export interface AnchoredFile {
  path: string
  hash: Hex
  status: string
  blockNumber?: Hex
  index?: number
}

/** `stele anchor <files…> [--wait]`: hashes files and sends the hashes in calls of up to 10,000. */
export async function anchorFiles(options: AnchorFilesOptions): Promise<AnchoredFile[]> {
  if (options.paths.length === 0) throw new SteleError(ErrorCode.InvalidInput, 'no files to anchor')
  const hashes: Hex[] = []
  for (const path of options.paths) hashes.push(bytesToHex(await hashFile(path)))
  const statuses: AnchoredFile[] = []
  for (let i = 0; i < hashes.length; i += MAX_ANCHORS_PER_CALL) {
    const chunk = hashes.slice(i, i + MAX_ANCHORS_PER_CALL)
    const result = (await rpcCall(options.rpcUrl, 'stele_anchor', [chunk], options.signal)) as Omit<AnchoredFile, 'path'>[]
    result.forEach((s, j) => statuses.push({ path: options.paths[i + j] as string, ...s }))
  }
  if (options.waitMs === undefined) return statuses
  const deadline = Date.now() + options.waitMs
  while (statuses.some((s) => s.status !== 'anchored')) {
    if (Date.now() > deadline) throw new SteleError(ErrorCode.Network, `not all hashes were anchored within ${options.waitMs} ms`, { details: { statuses } })
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500))
    const pending = statuses.filter((s) => s.status !== 'anchored')
    for (let i = 0; i < pending.length; i += MAX_ANCHORS_PER_CALL) {
      const chunk = pending.slice(i, i + MAX_ANCHORS_PER_CALL)
      const result = (await rpcCall(options.rpcUrl, 'stele_getAnchorStatus', [chunk.map((s) => s.hash)], options.signal)) as Omit<AnchoredFile, 'path'>[]
      result.forEach((s, j) => Object.assign(chunk[j] as AnchoredFile, s))
    }
  }
  return statuses
}

export interface FetchProofOptions {
  rpcUrl: string
  kind: 'anchor' | 'registration' | 'transaction'
  /** The anchored hash, the content hash, or the transaction hash. */
  hash: Hex
  /** Write the bundle here; otherwise it is returned only. */
  out?: string
  signal?: AbortSignal
}

const PROOF_METHOD = { anchor: 'stele_getAnchorProof', registration: 'stele_getDataProof', transaction: 'stele_getTransactionProof' } as const

/** `stele proof <anchor|registration|transaction> <hash> [--out file]`: fetches a proof bundle from a node. */
export async function fetchProof(options: FetchProofOptions): Promise<unknown> {
  const bundle = await rpcCall(options.rpcUrl, PROOF_METHOD[options.kind], [options.hash], options.signal)
  if (options.out !== undefined) await writeFile(options.out, `${JSON.stringify(bundle, null, 2)}\n`)
  return bundle
}
