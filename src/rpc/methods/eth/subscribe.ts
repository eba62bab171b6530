import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'
import { notificationsUnsupported } from '../../subscriptions.js'

/** eth_subscribe(kind, options?) on WebSocket: newHeads, logs, newPendingTransactions. */
export const subscribe: RpcMethod = (params, { subscriptions }) => {
  if (subscriptions === undefined) throw notificationsUnsupported()
  expectParams(params, 1, 2)
  return subscriptions.subscribe(params[0], params[1])
}
