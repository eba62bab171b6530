import { randomBytes } from 'node:crypto'
import type { Block, TxReceipt } from '../chain/types.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { RpcBackend } from './backend.js'
import { RpcErrorCode } from './errorMapping.js'
import { formatHeader, formatLog, formatTransaction } from './format.js'
import { toHex } from './hex.js'
import { matchingBlockLogs, parseLogCriteria } from './logFilter.js'
import { invalidParams } from './params.js'

/**
 * The eth_subscribe subscriptions of one WebSocket connection. Notifications are pushed through `send`
 * as already-serialized JSON; closing the connection ends them all.
 */
export interface SubscriptionSet {
  subscribe(kind: unknown, options: unknown): string
  unsubscribe(id: string): boolean
  size(): number
  closeAll(): void
}

/** geth's answer to eth_subscribe over HTTP (-32601, "notifications not supported"). */
export function notificationsUnsupported(): SteleError {
  return new SteleError(ErrorCode.Unsupported, 'notifications not supported', { details: { rpcCode: RpcErrorCode.MethodNotFound } })
}

export function createSubscriptionSet(backend: RpcBackend, send: (json: string) => void): SubscriptionSet {
  const active = new Map<string, () => void>()

  function notify(id: string, result: unknown): void {
    send(`{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${id}","result":${JSON.stringify(result)}}}`)
  }

  return {
    subscribe(kind, options) {
      const id = toHex(randomBytes(16))
      let stop: () => void
      if (kind === 'newHeads') {
        stop = backend.onNewBlock((block: Block) => notify(id, formatHeader(block.header, block.hash)))
      } else if (kind === 'logs') {
        // Block range fields are ignored: a subscription follows new blocks only.
        const criteria = parseLogCriteria(options, 1)
        stop = backend.onNewBlock((_block: Block, receipts: TxReceipt[]) => {
          for (const log of matchingBlockLogs(receipts, criteria.addresses, criteria.topics)) notify(id, formatLog(log))
        })
      } else if (kind === 'newPendingTransactions') {
        const full = options === true
        stop = backend.onPendingTransaction((hash) => {
          if (!full) return notify(id, toHex(hash))
          const found = backend.transaction(hash)
          if (found !== undefined) notify(id, formatTransaction(found.tx, found.location, undefined))
        })
      } else {
        throw invalidParams(`no "${String(kind)}" subscription in eth namespace`)
      }
      active.set(id, stop)
      return id
    },
    unsubscribe(id) {
      const stop = active.get(id)
      if (stop === undefined) return false
      active.delete(id)
      stop()
      return true
    },
    size: () => active.size,
    closeAll() {
      for (const stop of active.values()) stop()
      active.clear()
    },
  }
}
