import type { Genesis } from '../genesis.js'
import type { Hex } from '../../primitives/bytes.js'

/** A gas-free single-validator genesis that funds `addresses` with 10^24 wei each, for ledger-level tests. */
export function fundedTestGenesis(chainId: bigint, validator: Uint8Array, addresses: readonly Hex[]): Genesis {
  return {
    chainId,
    timestamp: 0n,
    gasLimit: 30_000_000n,
    baseFeePerGas: 0n,
    validators: [validator],
    permittedPeers: [],
    blockPeriodMs: 0,
    requestTimeoutMs: 1000,
    roundTimeoutCapMs: 10_000,
    alloc: new Map(addresses.map((a) => [a.toLowerCase() as Hex, { balance: 10n ** 24n, nonce: 0n, code: undefined, storage: new Map() }])),
  }
}
