import { ErrorCode, SteleError } from '../../primitives/errors.js'
import type { RpcBackend } from '../backend.js'
import type { RpcMethod } from '../context.js'
import { accounts } from './eth/accounts.js'
import { blobBaseFee } from './eth/blobBaseFee.js'
import { blockNumber } from './eth/blockNumber.js'
import { call } from './eth/call.js'
import { chainId } from './eth/chainId.js'
import { estimateGas } from './eth/estimateGas.js'
import { feeHistory } from './eth/feeHistory.js'
import { gasPrice } from './eth/gasPrice.js'
import { getBalance } from './eth/getBalance.js'
import { getBlockByHash } from './eth/getBlockByHash.js'
import { getBlockByNumber } from './eth/getBlockByNumber.js'
import { getBlockReceipts } from './eth/getBlockReceipts.js'
import { getBlockTransactionCountByHash } from './eth/getBlockTransactionCountByHash.js'
import { getBlockTransactionCountByNumber } from './eth/getBlockTransactionCountByNumber.js'
import { getCode } from './eth/getCode.js'
import { getFilterChanges } from './eth/getFilterChanges.js'
import { getFilterLogs } from './eth/getFilterLogs.js'
import { getLogs } from './eth/getLogs.js'
import { getProof } from './eth/getProof.js'
import { getStorageAt } from './eth/getStorageAt.js'
import { getTransactionByBlockHashAndIndex } from './eth/getTransactionByBlockHashAndIndex.js'
import { getTransactionByBlockNumberAndIndex } from './eth/getTransactionByBlockNumberAndIndex.js'
import { getTransactionByHash } from './eth/getTransactionByHash.js'
import { getTransactionCount } from './eth/getTransactionCount.js'
import { getTransactionReceipt } from './eth/getTransactionReceipt.js'
import { getUncleByBlockHashAndIndex } from './eth/getUncleByBlockHashAndIndex.js'
import { getUncleByBlockNumberAndIndex } from './eth/getUncleByBlockNumberAndIndex.js'
import { getUncleCountByBlockHash } from './eth/getUncleCountByBlockHash.js'
import { getUncleCountByBlockNumber } from './eth/getUncleCountByBlockNumber.js'
import { maxPriorityFeePerGas } from './eth/maxPriorityFeePerGas.js'
import { newBlockFilter } from './eth/newBlockFilter.js'
import { newFilter } from './eth/newFilter.js'
import { newPendingTransactionFilter } from './eth/newPendingTransactionFilter.js'
import { sendRawTransaction } from './eth/sendRawTransaction.js'
import { subscribe } from './eth/subscribe.js'
import { syncing } from './eth/syncing.js'
import { uninstallFilter } from './eth/uninstallFilter.js'
import { unsubscribe } from './eth/unsubscribe.js'
import { listening } from './net/listening.js'
import { peerCount } from './net/peerCount.js'
import { version } from './net/version.js'
import { clientVersion } from './web3/clientVersion.js'
import { sha3 } from './web3/sha3.js'

/** The standard methods Stele serves, by JSON-RPC name. */
export const STANDARD_METHODS: Readonly<Record<string, RpcMethod>> = {
  web3_clientVersion: clientVersion,
  web3_sha3: sha3,
  net_version: version,
  net_listening: listening,
  net_peerCount: peerCount,
  eth_chainId: chainId,
  eth_blockNumber: blockNumber,
  eth_syncing: syncing,
  eth_accounts: accounts,
  eth_gasPrice: gasPrice,
  eth_maxPriorityFeePerGas: maxPriorityFeePerGas,
  eth_feeHistory: feeHistory,
  eth_blobBaseFee: blobBaseFee,
  eth_getBalance: getBalance,
  eth_getTransactionCount: getTransactionCount,
  eth_getCode: getCode,
  eth_getStorageAt: getStorageAt,
  eth_getProof: getProof,
  eth_call: call,
  eth_estimateGas: estimateGas,
  eth_sendRawTransaction: sendRawTransaction,
  eth_getTransactionByHash: getTransactionByHash,
  eth_getTransactionReceipt: getTransactionReceipt,
  eth_getBlockByNumber: getBlockByNumber,
  eth_getBlockByHash: getBlockByHash,
  eth_getBlockTransactionCountByNumber: getBlockTransactionCountByNumber,
  eth_getBlockTransactionCountByHash: getBlockTransactionCountByHash,
  eth_getTransactionByBlockNumberAndIndex: getTransactionByBlockNumberAndIndex,
  eth_getTransactionByBlockHashAndIndex: getTransactionByBlockHashAndIndex,
  eth_getBlockReceipts: getBlockReceipts,
  eth_getUncleCountByBlockNumber: getUncleCountByBlockNumber,
  eth_getUncleCountByBlockHash: getUncleCountByBlockHash,
  eth_getUncleByBlockNumberAndIndex: getUncleByBlockNumberAndIndex,
  eth_getUncleByBlockHashAndIndex: getUncleByBlockHashAndIndex,
  eth_getLogs: getLogs,
  eth_newFilter: newFilter,
  eth_newBlockFilter: newBlockFilter,
  eth_newPendingTransactionFilter: newPendingTransactionFilter,
  eth_getFilterChanges: getFilterChanges,
  eth_getFilterLogs: getFilterLogs,
  eth_uninstallFilter: uninstallFilter,
  eth_subscribe: subscribe,
  eth_unsubscribe: unsubscribe,
}

/**
 * The method table: standard methods plus the backend's extra namespaces (qbft_*, stele_*, admin_*).
 * An extra method may not shadow a standard one: that would silently change what wallets see.
 */
export function createMethodTable(backend: RpcBackend): Map<string, RpcMethod> {
  const table = new Map<string, RpcMethod>(Object.entries(STANDARD_METHODS))
  const extras = backend.extraMethods?.() ?? {}
  for (const [name, handler] of Object.entries(extras)) {
    if (table.has(name)) throw new SteleError(ErrorCode.Config, `extra RPC method ${name} would shadow a standard method`)
    table.set(name, (params) => handler(params))
  }
  return table
}
