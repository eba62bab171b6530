import type { GenesisJson } from '../chain/genesis.js'

/** Accounts every Stele genesis carries: the system contracts (data registry, device registry). */
export function systemGenesisAccounts(): NonNullable<GenesisJson['alloc']> {
  return {}
}
