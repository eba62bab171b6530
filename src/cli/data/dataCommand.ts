import { existsSync } from 'node:fs'
import { bytesToHex, hexToFixedBytes, isHex, type Hex } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { hashFile } from '../../data/cli/hashFile.js'
import { rpcCall } from '../../data/cli/rpcCall.js'
import { anchorFiles, fetchProof } from '../../data/cli/anchorFiles.js'
import { verifyProofFile } from '../../data/cli/verifyProofFile.js'
import { DATA_REGISTRY_ADDRESS, encodeRegisterCall, encodeTransferCall } from '../../data/registry/dataRegistry.js'
import type { VerifyResult } from '../../data/verify/verifyProof.js'
import { defineCommandGroup, type CommandSpec, type FlagSpec } from '../args.js'
import type { Command } from '../main.js'
import { loadSigningKey, sendAndWait } from '../wallet.js'

const RPC: Record<string, FlagSpec> = { rpc: { type: 'string', default: 'http://127.0.0.1:8545', value: 'URL', description: 'Node JSON-RPC endpoint' } }
const SIGNER: Record<string, FlagSpec> = {
  key: { type: 'string', value: 'HEX', description: 'Private key that signs the transaction' },
  keystore: { type: 'string', value: 'FILE', description: 'Keystore v3 file (password from STELE_PASSWORD)' },
}

const SUBCOMMANDS: Record<string, CommandSpec> = {
  register: { name: 'data register', summary: 'Register a file (its keccak256) in the data registry', usage: 'stele data register FILE [--licence TEXT] [--meta JSON] --key HEX', positionals: [1, 1], flags: { ...RPC, ...SIGNER, licence: { type: 'string', default: '', value: 'TEXT', description: 'Licence terms' }, meta: { type: 'string', default: '{}', value: 'JSON', description: 'Metadata (JSON)' } } },
  anchor: { name: 'data anchor', summary: 'Notarize files in bulk; write one proof per file once final', usage: 'stele data anchor FILE... [--out-dir DIR] [--wait MS]', positionals: [1, 1_000_000], flags: { ...RPC, 'out-dir': { type: 'string', value: 'DIR', description: 'Write FILE.proof.json here (default: beside each file)' }, wait: { type: 'integer', default: 60_000, value: 'MS', description: 'How long to wait for finality' } } },
  show: { name: 'data show', summary: 'Show the registry record of a file or content hash', usage: 'stele data show FILE|HASH', positionals: [1, 1], flags: { ...RPC } },
  proof: { name: 'data proof', summary: 'Fetch the proof of a registered or anchored file', usage: 'stele data proof FILE|HASH --out P', positionals: [1, 1], flags: { ...RPC, out: { type: 'string', value: 'P', description: 'Where to write the proof (JSON)' } } },
  transfer: { name: 'data transfer', summary: 'Transfer ownership of a registered file', usage: 'stele data transfer FILE|HASH --to ADDRESS --key HEX', positionals: [1, 1], flags: { ...RPC, ...SIGNER, to: { type: 'string', value: 'ADDRESS', description: 'The new owner' } } },
  verify: { name: 'data verify', summary: 'Verify a proof offline against genesis; exit 0 and print the claims, or exit 1 naming the failed step', usage: 'stele data verify FILE --proof P --genesis G', positionals: [0, 1], flags: { proof: { type: 'string', value: 'P', description: 'The proof bundle' }, genesis: { type: 'string', value: 'G', description: "The chain's genesis.json" }, json: { type: 'boolean', description: 'Print the result as JSON' } } },
}

