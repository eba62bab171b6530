import { ErrorCode, SteleError } from '../primitives/errors.js'
import { checksumAddress } from './checksumAddress.js'

/**
 * Admission errors worded exactly as geth words them: wallets, viem, ethers and Foundry match on these
 * texts (for example "nonce too low" or "replacement transaction underpriced") to decide what to do next.
 */

export const MAX_TX_SIZE = 128 * 1024

export function oversizedData(size: number, limit: number): SteleError {
  return new SteleError(ErrorCode.OversizedData, `oversized data: transaction size ${size}, limit ${limit}`, {
    details: { size, limit },
  })
}

export function txTypeNotSupported(type: number): SteleError {
  const what = type === 3 ? 'blob transactions (type 3)' : type === 4 ? 'set-code transactions (type 4)' : `type ${type}`
  return new SteleError(ErrorCode.InvalidTransaction, `transaction type not supported: ${what} are not accepted`, {
    details: { type },
  })
}

export function undecodableTx(reason: string, cause?: unknown): SteleError {
  return new SteleError(ErrorCode.InvalidTransaction, `invalid transaction: ${reason}`, { cause })
}

export function wrongChainId(have: bigint, want: bigint): SteleError {
  return new SteleError(ErrorCode.WrongChainId, `invalid chain id for signer: have ${have} want ${want}`, {
    details: { have, want },
  })
}

export function invalidSender(cause?: unknown): SteleError {
  return new SteleError(ErrorCode.InvalidSignature, 'invalid sender', { cause })
}

export function initCodeTooLarge(size: number, limit: bigint): SteleError {
  return new SteleError(ErrorCode.InvalidTransaction, `max initcode size exceeded: code size ${size}, limit ${limit}`, {
    details: { size, limit },
  })
}

export function tipAboveFeeCap(): SteleError {
  return new SteleError(ErrorCode.InvalidTransaction, 'max priority fee per gas higher than max fee per gas')
}

export function gasLimitExceeded(gasLimit: bigint, blockGasLimit: bigint): SteleError {
  return new SteleError(ErrorCode.GasLimitExceeded, 'exceeds block gas limit', { details: { gasLimit, blockGasLimit } })
}

export function intrinsicGasTooLow(gas: bigint, needed: bigint): SteleError {
  return new SteleError(ErrorCode.IntrinsicGasTooLow, `intrinsic gas too low: gas ${gas}, minimum needed ${needed}`, {
    details: { gas, needed },
  })
}

export function feeTooLow(from: Uint8Array, maxFeePerGas: bigint, baseFee: bigint): SteleError {
  return new SteleError(
    ErrorCode.FeeTooLow,
    `max fee per gas less than block base fee: address ${checksumAddress(from)}, maxFeePerGas: ${maxFeePerGas}, baseFee: ${baseFee}`,
    { details: { maxFeePerGas, baseFee } },
  )
}

export function nonceTooLow(from: Uint8Array, txNonce: bigint, stateNonce: bigint): SteleError {
  return new SteleError(
    ErrorCode.NonceTooLow,
    `nonce too low: address ${checksumAddress(from)}, tx: ${txNonce} state: ${stateNonce}`,
    { details: { txNonce, stateNonce } },
  )
}

export function insufficientFunds(from: Uint8Array, have: bigint, want: bigint): SteleError {
  return new SteleError(
    ErrorCode.InsufficientFunds,
    `insufficient funds for gas * price + value: address ${checksumAddress(from)} have ${have} want ${want}`,
    { details: { have, want } },
  )
}

export function alreadyKnown(): SteleError {
  return new SteleError(ErrorCode.AlreadyKnown, 'already known')
}

export function replacementUnderpriced(): SteleError {
  return new SteleError(ErrorCode.ReplacementUnderpriced, 'replacement transaction underpriced')
}

export function txPoolFull(reason: string): SteleError {
  return new SteleError(ErrorCode.TxPoolFull, 'txpool is full', { details: { reason } })
}
