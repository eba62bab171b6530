import { Hardfork } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, KECCAK256_NULL } from '@ethereumjs/util'
import { equalBytes } from '../primitives/bytes.js'

const MAX_UINT256 = (1n << 256n) - 1n

/**
 * Addresses whose first 18 bytes are zero are left to the EVM: the precompiles (0x01–0x0a under Cancun,
 * more in later forks) live there, and a call to one runs code even when the account has none.
 */
function mayBePrecompile(address: Uint8Array): boolean {
  for (let i = 0; i < 18; i++) if (address[i] !== 0) return false
  return true
}

/**
 * The most common transaction, a value transfer to an account without code, applied without the EVM.
 *
 * It leaves the state exactly as runTx does under Cancun (runTx's changes applied in runTx's order, each
 * account read and written once), so the state root is the same: the sender pays gasLimit × price and its
 * nonce moves, the value moves, the unused gas is refunded, the coinbase gets the priority fee, and each
 * touched account left empty is deleted (EIP-161). Gas used is the intrinsic gas: with no code at the target
 * nothing else runs.
 *
 * Anything else returns undefined before touching the state, and the caller runs the tx through runTx:
 * contract creation, a target with code or in the precompile range, and every tx runTx would refuse (so
 * refusals keep runTx's wording). `src/execution/plainTransfer.test.ts` checks it against runTx.
 */
export function applyPlainTransfer(state: SyncAccounts, tx: TypedTransaction, from: Uint8Array, baseFee: bigint, coinbase: Address): { gasUsed: bigint } | undefined {
  const charge = checkCharge(state, tx, from, baseFee)
  if (charge === undefined || hasCode(charge.target)) return undefined
  return { gasUsed: transferCharged(state, tx, charge, coinbase) }
}

/**
 * Account reads and writes that return at once (the flat state overlay's FlatStateManager has them). These
 * paths make a few per transaction, and @ethereumjs's async StateManagerInterface cost a promise each.
 */
export interface SyncAccounts {
  accountNow(address: Address): Account | undefined
  putAccountNow(address: Address, account: Account): void
  deleteAccountNow(address: Address): void
}

export function hasSyncAccounts(state: object): state is SyncAccounts {
  return typeof (state as Partial<SyncAccounts>).accountNow === 'function'
}

/** applyPlainTransfer once checkCharge has passed and the target has no code; returns the gas used. */
export function transferCharged(state: SyncAccounts, tx: TypedTransaction, charge: Charge, coinbase: Address): bigint {
  // With no code at the target nothing runs: the gas used is the intrinsic gas.
  settle(state, tx, charge, coinbase, charge.intrinsicGas, true)
  return charge.intrinsicGas
}

export function hasCode(account: Account | undefined): boolean {
  return account !== undefined && !equalBytes(account.codeHash, KECCAK256_NULL)
}

/** What a transaction pays, once checkCharge has found that runTx would accept it. */
export interface Charge {
  sender: Address
  senderBefore: Account | undefined
  /** The call's target before the transaction (the sender's account when it calls itself). */
  target: Account | undefined
  intrinsicGas: bigint
  gasPrice: bigint
  inclusionFee: bigint
}

/**
 * The checks runTx makes before it runs anything, for a call (not a creation) outside the precompile
 * range under Cancun; undefined when the transaction is not such a call or runTx would refuse it (or the
 * value would overflow the target's balance, which runTx handles).
 */
export function checkCharge(state: SyncAccounts, tx: TypedTransaction, from: Uint8Array, baseFee: bigint): Charge | undefined {
  const to = tx.to
  // The rules below are Cancun's; a later fork (EIP-7623's calldata floor, EIP-7702 delegations) goes to runTx.
  if (to === undefined || mayBePrecompile(to.bytes) || tx.type > 2 || tx.common.hardfork() !== Hardfork.Cancun) return undefined
  const intrinsicGas = tx.getIntrinsicGas()
  if (tx.gasLimit < intrinsicGas || tx.value < 0n) return undefined

  let gasPrice: bigint
  let inclusionFee: bigint
  let maxCost = tx.value
  let upfrontCost: bigint
  if (tx.type === 2) {
    const { maxFeePerGas, maxPriorityFeePerGas } = tx as TypedTransaction & { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
    if (maxFeePerGas < baseFee) return undefined
    inclusionFee = maxPriorityFeePerGas < maxFeePerGas - baseFee ? maxPriorityFeePerGas : maxFeePerGas - baseFee
    gasPrice = inclusionFee + baseFee
    maxCost += tx.gasLimit * maxFeePerGas
    upfrontCost = tx.gasLimit * gasPrice + tx.value
  } else {
    gasPrice = (tx as TypedTransaction & { gasPrice: bigint }).gasPrice
    if (gasPrice < baseFee) return undefined
    inclusionFee = gasPrice - baseFee
    upfrontCost = tx.gasLimit * gasPrice + tx.value
  }

  const sender = new Address(from)
  const senderBefore = state.accountNow(sender)
  const nonce = senderBefore?.nonce ?? 0n
  const balance = senderBefore?.balance ?? 0n
  if (hasCode(senderBefore)) return undefined // EIP-3607
  if (balance < upfrontCost || balance < maxCost || nonce !== tx.nonce) return undefined
  const target = equalBytes(to.bytes, from) ? senderBefore : state.accountNow(to)
  if ((target?.balance ?? 0n) + tx.value > MAX_UINT256) return undefined
  return { sender, senderBefore, target, intrinsicGas, gasPrice, inclusionFee }
}

/**
 * runTx's account writes around a call, in runTx's order, on one object per distinct address (the sender
 * may also be the target or the coinbase, and then sees the earlier changes), each read and stored once:
 * the sender pays gasLimit × price and its nonce moves, the value moves if the call succeeded, the unused
 * gas is refunded, the coinbase gets the priority fee, and each touched account left empty is deleted
 * (EIP-161). There is no checkpoint between them, so only the final values reach the state.
 */
export function settle(state: SyncAccounts, tx: TypedTransaction, charge: Charge, coinbase: Address, gasUsed: bigint, valueMoved: boolean): void {
  // At most three addresses, found by comparing bytes: keying a Map by address.toString() built a hex string
  // of 40 one-character concatenations per touch, a tenth of the dev bench's allocation (item 19).
  const accounts: { address: Address; account: Account }[] = []
  const touch = (address: Address): Account => {
    for (const entry of accounts) if (equalBytes(entry.address.bytes, address.bytes)) return entry.account
    const entry = { address, account: state.accountNow(address) ?? new Account() }
    accounts.push(entry)
    return entry.account
  }
  const { gasPrice } = charge
  const payer = touch(charge.sender)
  payer.balance -= tx.gasLimit * gasPrice
  payer.nonce += 1n
  const target = touch(tx.to as Address)
  if (valueMoved) {
    payer.balance -= tx.value
    target.balance += tx.value
  }
  payer.balance += (tx.gasLimit - gasUsed) * gasPrice
  touch(coinbase).balance += gasUsed * charge.inclusionFee
  for (const { address, account } of accounts) {
    if (account.isEmpty()) state.deleteAccountNow(address)
    else state.putAccountNow(address, account)
  }
}
