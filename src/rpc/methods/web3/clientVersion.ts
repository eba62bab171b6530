import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'

/** web3_clientVersion: e.g. "stele/v0.1.0/linux-x64/node20". */
export const clientVersion: RpcMethod = (params, { backend }) => {
  expectParams(params, 0)
  return backend.clientVersion
}
