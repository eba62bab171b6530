import { fetchProof } from '../../data/cli/anchorFiles.js'
import { verifyProofFile } from '../../data/cli/verifyProofFile.js'
import { hexToFixedBytes, bytesToHex } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { claimsLine } from '../data/dataCommand.js'
import { defineCommandGroup, type CommandSpec } from '../args.js'
import type { Command } from '../main.js'

const SUBCOMMANDS: Record<string, CommandSpec> = {
  proof: { name: 'tx proof', summary: 'Fetch the proof of any transaction (ETH or token transfer)', usage: 'stele tx proof TXHASH --out P', positionals: [1, 1], flags: { rpc: { type: 'string', default: 'http://127.0.0.1:8545', value: 'URL', description: 'Node JSON-RPC endpoint' }, out: { type: 'string', value: 'P', description: 'Where to write the proof' } } },
  verify: { name: 'tx verify', summary: 'Verify a transaction proof offline: from, to, value, Transfer events, block and time', usage: 'stele tx verify --proof P --genesis G', positionals: [0, 0], flags: { proof: { type: 'string', value: 'P', description: 'The proof bundle' }, genesis: { type: 'string', value: 'G', description: "The chain's genesis.json" }, json: { type: 'boolean', description: 'Print the result as JSON' } } },
}

export const txCommand: Command = defineCommandGroup('tx', 'Prove and verify transactions (proof, verify)', SUBCOMMANDS, async (sub, args) => {
  const f = args.flags
  if (sub === 'proof') {
    if (f.out === undefined) throw new SteleError(ErrorCode.InvalidInput, '--out is required')
    const hash = bytesToHex(hexToFixedBytes(String(args.positionals[0]), 32, 'transaction hash'))
    await fetchProof({ rpcUrl: String(f.rpc), kind: 'transaction', hash, out: String(f.out) })
    console.log(`wrote the proof of ${hash} to ${f.out}`)
    return 0
  }
  if (f.proof === undefined || f.genesis === undefined) throw new SteleError(ErrorCode.InvalidInput, '--proof and --genesis are required')
  const { exitCode, output, result } = await verifyProofFile({ proof: String(f.proof), genesis: String(f.genesis), json: f.json === true })
  console.log(f.json === true ? output : claimsLine(result))
  return exitCode
})
