import { keccak256 } from '../../crypto/keccak.js'
import { hexToBytes, type Hex } from '../../primitives/bytes.js'
import { DATA_REGISTRY_ADDRESS, DATA_REGISTRY_ADDRESS_HEX } from '../verify/registryAbi.js'
import { DATA_REGISTRY_ABI, DATA_REGISTRY_RUNTIME_BYTECODE } from './dataRegistryArtifact.js'

export { DATA_REGISTRY_ADDRESS, DATA_REGISTRY_ADDRESS_HEX, DATA_REGISTRY_ABI, DATA_REGISTRY_RUNTIME_BYTECODE }
export * from '../verify/registryAbi.js'

/** A genesis allocation: code only. The contract has no constructor, so its storage starts empty. */
export interface GenesisContractAccount {
  address: Uint8Array
  addressHex: Hex
  code: Uint8Array
  codeHash: Uint8Array
  storage: Map<string, Uint8Array>
  balance: bigint
  nonce: bigint
}

/**
 * The data registry as a genesis account. The lead puts it in every genesis alloc, e.g.
 *   alloc[acct.addressHex] = { code: bytesToHex(acct.code), balance: '0x0', nonce: '0x1' }
 * Nonce 1 follows EIP-161 for contract accounts.
 */
export function dataRegistryGenesisAccount(): GenesisContractAccount {
  const code = hexToBytes(DATA_REGISTRY_RUNTIME_BYTECODE)
  return {
    address: DATA_REGISTRY_ADDRESS.slice(),
    addressHex: DATA_REGISTRY_ADDRESS_HEX,
    code,
    codeHash: keccak256(code),
    storage: new Map(),
    balance: 0n,
    nonce: 1n,
  }
}
