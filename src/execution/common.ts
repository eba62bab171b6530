import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common'
import { nativeSecp256k1 } from '../crypto/secp256k1.js'
import { keccak256 } from '../crypto/keccak.js'

/**
 * The @ethereumjs Common for a Stele chain: Cancun rules, our chain id, and native crypto plugged in so
 * sender recovery and hashing in @ethereumjs use libsecp256k1 and native keccak.
 */
export function createChainCommon(chainId: bigint): Common {
  return createCustomCommon({ chainId: Number(chainId), name: 'stele' }, Mainnet, {
    hardfork: Hardfork.Cancun,
    customCrypto: {
      keccak256,
      ecrecover: (msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint) => {
        const recovery = recoveryId(v, chainId)
        const sig = new Uint8Array(64)
        sig.set(r.length === 32 ? r : padLeft(r), 0)
        sig.set(s.length === 32 ? s : padLeft(s), 32)
        return nativeSecp256k1.ecdsaRecover(sig, recovery, msgHash, false).subarray(1)
      },
    },
  })
}

function recoveryId(v: bigint, chainId: bigint | undefined): number {
  if (v === 0n || v === 1n) return Number(v)
  if (chainId === undefined) return Number(v - 27n)
  return Number(v - (2n * chainId + 35n))
}

function padLeft(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  out.set(b.subarray(Math.max(0, b.length - 32)), Math.max(0, 32 - b.length))
  return out
}
