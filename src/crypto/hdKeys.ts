import { HDKey } from '@scure/bip32'
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39'
import { wordlist as english } from '@scure/bip39/wordlists/english.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { privateKeyToAddress } from './secp256k1.js'

/** The well-known development mnemonic shared by Hardhat, anvil and Ganache: dev accounts match theirs. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'

/** BIP-44 Ethereum path prefix; account i is `${DEV_DERIVATION_PREFIX}/${i}`. */
export const DEV_DERIVATION_PREFIX = "m/44'/60'/0'/0"

export interface DevKey {
  address: Uint8Array
  privateKey: Uint8Array
}

/**
 * Derives `count` accounts from a BIP-39 mnemonic along m/44'/60'/0'/0/i. The seed (2048 rounds of
 * PBKDF2) is computed once per call, so asking for many keys at once is cheap.
 */
export function deriveDevKeys(count: number, mnemonic: string = DEV_MNEMONIC): DevKey[] {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new SteleError(ErrorCode.InvalidInput, `account count must be a non-negative integer, got ${count}`)
  }
  if (!validateMnemonic(mnemonic, english)) {
    throw new SteleError(ErrorCode.InvalidInput, 'not a valid BIP-39 English mnemonic')
  }
  const parent = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic)).derive(DEV_DERIVATION_PREFIX)
  const keys: DevKey[] = []
  for (let i = 0; i < count; i++) {
    const privateKey = parent.deriveChild(i).privateKey
    if (!privateKey) throw new SteleError(ErrorCode.Internal, `no private key derived for account ${i}`)
    keys.push({ address: privateKeyToAddress(privateKey), privateKey: Uint8Array.from(privateKey) })
  }
  return keys
}
