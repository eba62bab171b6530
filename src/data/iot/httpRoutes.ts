import type { IncomingMessage, ServerResponse } from 'node:http'
import { bytesToHex, hexToBytes } from '../../primitives/bytes.js'
import { errorMessage, isSteleError, SteleError } from '../../primitives/errors.js'
import type { KvStore } from '../../state/kvStore.js'
import type { ProofChainReader } from '../proofs.js'
import { buildTelemetryProof } from './buildTelemetryProof.js'
import type { TelemetryIngestor } from './ingest.js'
import { listReadings, loadReading } from './telemetryStore.js'

/**
 * The telemetry HTTP API (docs/spec/telemetry.md), mounted by the node on its RPC port:
 *   POST /v1/telemetry                          one reading or an array of up to 5,000 → per-reading statuses
 *   GET  /v1/telemetry/{deviceId}?from&to&limit  stored readings, ascending seq, paged
 *   GET  /v1/telemetry/{deviceId}/{seq}/proof    the telemetry proof bundle
 */
export interface TelemetryHttpDeps {
  ingestor: TelemetryIngestor
  store: KvStore
  proofReader: ProofChainReader
  /** Request bodies larger than this are refused with 413. Default 32 MiB (5,000 readings with large payloads). */
  maxBodyBytes?: number
}

export const TELEMETRY_PATH = '/v1/telemetry'
export const DEFAULT_LIST_LIMIT = 100
export const MAX_LIST_LIMIT = 1_000
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
const DEVICE_ID = /^0x[0-9a-fA-F]{64}$/

/** Handles the request when its path is under /v1/telemetry and returns true; returns false otherwise. */
export async function handleTelemetryRequest(req: IncomingMessage, res: ServerResponse, deps: TelemetryHttpDeps): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const path = url.pathname.replace(/\/+$/, '')
  if (path !== TELEMETRY_PATH && !path.startsWith(`${TELEMETRY_PATH}/`)) return false
  try {
    const parts = path.slice(TELEMETRY_PATH.length).split('/').filter(Boolean)
    if (parts.length === 0) {
      if (req.method !== 'POST') return methodNotAllowed(res, 'POST')
      await postReadings(req, res, deps)
      return true
    }
    if (req.method !== 'GET') return methodNotAllowed(res, 'GET')
    const [idText, seqText, tail] = parts
    if (!idText || !DEVICE_ID.test(idText)) return sendError(res, 400, 'INVALID_INPUT', 'the device id must be 0x and 64 hex digits')
    const deviceId = hexToBytes(idText.toLowerCase())
    if (parts.length === 1) return listDevice(res, deps, deviceId, url.searchParams)
    if (parts.length === 3 && tail === 'proof') {
      const seq = parseSeq(seqText)
      if (seq === undefined) return sendError(res, 400, 'INVALID_INPUT', 'seq must be a non-negative integer')
      return await sendProof(res, deps, deviceId, seq)
    }
    return sendError(res, 404, 'NOT_FOUND', `no route ${path}`)
  } catch (error) {
    if (isSteleError(error)) return sendError(res, statusFor(error), error.code, error.message, error.details)
    return sendError(res, 500, 'INTERNAL', errorMessage(error))
  }
}

async function postReadings(req: IncomingMessage, res: ServerResponse, deps: TelemetryHttpDeps): Promise<void> {
  const limit = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const body = await readBody(req, limit)
  if (body === undefined) {
    res.setHeader('connection', 'close')
    sendError(res, 413, 'OVERSIZED_DATA', `the request body exceeds ${limit} bytes`)
    res.once('finish', () => req.destroy())
    return
  }
  let input: unknown
  try {
    input = JSON.parse(body.toString('utf8'))
  } catch {
    sendError(res, 400, 'MALFORMED', 'the request body is not JSON')
    return
  }
  const result = await deps.ingestor.ingest(input)
  sendJson(res, 200, result)
}

function listDevice(res: ServerResponse, deps: TelemetryHttpDeps, deviceId: Uint8Array, query: URLSearchParams): true {
  const from = query.has('from') ? parseSeq(query.get('from') ?? undefined) : 0
  const to = query.has('to') ? parseSeq(query.get('to') ?? undefined) : undefined
  const limitRaw = query.has('limit') ? parseSeq(query.get('limit') ?? undefined) : DEFAULT_LIST_LIMIT
  if (from === undefined || (query.has('to') && to === undefined) || limitRaw === undefined || limitRaw === 0) {
    return sendError(res, 400, 'INVALID_INPUT', 'from, to and limit must be non-negative integers (limit at least 1)')
  }
  const limit = Math.min(limitRaw, MAX_LIST_LIMIT)
  // One more than asked tells whether there is a next page.
  const readings = listReadings(deps.store, deviceId, { from, ...(to === undefined ? {} : { to }), limit: limit + 1 })
  const page = readings.slice(0, limit)
  const next = readings.length > limit ? readings[limit]?.seq : undefined
  return sendJson(res, 200, { deviceId: bytesToHex(deviceId), readings: page, ...(next === undefined ? {} : { next }) })
}

async function sendProof(res: ServerResponse, deps: TelemetryHttpDeps, deviceId: Uint8Array, seq: number): Promise<true> {
  const stored = loadReading(deps.store, deviceId, seq)
  if (!stored) return sendError(res, 404, 'NOT_FOUND', `no reading ${seq} of device ${bytesToHex(deviceId)}`)
  if (!deps.proofReader.anchorLocation(hexToBytes(stored.hash))) {
    return sendError(res, 409, 'NOT_ANCHORED', 'the reading is stored but its hash is not in a block yet; retry after the next block', { hash: stored.hash })
  }
  return sendJson(res, 200, await buildTelemetryProof(deps.proofReader, deps.store, deviceId, seq))
}

function parseSeq(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,16}$/.test(text)) return undefined
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : undefined
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > limit) {
        done = true
        req.pause()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks))
    })
    req.on('error', reject)
  })
}

function statusFor(error: SteleError): number {
  switch (error.code) {
    case 'OVERSIZED_DATA':
      return 413
    case 'NOT_FOUND':
      return 404
    case 'INVALID_INPUT':
    case 'INVALID_HEX':
      return 400
    case 'STORAGE':
      return 503
    default:
      return 500
  }
}

function methodNotAllowed(res: ServerResponse, allow: string): true {
  res.setHeader('allow', allow)
  return sendError(res, 405, 'METHOD_NOT_ALLOWED', `use ${allow}`)
}

function sendError(res: ServerResponse, status: number, code: string, message: string, details?: Record<string, unknown>): true {
  return sendJson(res, status, { error: { code, message, ...(details && Object.keys(details).length > 0 ? { details } : {}) } })
}

function sendJson(res: ServerResponse, status: number, body: unknown): true {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))
  // Browsers (the explorer, a verifier page) read readings and proofs cross-origin, as they call the RPC.
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'access-control-allow-origin': '*' })
  res.end(text)
  return true
}
