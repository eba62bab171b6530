import type { GenesisJson } from '../chain/genesis.js'
import { bytesToHex } from '../primitives/bytes.js'
import { dataRegistryGenesisAccount } from '../data/registry/dataRegistry.js'

/** Accounts every Stele genesis carries: the system contracts (docs/spec/data.md). */
export function systemGenesisAccounts(): NonNullable<GenesisJson['alloc']> {
  const registry = dataRegistryGenesisAccount()
  return {
    [registry.addressHex]: { code: bytesToHex(registry.code), balance: '0x0', nonce: '0x1' },
  }
}
