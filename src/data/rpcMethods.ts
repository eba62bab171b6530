import { bigintToHex, bytesToHex, hexToFixedBytes, type Hex } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { parseAnchorHashes, type AnchorPool, type AnchorStatus } from './anchorPool.js'
import { buildAnchorProof, buildRegistrationProof, buildTxProof, type ProofChainReader } from './proofs.js'
import { decodeGetResult, decodeHistoryResult, encodeGetCall, encodeHistoryCall } from './verify/registryAbi.js'

/** What the stele_* data methods need; the node's composition root supplies them. */
export interface DataRpcDeps {
  pool: AnchorPool
  reader: ProofChainReader
  /** eth_call of the data registry (DATA_REGISTRY_ADDRESS) with this calldata at the head block; returns the return data. */
  callRegistry(data: Uint8Array): Promise<Uint8Array>
}

export type RpcMethod = (params: unknown[]) => Promise<unknown>

/**
 * The data namespace, for RpcBackend.extraMethods():
 *   stele_anchor([hashes])              queue up to 10,000 32-byte hashes; returns each one's status at once
 *   stele_getAnchorStatus([hashes])     the same statuses without queuing
 *   stele_getAnchorProof([hash])        an anchor proof bundle (docs/spec/proofs.md)
 *   stele_getDataRecord([contentHash])  the registry record and its history, or null
 *   stele_getDataProof([contentHash])   a registration proof bundle
 *   stele_getTransactionProof([txHash]) a transfer proof bundle for any transaction
 */
export function createDataRpcMethods(deps: DataRpcDeps): Record<string, RpcMethod> {
  return {
    async stele_anchor(params) {
      const hashes = parseAnchorHashes(params[0])
      return deps.pool.submit(hashes).map(formatStatus)
    },
    async stele_getAnchorStatus(params) {
      return parseAnchorHashes(params[0]).map((hash) => {
        const status = deps.pool.status(hash)
        return status ? formatStatus(status) : { hash: bytesToHex(hash), status: 'unknown' }
      })
    },
    async stele_getAnchorProof(params) {
      const hash = hash32(params[0], 'hash')
      const status = deps.pool.status(hash)
      if (status?.status === 'pending') {
        throw new SteleError(ErrorCode.NotFound, `${bytesToHex(hash)} is pending: its proof exists once a block commits it`, { details: { status: 'pending' } })
      }
      return buildAnchorProof(deps.reader, hash)
    },
    async stele_getDataRecord(params) {
      const contentHash = hash32(params[0], 'contentHash')
      const record = decodeGetResult(await deps.callRegistry(encodeGetCall(contentHash)))
      if (!record) return null
      const history = decodeHistoryResult(await deps.callRegistry(encodeHistoryCall(contentHash)))
      return {
        contentHash: bytesToHex(contentHash),
        owner: bytesToHex(record.owner),
        registrant: bytesToHex(record.registrant),
        blockNumber: bigintToHex(record.blockNumber),
        timestamp: bigintToHex(record.timestamp),
        licence: record.licence,
        metadata: record.metadata,
        history: history.map((c) => ({
          kind: c.kind,
          from: bytesToHex(c.from),
          to: bytesToHex(c.to),
          blockNumber: bigintToHex(c.blockNumber),
          timestamp: bigintToHex(c.timestamp),
        })),
      }
    },
    async stele_getDataProof(params) {
      return buildRegistrationProof(deps.reader, hash32(params[0], 'contentHash'))
    },
    async stele_getTransactionProof(params) {
      return buildTxProof(deps.reader, hash32(params[0], 'transaction hash'))
    },
  }
}

export function formatStatus(status: AnchorStatus): { hash: Hex; status: string; blockNumber?: Hex; blockHash?: Hex; index?: number } {
  if (status.status === 'pending') return { hash: bytesToHex(status.hash), status: 'pending' }
  return {
    hash: bytesToHex(status.hash),
    status: 'anchored',
    blockNumber: bigintToHex(status.blockNumber),
    blockHash: bytesToHex(status.blockHash),
    index: status.index,
  }
}

function hash32(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw new SteleError(ErrorCode.InvalidInput, `${what} must be a 0x-prefixed 32-byte hex string`)
  return hexToFixedBytes(value, 32, what)
}
