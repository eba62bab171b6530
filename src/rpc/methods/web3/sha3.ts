import type { RpcMethod } from '../../context.js'
import { keccak256 } from '../../../crypto/keccak.js'
import { toHex } from '../../hex.js'
import { expectParams, parseData } from '../../params.js'

/** web3_sha3: keccak256 of the given bytes. */
export const sha3: RpcMethod = (params) => {
  expectParams(params, 1)
  return toHex(keccak256(parseData(params[0], 0)))
}
