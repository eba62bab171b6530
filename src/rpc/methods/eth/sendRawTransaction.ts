import type { RpcMethod } from '../../context.js'
import { toHex } from '../../hex.js'
import { expectParams, parseData } from '../../params.js'

/** eth_sendRawTransaction(raw): the hot path; the backend decodes, validates and admits. */
export const sendRawTransaction: RpcMethod = async (params, { backend }) => {
  expectParams(params, 1)
  return toHex(await backend.sendRawTransaction(parseData(params[0], 0)))
}
