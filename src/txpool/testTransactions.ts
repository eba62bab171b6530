import { createTx } from '@ethereumjs/tx'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { bigintToBytes, bytesToHex, hexToBytes } from '../primitives/bytes.js'
import { sign } from '../crypto/secp256k1.js'
import type { AccountState } from './txPool.js'

/** Test support for the txpool tests: well-known dev keys, signing, and a fake head state. */

/** The anvil / hardhat dev accounts 0-3 (public test keys, never for real funds). */
export const DEV_KEYS = [
  {
    key: hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'),
    address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  },
  {
    key: hexToBytes('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'),
    address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  },
  {
    key: hexToBytes('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'),
    address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  },
  {
    key: hexToBytes('0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6'),
    address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  },
] as const

export const RECIPIENT = '0x000000000000000000000000000000000000dEaD'

export interface TestTxFields {
  type?: 0 | 1 | 2
  nonce: bigint
  gasLimit?: bigint
  /** maxFeePerGas for type 2, gasPrice otherwise. */
  feeCap?: bigint
  /** maxPriorityFeePerGas for type 2; ignored otherwise. */
  tip?: bigint
  to?: string | null
  value?: bigint
  data?: Uint8Array
}

export function signTestTx(common: Common, key: Uint8Array, fields: TestTxFields): Uint8Array {
  const type = fields.type ?? 2
  const feeCap = fields.feeCap ?? 1_000_000_000n
  const fees = type === 2 ? { maxFeePerGas: feeCap, maxPriorityFeePerGas: fields.tip ?? feeCap } : { gasPrice: feeCap }
  const to = fields.to === null ? undefined : (fields.to ?? RECIPIENT)
  const tx = createTx(
    {
      type,
      nonce: fields.nonce,
      gasLimit: fields.gasLimit ?? 21_000n,
      ...(to === undefined ? {} : { to: to as `0x${string}` }),
      value: fields.value ?? 1n,
      data: fields.data ?? new Uint8Array(0),
      ...fees,
    },
    // Unlimited so tests can build the oversized init codes the pool must refuse.
    { common, allowUnlimitedInitCodeSize: true },
  )
  // Native signing: @ethereumjs's sign() uses JavaScript secp256k1, which dominates test time.
  const signature = sign(tx.getHashedMessageToSign(), key)
  return tx.addSignature(BigInt(signature[64] as number), signature.subarray(0, 32), signature.subarray(32, 64), true).serialize()
}

/** Encodes a type-2 tx from its field list as given, valid or not (the tx constructors refuse bad ones). */
export function encodeType2(fields: {
  chainId: bigint
  nonce: bigint
  tip: bigint
  feeCap: bigint
  gasLimit: bigint
  v: bigint
  r: bigint
  s: bigint
}): Uint8Array {
  const int = (value: bigint) => bigintToBytes(value)
  const body = RLP.encode([
    int(fields.chainId),
    int(fields.nonce),
    int(fields.tip),
    int(fields.feeCap),
    int(fields.gasLimit),
    hexToBytes(RECIPIENT),
    int(0n),
    new Uint8Array(0),
    [],
    int(fields.v),
    int(fields.r),
    int(fields.s),
  ])
  return Uint8Array.of(2, ...body)
}

/** A head state the tests edit directly; unknown accounts are rich with nonce 0. */
export function createFakeState(defaultBalance = 10n ** 24n) {
  const accounts = new Map<string, AccountState>()
  let reads = 0
  return {
    accounts,
    get reads() {
      return reads
    },
    set(address: string | Uint8Array, state: Partial<AccountState>): void {
      const key = typeof address === 'string' ? address.toLowerCase() : bytesToHex(address)
      accounts.set(key, { nonce: 0n, balance: defaultBalance, ...accounts.get(key), ...state })
    },
    read(address: Uint8Array): AccountState {
      reads++
      return accounts.get(bytesToHex(address)) ?? { nonce: 0n, balance: defaultBalance }
    },
    async account(address: Uint8Array): Promise<AccountState> {
      return this.read(address)
    },
  }
}
