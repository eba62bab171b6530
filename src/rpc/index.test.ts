import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as rpc from './index.js'

/** Guards the public surface: removing a method or an export must be a deliberate change here. */
describe('rpc public surface', () => {
  it('exports', () => {
    assert.deepEqual(Object.keys(rpc).sort(), [
      'DEFAULT_MAX_BATCH_SIZE',
      'DEFAULT_MAX_BODY_BYTES',
      'RpcErrorCode',
      'STANDARD_METHODS',
      'createDispatcher',
      'createMethodTable',
      'createRpcServer',
      'decodeRevertReason',
      'toJsonRpcError',
    ])
  })

  it('standard methods', () => {
    assert.deepEqual(Object.keys(rpc.STANDARD_METHODS).sort(), [
      'eth_accounts',
      'eth_blobBaseFee',
      'eth_blockNumber',
      'eth_call',
      'eth_chainId',
      'eth_estimateGas',
      'eth_feeHistory',
      'eth_gasPrice',
      'eth_getBalance',
      'eth_getBlockByHash',
      'eth_getBlockByNumber',
      'eth_getBlockReceipts',
      'eth_getBlockTransactionCountByHash',
      'eth_getBlockTransactionCountByNumber',
      'eth_getCode',
      'eth_getFilterChanges',
      'eth_getFilterLogs',
      'eth_getLogs',
      'eth_getProof',
      'eth_getStorageAt',
      'eth_getTransactionByBlockHashAndIndex',
      'eth_getTransactionByBlockNumberAndIndex',
      'eth_getTransactionByHash',
      'eth_getTransactionCount',
      'eth_getTransactionReceipt',
      'eth_getUncleByBlockHashAndIndex',
      'eth_getUncleByBlockNumberAndIndex',
      'eth_getUncleCountByBlockHash',
      'eth_getUncleCountByBlockNumber',
      'eth_maxPriorityFeePerGas',
      'eth_newBlockFilter',
      'eth_newFilter',
      'eth_newPendingTransactionFilter',
      'eth_sendRawTransaction',
      'eth_subscribe',
      'eth_syncing',
      'eth_uninstallFilter',
      'eth_unsubscribe',
      'net_listening',
      'net_peerCount',
      'net_version',
      'web3_clientVersion',
      'web3_sha3',
    ])
  })
})
