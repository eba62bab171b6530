import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common'
import { nativeSecp256k1 } from '../crypto/secp256k1.js'
import { keccak256 } from '../crypto/keccak.js'

/**
 * The @ethereumjs Common for a Stele chain: Cancun rules, our chain id, and native crypto plugged in so
 * sender recovery and hashing in @ethereumjs use libsecp256k1 and native keccak.
 */
export function createChainCommon(chainId: bigint): Common {
  const common = createCustomCommon({ chainId: Number(chainId), name: 'stele' }, Mainnet, {
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
  useEipTable(common)
  return common
}

/**
 * The EVM asks isActivatedEIP several times per opcode, and Common answers with Array.includes over the
 * ~50 active EIPs (about 5% of an ERC-20 transfer's runTx). This answers from a table built from that same
 * array, rebuilt whenever Common replaces the array (on a hardfork change), also in copies (`this`).
 */
function useEipTable(common: Common): void {
  let source: readonly number[] | undefined
  let table = new Uint8Array(0)
  common.isActivatedEIP = function (this: Common, eip: number): boolean {
    const active = (this as unknown as { _activatedEIPsCache: readonly number[] })._activatedEIPsCache
    if (active !== source) {
      table = new Uint8Array(Math.max(0, ...active) + 1)
      for (const n of active) table[n] = 1
      source = active
    }
    return table[eip] === 1
  }
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
