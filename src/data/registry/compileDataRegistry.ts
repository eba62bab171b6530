import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { compileSystemContract, renderSystemContractArtifact, type SystemContractCompilation } from './compileSystemContract.js'

/**
 * Compiles DataRegistry.sol with the pinned solc-js and writes dataRegistryArtifact.ts.
 * Regenerate after editing the contract:  node --import ./scripts/preload.mjs src/data/registry/compileDataRegistry.ts
 * A test recompiles and compares, so the committed bytecode always matches the committed source.
 */
export const DATA_REGISTRY_SOURCE_URL = new URL('./DataRegistry.sol', import.meta.url)
const ARTIFACT_URL = new URL('./dataRegistryArtifact.ts', import.meta.url)

/** Pinned: changing any of these changes the genesis of every new chain. */
export const DATA_REGISTRY_SOLC_SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  // No metadata hash: the runtime code then depends only on source and settings, not on file paths or comments' IPFS hash.
  metadata: { bytecodeHash: 'none', appendCBOR: false },
  outputSelection: { '*': { DataRegistry: ['abi', 'evm.deployedBytecode.object'] } },
} as const

export type DataRegistryCompilation = SystemContractCompilation

export function compileDataRegistry(source: string = readFileSync(DATA_REGISTRY_SOURCE_URL, 'utf8')): DataRegistryCompilation {
  return compileSystemContract('DataRegistry', source, DATA_REGISTRY_SOLC_SETTINGS)
}

export function renderDataRegistryArtifact(c: DataRegistryCompilation): string {
  return renderSystemContractArtifact(c, 'DATA_REGISTRY', 'src/data/registry/compileDataRegistry.ts', 'DataRegistry.sol')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ARTIFACT_URL, renderDataRegistryArtifact(compileDataRegistry()))
  console.log(`wrote ${fileURLToPath(ARTIFACT_URL)}`)
}
