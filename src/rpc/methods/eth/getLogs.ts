import type { RpcMethod } from '../../context.js'
import { formatLog } from '../../format.js'
import { parseLogCriteria, resolveLogFilter } from '../../logFilter.js'
import { expectParams } from '../../params.js'

/** eth_getLogs({ fromBlock, toBlock, address, topics } | { blockHash, address, topics }). */
export const getLogs: RpcMethod = (params, { backend }) => {
  expectParams(params, 1)
  const filter = resolveLogFilter(backend, parseLogCriteria(params[0], 0))
  return filter === undefined ? [] : backend.logs(filter).map(formatLog)
}
