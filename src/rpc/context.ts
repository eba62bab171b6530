import type { RpcBackend } from './backend.js'
import type { FilterManager } from './filters.js'
import type { SubscriptionSet } from './subscriptions.js'

/** What a method handler sees. One context per server (HTTP) or per connection (WebSocket), never per request. */
export interface RpcContext {
  readonly backend: RpcBackend
  readonly filters: FilterManager
  /** Present on WebSocket connections only: eth_subscribe needs a channel to push notifications on. */
  readonly subscriptions: SubscriptionSet | undefined
}

/** A method handler: positional params in, a JSON-ready result (or a promise of one) out. Throws SteleError. */
export type RpcMethod = (params: unknown[], context: RpcContext) => unknown
