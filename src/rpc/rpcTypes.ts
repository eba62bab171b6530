/**
 * The JSON shapes Stele's RPC returns (geth's), for typed clients such as the explorer. Quantities are
 * minimal hex strings, data is even-length hex; `null` where geth sends null.
 */
export type HexString = `0x${string}`

export interface RpcHeader {
  baseFeePerGas: HexString
  blobGasUsed: HexString
  difficulty: HexString
  excessBlobGas: HexString
  extraData: HexString
  gasLimit: HexString
  gasUsed: HexString
  hash: HexString
  logsBloom: HexString
  miner: HexString
  mixHash: HexString
  nonce: HexString
  number: HexString
  parentBeaconBlockRoot: HexString
  parentHash: HexString
  receiptsRoot: HexString
  sha3Uncles: HexString
  stateRoot: HexString
  timestamp: HexString
  transactionsRoot: HexString
  withdrawalsRoot: HexString
}

export interface RpcBlock extends RpcHeader {
  size: HexString
  /** Hashes, or full transactions when asked for. */
  transactions: HexString[] | RpcTransaction[]
  uncles: []
  withdrawals: []
}

export interface RpcAccessListEntry {
  address: HexString
  storageKeys: HexString[]
}

export interface RpcAuthorization {
  chainId: HexString
  address: HexString
  nonce: HexString
  yParity: HexString
  r: HexString
  s: HexString
}

export interface RpcTransaction {
  blockHash: HexString | null
  blockNumber: HexString | null
  from: HexString
  gas: HexString
  gasPrice: HexString
  hash: HexString
  input: HexString
  nonce: HexString
  to: HexString | null
  transactionIndex: HexString | null
  value: HexString
  type: HexString
  chainId?: HexString
  maxFeePerGas?: HexString
  maxPriorityFeePerGas?: HexString
  maxFeePerBlobGas?: HexString
  blobVersionedHashes?: HexString[]
  accessList?: RpcAccessListEntry[]
  authorizationList?: RpcAuthorization[]
  yParity?: HexString
  v: HexString
  r: HexString
  s: HexString
}

export interface RpcLog {
  address: HexString
  topics: HexString[]
  data: HexString
  blockNumber: HexString
  transactionHash: HexString
  transactionIndex: HexString
  blockHash: HexString
  logIndex: HexString
  removed: false
}

export interface RpcReceipt {
  blockHash: HexString
  blockNumber: HexString
  contractAddress: HexString | null
  cumulativeGasUsed: HexString
  effectiveGasPrice: HexString
  from: HexString
  gasUsed: HexString
  logs: RpcLog[]
  logsBloom: HexString
  status: HexString
  to: HexString | null
  transactionHash: HexString
  transactionIndex: HexString
  type: HexString
}

export interface RpcProof {
  address: HexString
  accountProof: HexString[]
  balance: HexString
  codeHash: HexString
  nonce: HexString
  storageHash: HexString
  storageProof: { key: HexString; value: HexString; proof: HexString[] }[]
}

export interface RpcFeeHistory {
  oldestBlock: HexString
  baseFeePerGas: HexString[]
  gasUsedRatio: number[]
  baseFeePerBlobGas?: HexString[]
  blobGasUsedRatio?: number[]
  reward?: HexString[][]
}
