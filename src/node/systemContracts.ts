import type { GenesisJson } from '../chain/genesis.js'
import { bytesToHex } from '../primitives/bytes.js'
import { dataRegistryGenesisAccount } from '../data/registry/dataRegistry.js'
import { deviceRegistryGenesisAccount } from '../data/iot/registry/deviceRegistry.js'

/** Accounts every Stele genesis carries: the system contracts (docs/spec/data.md, docs/spec/devices.md). */
export function systemGenesisAccounts(): NonNullable<GenesisJson['alloc']> {
  const accounts = [dataRegistryGenesisAccount(), deviceRegistryGenesisAccount()]
  return Object.fromEntries(accounts.map((a) => [a.addressHex, { code: bytesToHex(a.code), balance: '0x0', nonce: '0x1' }]))
}
