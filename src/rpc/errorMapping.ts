import { bytesToHex } from '../primitives/bytes.js'
import { ErrorCode, isSteleError } from '../primitives/errors.js'

/** A JSON-RPC 2.0 error object as it goes on the wire. */
export interface JsonRpcErrorObject {
  code: number
  message: string
  data?: unknown
}

/** JSON-RPC error codes Stele returns. They are geth's, so wallets and libraries recognise them. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  /** geth's catch-all "server error": tx admission failures, header not found, filter not found. */
  Server: -32000,
  /** geth: revert of eth_call / eth_estimateGas; `data` holds the revert bytes. */
  ExecutionReverted: 3,
} as const

const SERVER_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.InvalidRlp,
  ErrorCode.InvalidSignature,
  ErrorCode.InvalidBlock,
  ErrorCode.InvalidTransaction,
  ErrorCode.WrongChainId,
  ErrorCode.NonceTooLow,
  ErrorCode.NonceTooHigh,
  ErrorCode.InsufficientFunds,
  ErrorCode.FeeTooLow,
  ErrorCode.ReplacementUnderpriced,
  ErrorCode.AlreadyKnown,
  ErrorCode.IntrinsicGasTooLow,
  ErrorCode.GasLimitExceeded,
  ErrorCode.OversizedData,
  ErrorCode.TxPoolFull,
  ErrorCode.ExecutionFailed,
  ErrorCode.NotFound,
  ErrorCode.Unsupported,
  ErrorCode.Proof,
  ErrorCode.Consensus,
])

const PARAMS_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([ErrorCode.InvalidInput, ErrorCode.InvalidHex])

/**
 * The one place a thrown error becomes a JSON-RPC error. The message is the SteleError's own (the txpool
 * and execution write geth's wording); this only chooses the code. `unexpected` tells the server to log it.
 */
export function toJsonRpcError(error: unknown): { error: JsonRpcErrorObject; unexpected: boolean } {
  if (!isSteleError(error)) {
    return { error: { code: RpcErrorCode.Internal, message: 'internal error' }, unexpected: true }
  }
  if (error.code === ErrorCode.ExecutionReverted) {
    const data = error.details['data']
    const revertData = data instanceof Uint8Array ? bytesToHex(data) : typeof data === 'string' ? data : undefined
    // Keep a reason the executor already wrote; otherwise decode it from the revert data, as geth does.
    const message = error.message.startsWith('execution reverted:') ? error.message : revertMessage(error.details['data'])
    return {
      error: revertData === undefined ? { code: RpcErrorCode.ExecutionReverted, message } : { code: RpcErrorCode.ExecutionReverted, message, data: revertData },
      unexpected: false,
    }
  }
  const explicit = error.details['rpcCode']
  if (typeof explicit === 'number' && Number.isInteger(explicit)) return { error: { code: explicit, message: error.message }, unexpected: false }
  if (PARAMS_ERROR_CODES.has(error.code)) return { error: { code: RpcErrorCode.InvalidParams, message: error.message }, unexpected: false }
  if (SERVER_ERROR_CODES.has(error.code)) return { error: { code: RpcErrorCode.Server, message: error.message }, unexpected: false }
  // Storage, Internal, Config, Network: our fault, not the caller's.
  return { error: { code: RpcErrorCode.Internal, message: error.message }, unexpected: true }
}

function revertMessage(data: unknown): string {
  const reason = data instanceof Uint8Array ? decodeRevertReason(data) : undefined
  return reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`
}

const ERROR_SELECTOR = 0x08c379a0
const PANIC_SELECTOR = 0x4e487b71

/** Decodes Solidity's Error(string) and Panic(uint256) revert payloads; undefined for custom errors. */
export function decodeRevertReason(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const selector = view.getUint32(0)
  if (selector === PANIC_SELECTOR && data.length >= 36) {
    return `panic: 0x${bytesToHex(data.subarray(4, 36)).slice(2).replace(/^0+(?=.)/, '')}`
  }
  if (selector !== ERROR_SELECTOR || data.length < 68) return undefined
  const offset = readSmallUint(data, 4)
  if (offset === undefined) return undefined
  const length = readSmallUint(data, 4 + offset)
  if (length === undefined) return undefined
  const start = 4 + offset + 32
  if (start + length > data.length) return undefined
  return new TextDecoder().decode(data.subarray(start, start + length))
}

/** A 32-byte big-endian word that must fit in 32 bits (ABI offsets and lengths). */
function readSmallUint(data: Uint8Array, at: number): number | undefined {
  if (at + 32 > data.length) return undefined
  for (let i = at; i < at + 28; i++) if (data[i] !== 0) return undefined
  return new DataView(data.buffer, data.byteOffset + at + 28, 4).getUint32(0)
}
