/**
 * Every error Stele throws is a SteleError with a stable string code. The RPC layer maps codes to
 * JSON-RPC error codes (src/rpc/errorMapping.ts); the CLI prints `code: message`.
 */
export const ErrorCode = {
  InvalidInput: 'INVALID_INPUT',
  InvalidHex: 'INVALID_HEX',
  InvalidRlp: 'INVALID_RLP',
  InvalidSignature: 'INVALID_SIGNATURE',
  InvalidBlock: 'INVALID_BLOCK',
  InvalidTransaction: 'INVALID_TRANSACTION',
  WrongChainId: 'WRONG_CHAIN_ID',
  NonceTooLow: 'NONCE_TOO_LOW',
  NonceTooHigh: 'NONCE_TOO_HIGH',
  InsufficientFunds: 'INSUFFICIENT_FUNDS',
  FeeTooLow: 'FEE_TOO_LOW',
  ReplacementUnderpriced: 'REPLACEMENT_UNDERPRICED',
  AlreadyKnown: 'ALREADY_KNOWN',
  IntrinsicGasTooLow: 'INTRINSIC_GAS_TOO_LOW',
  GasLimitExceeded: 'GAS_LIMIT_EXCEEDED',
  OversizedData: 'OVERSIZED_DATA',
  TxPoolFull: 'TXPOOL_FULL',
  ExecutionReverted: 'EXECUTION_REVERTED',
  ExecutionFailed: 'EXECUTION_FAILED',
  NotFound: 'NOT_FOUND',
  Storage: 'STORAGE',
  Config: 'CONFIG',
  Consensus: 'CONSENSUS',
  Network: 'NETWORK',
  Proof: 'PROOF',
  Unsupported: 'UNSUPPORTED',
  Internal: 'INTERNAL',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export interface SteleErrorOptions {
  details?: Record<string, unknown>
  cause?: unknown
}

export class SteleError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown>

  constructor(code: ErrorCode, message: string, options: SteleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SteleError'
    this.code = code
    this.details = options.details ?? {}
  }
}

export function isSteleError(error: unknown, code?: ErrorCode): error is SteleError {
  return error instanceof SteleError && (code === undefined || error.code === code)
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
