import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { encodeHeader } from '../../chain/header.js'
import { encodeQbftExtraData } from '../../chain/qbftExtraData.js'
import { keccak256 } from '../../crypto/keccak.js'
import { bytesToHex } from '../../primitives/bytes.js'
import { rlpDecode, rlpEncode, type RlpItem } from '../../primitives/rlp.js'
import { createRpcServer, type RpcServer } from '../server.js'
import {
  ADDRESS_A,
  ADDRESS_B,
  OTHER_TOPIC,
  REVERTER,
  TOKEN,
  TRANSFER_TOPIC,
  createFakeRpcBackend,
  signTransfer,
  type FakeRpcBackend,
} from '../testing/fakeRpcBackend.js'
import { rpcCall, rpcError, rpcResult } from '../testing/rpcTestClient.js'

type Json = Record<string, unknown>

describe('rpc methods over HTTP', () => {
  let backend: FakeRpcBackend
  let server: RpcServer
  let url: string
  const A = bytesToHex(ADDRESS_A)
  const B = bytesToHex(ADDRESS_B)
  const token = bytesToHex(TOKEN)

  before(async () => {
    backend = createFakeRpcBackend()
    server = await createRpcServer({ backend, port: 0, logger: { error: () => {} } })
    url = server.url
  })
  after(() => server.close())

  it('web3, net and simple eth methods', async () => {
    assert.equal(await rpcResult(url, 'web3_clientVersion'), 'stele/v0.1.0-test')
    // keccak256("") is a well-known constant.
    assert.equal(await rpcResult(url, 'web3_sha3', ['0x']), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    assert.equal(await rpcResult(url, 'net_version'), '1337')
    assert.equal(await rpcResult(url, 'net_listening'), true)
    assert.equal(await rpcResult(url, 'net_peerCount'), '0x3')
    assert.equal(await rpcResult(url, 'eth_chainId'), '0x539')
    assert.equal(await rpcResult(url, 'eth_blockNumber'), '0x2')
    assert.equal(await rpcResult(url, 'eth_syncing'), false)
    assert.deepEqual(await rpcResult(url, 'eth_accounts'), [])
    assert.equal(await rpcResult(url, 'eth_gasPrice'), '0x3b9aca07')
    assert.equal(await rpcResult(url, 'eth_maxPriorityFeePerGas'), '0x3b9aca00')
    assert.equal(await rpcResult(url, 'eth_blobBaseFee'), '0x1')
  })

  it('uncle methods: QBFT has none', async () => {
    const hash = bytesToHex(backend.blocks[1]!.hash)
    assert.equal(await rpcResult(url, 'eth_getUncleCountByBlockNumber', ['0x1']), '0x0')
    assert.equal(await rpcResult(url, 'eth_getUncleCountByBlockNumber', ['0x99']), null)
    assert.equal(await rpcResult(url, 'eth_getUncleCountByBlockHash', [hash]), '0x0')
    assert.equal(await rpcResult(url, 'eth_getUncleCountByBlockHash', [`0x${'00'.repeat(32)}`]), null)
    assert.equal(await rpcResult(url, 'eth_getUncleByBlockNumberAndIndex', ['latest', '0x0']), null)
    assert.equal(await rpcResult(url, 'eth_getUncleByBlockHashAndIndex', [hash, '0x0']), null)
  })

  it('eth_getBlockByNumber formats every header field like geth', async () => {
    const block = backend.blocks[1]!
    const json = await rpcResult<Json>(url, 'eth_getBlockByNumber', ['0x1', false])
    const h = block.header
    assert.deepEqual(json, {
      baseFeePerGas: '0x8',
      blobGasUsed: '0x0',
      difficulty: '0x1',
      excessBlobGas: '0x0',
      extraData: bytesToHex(encodeQbftExtraData(h.extraData)),
      gasLimit: '0x1c9c380',
      gasUsed: `0x${h.gasUsed.toString(16)}`,
      hash: bytesToHex(block.hash),
      logsBloom: `0x${'00'.repeat(256)}`,
      miner: bytesToHex(h.coinbase),
      mixHash: bytesToHex(h.mixHash),
      nonce: '0x0000000000000000',
      number: '0x1',
      parentBeaconBlockRoot: `0x${'00'.repeat(32)}`,
      parentHash: bytesToHex(backend.blocks[0]!.hash),
      receiptsRoot: bytesToHex(h.receiptsRoot),
      sha3Uncles: '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347',
      size: json['size'],
      stateRoot: bytesToHex(h.stateRoot),
      timestamp: `0x${h.timestamp.toString(16)}`,
      transactions: backend.signed[1]!.map((t) => bytesToHex(t.hash)),
      transactionsRoot: bytesToHex(h.transactionsRoot),
      uncles: [],
      withdrawals: [],
      withdrawalsRoot: bytesToHex(h.withdrawalsRoot),
    })
    // size is the length of the block's RLP: [header, transactions, ommers, withdrawals].
    const txItems: RlpItem[] = block.transactions.map((raw) => ((raw[0] as number) >= 0xc0 ? rlpDecode(raw) : raw))
    const encoded = rlpEncode([rlpDecode(encodeHeader(h)), txItems, [], []])
    assert.equal(json['size'], `0x${encoded.length.toString(16)}`)
  })

  it('block tags: latest/pending/safe/finalized are the head, earliest is genesis, unknown is null', async () => {
    const head = bytesToHex(backend.blocks[2]!.hash)
    for (const tag of ['latest', 'pending', 'safe', 'finalized']) {
      assert.equal((await rpcResult<Json>(url, 'eth_getBlockByNumber', [tag, false]))['hash'], head, tag)
    }
    assert.equal((await rpcResult<Json>(url, 'eth_getBlockByNumber', ['earliest', false]))['number'], '0x0')
    assert.equal(await rpcResult(url, 'eth_getBlockByNumber', ['0x63', false]), null)
    assert.equal(await rpcResult(url, 'eth_getBlockByHash', [`0x${'12'.repeat(32)}`, false]), null)
    assert.equal((await rpcResult<Json>(url, 'eth_getBlockByHash', [head, false]))['number'], '0x2')
  })

  it('full transactions match @ethereumjs values, with geth fields per type', async () => {
    const block = await rpcResult<Json>(url, 'eth_getBlockByNumber', ['0x1', true])
    const txs = block['transactions'] as Json[]
    const [legacy, dynamic] = backend.signed[1]!
    const legacyJson = legacy!.tx.toJSON()
    assert.deepEqual(txs[0], {
      blockHash: block['hash'],
      blockNumber: '0x1',
      from: A,
      gas: '0x5208',
      gasPrice: '0xa',
      hash: bytesToHex(legacy!.hash),
      input: '0x',
      nonce: '0x0',
      to: B,
      transactionIndex: '0x0',
      value: '0x3e8',
      type: '0x0',
      chainId: '0x539',
      v: legacyJson.v,
      r: legacyJson.r,
      s: legacyJson.s,
    })
    const dynamicJson = dynamic!.tx.toJSON()
    assert.deepEqual(txs[1], {
      blockHash: block['hash'],
      blockNumber: '0x1',
      from: A,
      gas: '0xea60',
      // Effective price in a block: baseFee 8 + tip 2.
      gasPrice: '0xa',
      hash: bytesToHex(dynamic!.hash),
      input: '0xa9059cbb',
      nonce: '0x1',
      to: token,
      transactionIndex: '0x1',
      value: '0x0',
      type: '0x2',
      maxFeePerGas: '0x64',
      maxPriorityFeePerGas: '0x2',
      accessList: [],
      chainId: '0x539',
      yParity: dynamicJson.v,
      v: dynamicJson.v,
      r: dynamicJson.r,
      s: dynamicJson.s,
    })
    assert.equal(keccak256(dynamic!.serialized).length, 32)
  })

  it('eth_getTransactionByHash: access list and contract creation', async () => {
    const [accessList, create] = backend.signed[2]!
    const json = await rpcResult<Json>(url, 'eth_getTransactionByHash', [bytesToHex(accessList!.hash)])
    assert.equal(json['type'], '0x1')
    assert.equal(json['gasPrice'], '0x14')
    assert.equal(json['from'], B)
    assert.deepEqual(json['accessList'], [{ address: token, storageKeys: [`0x${'00'.repeat(32)}`] }])
    assert.equal(json['maxFeePerGas'], undefined)
    const created = await rpcResult<Json>(url, 'eth_getTransactionByHash', [bytesToHex(create!.hash)])
    assert.equal(created['to'], null)
    assert.equal(created['gasPrice'], '0xa') // baseFee 9 + tip 1
    assert.equal(created['input'], '0x6000')
    assert.equal(await rpcResult(url, 'eth_getTransactionByHash', [`0x${'ab'.repeat(32)}`]), null)
  })

  it('a pending transaction has null block fields and gasPrice = maxFeePerGas', async () => {
    const hash = await rpcResult<string>(url, 'eth_sendRawTransaction', [bytesToHex(signTransfer(3n))])
    const json = await rpcResult<Json>(url, 'eth_getTransactionByHash', [hash])
    assert.equal(json['hash'], hash)
    assert.equal(json['blockHash'], null)
    assert.equal(json['blockNumber'], null)
    assert.equal(json['transactionIndex'], null)
    assert.equal(json['gasPrice'], '0x64')
    assert.equal(await rpcResult(url, 'eth_getTransactionReceipt', [hash]), null)
    assert.equal(await rpcResult(url, 'eth_getTransactionCount', [A, 'pending']), '0x4')
    assert.equal(await rpcResult(url, 'eth_getTransactionCount', [A, 'latest']), '0x3')
  })

  it('eth_getTransactionReceipt with block-wide log indices', async () => {
    const [, dynamic] = backend.signed[1]!
    const receipt = await rpcResult<Json>(url, 'eth_getTransactionReceipt', [bytesToHex(dynamic!.hash)])
    const blockHash = bytesToHex(backend.blocks[1]!.hash)
    assert.deepEqual(receipt, {
      blockHash,
      blockNumber: '0x1',
      contractAddress: null,
      cumulativeGasUsed: `0x${(21_000 + 21_064).toString(16)}`,
      effectiveGasPrice: '0xa',
      from: A,
      gasUsed: `0x${(21_064).toString(16)}`,
      logs: [
        {
          address: token,
          topics: [bytesToHex(TRANSFER_TOPIC), `0x${'00'.repeat(12)}${A.slice(2)}`, `0x${'00'.repeat(12)}${B.slice(2)}`],
          data: `0x${'00'.repeat(31)}05`,
          blockNumber: '0x1',
          transactionHash: bytesToHex(dynamic!.hash),
          transactionIndex: '0x1',
          blockHash,
          logIndex: '0x0',
          removed: false,
        },
        {
          address: token,
          topics: [bytesToHex(OTHER_TOPIC)],
          data: '0x',
          blockNumber: '0x1',
          transactionHash: bytesToHex(dynamic!.hash),
          transactionIndex: '0x1',
          blockHash,
          logIndex: '0x1',
          removed: false,
        },
      ],
      logsBloom: `0x${'00'.repeat(256)}`,
      status: '0x1',
      to: token,
      transactionHash: bytesToHex(dynamic!.hash),
      transactionIndex: '0x1',
      type: '0x2',
    })
    const create = await rpcResult<Json>(url, 'eth_getTransactionReceipt', [bytesToHex(backend.signed[2]![1]!.hash)])
    assert.equal(create['to'], null)
    assert.equal(create['contractAddress'], bytesToHex(backend.receiptsByBlock[2]![1]!.contractAddress!))
  })

  it('eth_getBlockReceipts by number, tag, hash and EIP-1898 object', async () => {
    const byNumber = await rpcResult<Json[]>(url, 'eth_getBlockReceipts', ['0x1'])
    assert.equal(byNumber.length, 2)
    assert.equal(((byNumber[1]!['logs'] as Json[])[1]!)['logIndex'], '0x1')
    const hash = bytesToHex(backend.blocks[2]!.hash)
    assert.deepEqual(await rpcResult(url, 'eth_getBlockReceipts', [hash]), await rpcResult(url, 'eth_getBlockReceipts', ['latest']))
    assert.deepEqual(await rpcResult(url, 'eth_getBlockReceipts', [{ blockHash: hash }]), await rpcResult(url, 'eth_getBlockReceipts', ['0x2']))
    assert.equal(await rpcResult(url, 'eth_getBlockReceipts', ['0x50']), null)
  })

  it('transaction counts and transactions by block and index', async () => {
    const hash = bytesToHex(backend.blocks[1]!.hash)
    assert.equal(await rpcResult(url, 'eth_getBlockTransactionCountByNumber', ['0x1']), '0x2')
    assert.equal(await rpcResult(url, 'eth_getBlockTransactionCountByNumber', ['earliest']), '0x0')
    assert.equal(await rpcResult(url, 'eth_getBlockTransactionCountByNumber', ['0x9']), null)
    assert.equal(await rpcResult(url, 'eth_getBlockTransactionCountByHash', [hash]), '0x2')
    assert.equal(await rpcResult(url, 'eth_getBlockTransactionCountByHash', [`0x${'00'.repeat(32)}`]), null)
    const byNumber = await rpcResult<Json>(url, 'eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x1'])
    assert.equal(byNumber['hash'], bytesToHex(backend.signed[1]![1]!.hash))
    assert.equal(byNumber['transactionIndex'], '0x1')
    const byHash = await rpcResult<Json>(url, 'eth_getTransactionByBlockHashAndIndex', [hash, '0x0'])
    assert.equal(byHash['hash'], bytesToHex(backend.signed[1]![0]!.hash))
    assert.equal(await rpcResult(url, 'eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x2']), null)
    assert.equal(await rpcResult(url, 'eth_getTransactionByBlockHashAndIndex', [`0x${'00'.repeat(32)}`, '0x0']), null)
  })

  it('state reads at tags, numbers and EIP-1898 objects', async () => {
    assert.equal(await rpcResult(url, 'eth_getBalance', [B, '0x0']), `0x${(5n * 10n ** 20n).toString(16)}`)
    assert.equal(await rpcResult(url, 'eth_getBalance', [B, '0x1']), `0x${(5n * 10n ** 20n + 1000n).toString(16)}`)
    assert.equal(await rpcResult(url, 'eth_getBalance', [B]), await rpcResult(url, 'eth_getBalance', [B, 'latest']))
    assert.equal(
      await rpcResult(url, 'eth_getBalance', [B, { blockHash: bytesToHex(backend.blocks[1]!.hash) }]),
      await rpcResult(url, 'eth_getBalance', [B, { blockNumber: '0x1' }]),
    )
    assert.equal(await rpcResult(url, 'eth_getBalance', [`0x${'99'.repeat(20)}`, 'earliest']), '0x0')
    // Leading zeros are tolerated, as anvil does.
    assert.equal(await rpcResult(url, 'eth_getBalance', [B, '0x01']), await rpcResult(url, 'eth_getBalance', [B, '0x1']))
    assert.equal(await rpcResult(url, 'eth_getTransactionCount', [A, '0x1']), '0x2')
    assert.equal(await rpcResult(url, 'eth_getCode', [token, 'latest']), '0x6001600055')
    assert.equal(await rpcResult(url, 'eth_getCode', [A, 'latest']), '0x')
    assert.equal(await rpcResult(url, 'eth_getStorageAt', [token, '0x0', 'latest']), `0x${'00'.repeat(31)}2a`)
    assert.equal(await rpcResult(url, 'eth_getStorageAt', [token, `0x${'00'.repeat(32)}`]), `0x${'00'.repeat(31)}2a`)
    assert.equal(await rpcResult(url, 'eth_getStorageAt', [token, '0x1']), `0x${'00'.repeat(32)}`)
  })

  it('state reads of an unknown block: header not found (-32000)', async () => {
    assert.deepEqual(await rpcError(url, 'eth_getBalance', [A, '0x64']), { code: -32000, message: 'header not found' })
    assert.deepEqual(await rpcError(url, 'eth_getCode', [A, { blockHash: `0x${'00'.repeat(32)}` }]), {
      code: -32000,
      message: 'header for hash not found',
    })
    assert.deepEqual(await rpcError(url, 'eth_call', [{ to: token }, '0x64']), { code: -32000, message: 'header not found' })
  })

  it('eth_getProof', async () => {
    const proof = await rpcResult<Json>(url, 'eth_getProof', [B, ['0x1'], 'latest'])
    assert.equal(proof['address'], B)
    assert.equal(proof['balance'], await rpcResult(url, 'eth_getBalance', [B]))
    assert.deepEqual(proof['accountProof'], ['0xf8518080'])
    assert.equal(proof['nonce'], '0x0')
    assert.deepEqual(proof['storageProof'], [{ key: `0x${'00'.repeat(31)}01`, value: '0x0', proof: [] }])
  })

  it('eth_call and eth_estimateGas with block tags and state overrides', async () => {
    assert.equal(await rpcResult(url, 'eth_call', [{ to: token, data: '0x' }, '0x1']), `0x${'00'.repeat(31)}01`)
    assert.equal(await rpcResult(url, 'eth_call', [{ to: token }]), `0x${'00'.repeat(31)}02`)
    const overridden = await rpcResult(url, 'eth_call', [{ from: A, to: token }, 'latest', { [A]: { balance: '0xff', stateDiff: { [`0x${'00'.repeat(32)}`]: `0x${'00'.repeat(31)}01` } } }])
    assert.equal(overridden, `0x${'00'.repeat(31)}ff`)
    const override = backend.lastOverrides?.get(A)
    assert.equal(override?.balance, 255n)
    assert.equal(override?.stateDiff?.get(`0x${'00'.repeat(32)}`)?.[31], 1)
    assert.equal(await rpcResult(url, 'eth_estimateGas', [{ from: A, to: token, input: '0x0102' }]), `0x${(21_032).toString(16)}`)
    assert.equal(await rpcResult(url, 'eth_estimateGas', [{ to: token }, 'latest', {}]), '0x5208')
  })

  it('a revert is code 3 with the reason and the revert data', async () => {
    const error = await rpcError(url, 'eth_call', [{ to: bytesToHex(REVERTER), data: '0x12345678' }])
    assert.equal(error.code, 3)
    assert.equal(error.message, 'execution reverted: nope')
    assert.match(String(error.data), /^0x08c379a0/)
    const estimate = await rpcError(url, 'eth_estimateGas', [{ to: bytesToHex(REVERTER) }])
    assert.equal(estimate.code, 3)
    assert.equal(estimate.data, error.data)
  })

  it('eth_getLogs: ranges, single and array addresses, topics with null and OR-arrays, blockHash', async () => {
    const all = await rpcResult<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])
    assert.equal(all.length, 3)
    assert.deepEqual(all.map((l) => [l['blockNumber'], l['logIndex']]), [['0x1', '0x0'], ['0x1', '0x1'], ['0x2', '0x0']])
    assert.equal((await rpcResult<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x2' }])).length, 1)
    assert.equal((await rpcResult<Json[]>(url, 'eth_getLogs', [{}])).length, 1, 'defaults to latest..latest')
    assert.equal((await rpcResult<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x0', address: token }])).length, 3)
    assert.equal((await rpcResult<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x0', address: [A, token] }])).length, 3)
    assert.equal((await rpcResult<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x0', address: [A] }])).length, 0)
    const transfer = bytesToHex(TRANSFER_TOPIC)
    const other = bytesToHex(OTHER_TOPIC)
    const paddedA = `0x${'00'.repeat(12)}${A.slice(2)}`
    assert.equal((await rpcResult<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x0', topics: [transfer] }])).length, 2)
    assert.equal((await rpcResult<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x0', topics: [[transfer, other]] }])).length, 3)
    assert.equal((await rpcResult<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x0', topics: [null, paddedA] }])).length, 1)
    assert.equal((await rpcResult<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x0', topics: [other, null] }])).length, 0, 'a null position still needs a topic there')
    const byHash = await rpcResult<Json[]>(url, 'eth_getLogs', [{ blockHash: bytesToHex(backend.blocks[1]!.hash) }])
    assert.equal(byHash.length, 2)
    assert.deepEqual(await rpcError(url, 'eth_getLogs', [{ blockHash: bytesToHex(backend.blocks[1]!.hash), fromBlock: '0x1' }]), {
      code: -32602,
      message: 'cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other',
    })
    assert.equal((await rpcError(url, 'eth_getLogs', [{ blockHash: `0x${'00'.repeat(32)}` }])).code, -32000)
    assert.deepEqual(await rpcError(url, 'eth_getLogs', [{ fromBlock: '0x2', toBlock: '0x1' }]), { code: -32000, message: 'invalid block range params' })
    assert.deepEqual(await rpcError(url, 'eth_getLogs', [{ topics: [null, null, null, null, null] }]), { code: -32000, message: 'exceed max topics' })
  })

  it('eth_feeHistory', async () => {
    const history = await rpcResult<Json>(url, 'eth_feeHistory', ['0x2', 'latest', [25, 75]])
    assert.equal(history['oldestBlock'], '0x1')
    // Block 1 and 2 base fees, then the next one from EIP-1559 (usage below target: it falls).
    assert.deepEqual(history['baseFeePerGas'], ['0x8', '0x9', '0x8'])
    assert.deepEqual(history['gasUsedRatio'], [Number(backend.blocks[1]!.header.gasUsed) / 30e6, Number(backend.blocks[2]!.header.gasUsed) / 30e6])
    // Block 2: tips 11 (21000 gas) and 1 (53000 gas) -> 25th percentile 1, 75th 11.
    assert.deepEqual(history['reward'], [['0x2', '0x2'], ['0x1', '0xb']])
    assert.deepEqual(history['baseFeePerBlobGas'], ['0x1', '0x1', '0x1'])
    const numeric = await rpcResult<Json>(url, 'eth_feeHistory', [10, '0x1'])
    assert.equal(numeric['oldestBlock'], '0x0')
    assert.equal((numeric['baseFeePerGas'] as string[]).length, 3)
    assert.equal(numeric['reward'], undefined)
    assert.equal((await rpcError(url, 'eth_feeHistory', ['0x1', 'latest', [50, 10]])).code, -32602)
  })

  it('eth_sendRawTransaction returns the hash', async () => {
    const raw = signTransfer(4n)
    assert.equal(await rpcResult(url, 'eth_sendRawTransaction', [bytesToHex(raw)]), bytesToHex(keccak256(raw)))
  })

  it('invalid params: -32602 with a clear message', async () => {
    const cases: [string, unknown[], RegExp][] = [
      ['eth_getBalance', [], /missing value for required argument 0/],
      ['eth_getBalance', ['0x1234'], /invalid argument 0: address must be 20 bytes/],
      ['eth_getBalance', [A.slice(2)], /hex string without 0x prefix/],
      ['eth_getBalance', [A, 'newest'], /invalid argument 1/],
      ['eth_getBalance', [A, '0x'], /hex string "0x"/],
      ['eth_getBalance', [A, '0x1g'], /invalid hex string/],
      ['eth_call', [{ to: token, value: `0x1${'0'.repeat(64)}` }], /hex number > 256 bits/],
      ['eth_getBalance', [A, 'latest', 3], /too many arguments, want at most 2/],
      ['eth_getBlockByNumber', ['0x1', 'yes'], /invalid argument 1: expected a boolean/],
      ['eth_getBlockByHash', ['0x12', false], /32 bytes/],
      ['eth_sendRawTransaction', ['0xabc'], /odd length/],
      ['eth_call', [{ to: token, data: '0x01', input: '0x02' }], /both "data" and "input"/],
      ['eth_call', [{ to: token }, 'latest', { [A]: { state: {}, stateDiff: {} } }], /both 'state' and 'stateDiff'/],
      ['eth_getStorageAt', [token, `0x${'00'.repeat(33)}`], /longer than 32 bytes/],
      ['web3_sha3', [12], /must be a hex string/],
      ['web3_sha3', ['0xzz'], /invalid hex string/],
      ['eth_sendRawTransaction', ['0x12g4'], /invalid hex string/],
    ]
    for (const [method, params, message] of cases) {
      const error = await rpcError(url, method, params)
      assert.equal(error.code, -32602, `${method} ${JSON.stringify(params)}: ${error.message}`)
      assert.match(error.message, message)
    }
  })

  it('every method answers inside a single batch', async () => {
    const body = [
      { jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['latest', true] },
      { jsonrpc: '2.0', id: 2, method: 'eth_getBalance', params: [A, 'latest'] },
      { jsonrpc: '2.0', id: 3, method: 'eth_getBalance', params: ['bad'] },
    ]
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const json = (await response.json()) as { id: number; result?: unknown; error?: unknown }[]
    assert.deepEqual(json.map((r) => r.id), [1, 2, 3])
    assert.ok(json[0]!.result && json[1]!.result && json[2]!.error)
    assert.equal((await rpcCall(url, 'eth_chainId')).result, '0x539')
  })
})