export const dataCommand: Command = defineCommandGroup('data', 'Register, notarize, prove and verify data (register, anchor, show, proof, transfer, verify)', SUBCOMMANDS, async (sub, args) => {
  const f = args.flags
  const rpc = String(f.rpc)
  const target = args.positionals[0] as string
  switch (sub) {
    case 'register': {
      const contentHash = await hashFile(target)
      const key = loadSigningKey(f)
      const sent = await sendAndWait(rpc, key, DATA_REGISTRY_ADDRESS, encodeRegisterCall(contentHash, String(f.licence), String(f.meta)))
      if (sent.receipt.status !== '0x1') throw new SteleError(ErrorCode.ExecutionReverted, `registration failed in transaction ${sent.hash}`)
      console.log(`registered ${bytesToHex(contentHash)} in block ${BigInt(sent.receipt.blockNumber)} (tx ${sent.hash})`)
      return 0
    }
    case 'anchor': {
      const statuses = await anchorFiles({ rpcUrl: rpc, paths: args.positionals, waitMs: Number(f.wait) })
      for (const s of statuses) {
        const out = proofPath(s.path, f['out-dir'] as string | undefined)
        await fetchProof({ rpcUrl: rpc, kind: 'anchor', hash: s.hash, out })
        console.log(`${s.path} ${s.hash} anchored in block ${BigInt(s.blockNumber ?? '0x0')} → ${out}`)
      }
      return 0
    }
    case 'show': {
      const hash = await contentHashOf(target)
      const record = await rpcCall(rpc, 'stele_getDataRecord', [hash])
      if (record === null) {
        console.log(`${hash} is not registered`)
        return 1
      }
      console.log(JSON.stringify(record, null, 2))
      return 0
    }
    case 'proof': {
      if (f.out === undefined) throw new SteleError(ErrorCode.InvalidInput, '--out is required')
      const hash = await contentHashOf(target)
      const record = await rpcCall(rpc, 'stele_getDataRecord', [hash])
      await fetchProof({ rpcUrl: rpc, kind: record === null ? 'anchor' : 'registration', hash, out: String(f.out) })
      console.log(`wrote ${record === null ? 'an anchor' : 'a registration'} proof of ${hash} to ${f.out}`)
      return 0
    }
    case 'transfer': {
      if (typeof f.to !== 'string') throw new SteleError(ErrorCode.InvalidInput, '--to is required')
      const hash = hexToFixedBytes(await contentHashOf(target), 32, 'content hash')
      const sent = await sendAndWait(rpc, loadSigningKey(f), DATA_REGISTRY_ADDRESS, encodeTransferCall(hash, hexToFixedBytes(f.to, 20, '--to')))
      if (sent.receipt.status !== '0x1') throw new SteleError(ErrorCode.ExecutionReverted, `transfer failed in transaction ${sent.hash}`)
      console.log(`transferred ${bytesToHex(hash)} to ${f.to} in block ${BigInt(sent.receipt.blockNumber)}`)
      return 0
    }
    case 'verify': {
      if (f.proof === undefined || f.genesis === undefined) throw new SteleError(ErrorCode.InvalidInput, '--proof and --genesis are required')
      const { exitCode, output, result } = await verifyProofFile({ proof: String(f.proof), genesis: String(f.genesis), ...(target ? { file: target } : {}), json: f.json === true })
      console.log(f.json === true ? output : claimsLine(result))
      return exitCode
    }
  }
  return 2
})

/** The claims on one line, as the CLI prints them. */
export function claimsLine(result: VerifyResult): string {
  if (!result.valid) return `INVALID step=${result.failedStep} reason=${JSON.stringify(result.reason)}`
  const c = result.claims
  const parts = [`VALID ${c.kind}`]
  if (c.contentHash) parts.push(`contentHash=${c.contentHash}`)
  if (c.owner) parts.push(`owner=${c.owner}`)
  if (c.registrant) parts.push(`registrant=${c.registrant}`)
  parts.push(`block=${c.blockNumber}`, `blockHash=${c.blockHash}`, `time=${new Date(Number(c.timestamp) * 1000).toISOString()}`)
  if (c.licence !== undefined) parts.push(`licence=${JSON.stringify(c.licence)}`)
  if (c.anchorIndex !== undefined) parts.push(`leaf=${c.anchorIndex}`)
  if (c.transaction) {
    const t = c.transaction
    parts.push(`tx=${t.hash}`, `from=${t.from}`, `to=${t.to ?? 'create'}`, `value=${t.value}`, `status=${t.status}`)
    for (const x of t.tokenTransfers) parts.push(`transfer=${x.token}:${x.from}->${x.to}:${x.value}`)
  }
  return parts.join(' ')
}

async function contentHashOf(target: string): Promise<Hex> {
  if (isHex(target) && target.length === 66 && !existsSync(target)) return target.toLowerCase() as Hex
  return bytesToHex(await hashFile(target))
}

function proofPath(file: string, outDir: string | undefined): string {
  const base = file.split('/').pop() as string
  return outDir ? `${outDir.replace(/\/$/, '')}/${base}.proof.json` : `${file}.proof.json`
}

