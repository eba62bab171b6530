import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { compileSystemContract, renderSystemContractArtifact, type SystemContractCompilation } from '../../registry/compileSystemContract.js'

/**
 * Compiles DeviceRegistry.sol with the pinned solc-js and writes deviceRegistryArtifact.ts.
 * Regenerate after editing the contract:  node --import ./scripts/preload.mjs src/data/iot/registry/compileDeviceRegistry.ts
 * A test recompiles and compares, so the committed bytecode always matches the committed source.
 */
export const DEVICE_REGISTRY_SOURCE_URL = new URL('./DeviceRegistry.sol', import.meta.url)
const ARTIFACT_URL = new URL('./deviceRegistryArtifact.ts', import.meta.url)

/** Pinned: changing any of these changes the genesis of every new chain. Same choices as the data registry. */
export const DEVICE_REGISTRY_SOLC_SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  viaIR: true,
  metadata: { bytecodeHash: 'none', appendCBOR: false },
  outputSelection: { '*': { DeviceRegistry: ['abi', 'evm.deployedBytecode.object'] } },
} as const

export type DeviceRegistryCompilation = SystemContractCompilation

export function compileDeviceRegistry(source: string = readFileSync(DEVICE_REGISTRY_SOURCE_URL, 'utf8')): DeviceRegistryCompilation {
  return compileSystemContract('DeviceRegistry', source, DEVICE_REGISTRY_SOLC_SETTINGS)
}

export function renderDeviceRegistryArtifact(c: DeviceRegistryCompilation): string {
  return renderSystemContractArtifact(c, 'DEVICE_REGISTRY', 'src/data/iot/registry/compileDeviceRegistry.ts', 'DeviceRegistry.sol')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ARTIFACT_URL, renderDeviceRegistryArtifact(compileDeviceRegistry()))
  console.log(`wrote ${fileURLToPath(ARTIFACT_URL)}`)
}
