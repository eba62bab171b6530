import type { RpcMethod } from '../../context.js'
import { expectParams } from '../../params.js'
import { notificationsUnsupported } from '../../subscriptions.js'

/** eth_unsubscribe(id): true when the subscription existed on this connection. */
export const unsubscribe: RpcMethod = (params, { subscriptions }) => {
  if (subscriptions === undefined) throw notificationsUnsupported()
  expectParams(params, 1)
  const id = params[0]
  return typeof id === 'string' && subscriptions.unsubscribe(id.toLowerCase())
}
