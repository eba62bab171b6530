import type { LogFilter, Log, TxReceipt, LogEntry } from '../chain/types.js'
import { equalBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { RpcBackend } from './backend.js'
import { RpcErrorCode } from './errorMapping.js'
import { invalidParams, parseAddress, parseBlockTag, parseHash, type BlockRef } from './params.js'

/** eth_getLogs / eth_newFilter / logs subscription criteria, before block tags are resolved. */
export interface LogCriteria {
  fromBlock: BlockRef
  toBlock: BlockRef
  /** Set when the filter names one block by hash (EIP-234); fromBlock/toBlock are then ignored. */
  blockHash: Uint8Array | undefined
  addresses: Uint8Array[]
  topics: (Uint8Array[] | null)[]
}

const MAX_TOPICS = 4

export function parseLogCriteria(value: unknown, index: number): LogCriteria {
  if (value === undefined || value === null) value = {}
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParams(`invalid argument ${index}: filter must be an object`)
  const object = value as Record<string, unknown>
  const fromRaw = object['fromBlock'] ?? undefined
  const toRaw = object['toBlock'] ?? undefined
  const hashRaw = object['blockHash'] ?? undefined
  if (hashRaw !== undefined && (fromRaw !== undefined || toRaw !== undefined)) {
    throw invalidParams('cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other')
  }
  const fromBlock = parseBlockTag(fromRaw, index)
  const toBlock = parseBlockTag(toRaw, index)
  const blockHash = hashRaw === undefined ? undefined : parseHash(hashRaw, index, 'blockHash')

  const addressRaw = object['address'] ?? undefined
  let addresses: Uint8Array[] = []
  if (typeof addressRaw === 'string') addresses = [parseAddress(addressRaw, index)]
  else if (Array.isArray(addressRaw)) addresses = addressRaw.map((a: unknown) => parseAddress(a, index))
  else if (addressRaw !== undefined) throw invalidParams(`invalid argument ${index}: address must be a string or an array`)

  const topicsRaw = object['topics'] ?? undefined
  const topics: (Uint8Array[] | null)[] = []
  if (topicsRaw !== undefined) {
    if (!Array.isArray(topicsRaw)) throw invalidParams(`invalid argument ${index}: topics must be an array`)
    if (topicsRaw.length > MAX_TOPICS) throw serverError('exceed max topics')
    for (const position of topicsRaw as unknown[]) {
      if (position === null || position === undefined) topics.push(null)
      else if (typeof position === 'string') topics.push([parseHash(position, index, 'topic')])
      else if (Array.isArray(position)) {
        // An empty OR-list matches anything, like null (geth).
        const options = position.filter((t: unknown) => t !== null).map((t: unknown) => parseHash(t, index, 'topic'))
        topics.push(options.length === 0 || options.length !== position.length ? null : options)
      } else throw invalidParams(`invalid argument ${index}: topic must be a hash, null or an array`)
    }
  }
  // Trailing nulls are kept: like geth, [A, null] needs a log with at least two topics.
  return { fromBlock, toBlock, blockHash, addresses, topics }
}

/** geth reports these from the filter system, not the decoder, so they carry its generic -32000. */
function serverError(message: string): SteleError {
  return new SteleError(ErrorCode.InvalidInput, message, { details: { rpcCode: RpcErrorCode.Server } })
}

export function logMatches(log: Log, addresses: Uint8Array[], topics: (Uint8Array[] | null)[]): boolean {
  if (addresses.length > 0 && !addresses.some((a) => equalBytes(a, log.address))) return false
  if (topics.length > log.topics.length) return false
  for (let i = 0; i < topics.length; i++) {
    const options = topics[i]
    if (options === null || options === undefined) continue
    const topic = log.topics[i] as Uint8Array
    if (!options.some((t) => equalBytes(t, topic))) return false
  }
  return true
}

/** The logs of one newly committed block that match, with their block-wide indices. */
export function matchingBlockLogs(receipts: TxReceipt[], addresses: Uint8Array[], topics: (Uint8Array[] | null)[]): LogEntry[] {
  const out: LogEntry[] = []
  let logIndex = 0
  for (const receipt of receipts) {
    for (const log of receipt.logs) {
      if (logMatches(log, addresses, topics)) {
        out.push({
          ...log,
          blockNumber: receipt.blockNumber,
          blockHash: receipt.blockHash,
          transactionHash: receipt.transactionHash,
          transactionIndex: receipt.transactionIndex,
          logIndex,
        })
      }
      logIndex++
    }
  }
  return out
}

/** Resolves criteria against the current head into the backend's LogFilter; undefined when the range is empty. */
export function resolveLogFilter(backend: RpcBackend, criteria: LogCriteria): LogFilter | undefined {
  const head = backend.headNumber()
  if (criteria.blockHash !== undefined) {
    const block = backend.blockByHash(criteria.blockHash)
    if (block === undefined) throw new SteleError(ErrorCode.NotFound, 'unknown block')
    const n = block.header.number
    return { fromBlock: n, toBlock: n, addresses: criteria.addresses, topics: criteria.topics }
  }
  const fromBlock = tagNumber(criteria.fromBlock, head)
  const toBlock = tagNumber(criteria.toBlock, head)
  if (fromBlock > toBlock && criteria.toBlock.kind === 'number') throw serverError('invalid block range params')
  const clampedTo = toBlock > head ? head : toBlock
  if (fromBlock > clampedTo) return undefined
  return { fromBlock, toBlock: clampedTo, addresses: criteria.addresses, topics: criteria.topics }
}

function tagNumber(ref: BlockRef, head: bigint): bigint {
  return ref.kind === 'number' ? ref.number : head
}

/** Whether a new block at `number` falls in the criteria's range (head tags are open-ended). */
export function inRange(criteria: LogCriteria, number: bigint): boolean {
  if (criteria.blockHash !== undefined) return false
  if (criteria.fromBlock.kind === 'number' && number < criteria.fromBlock.number) return false
  if (criteria.toBlock.kind === 'number' && number > criteria.toBlock.number) return false
  return true
}
