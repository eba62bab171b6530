import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseGenesis, type Genesis } from '../chain/genesis.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { LogLevel } from '../primitives/logger.js'
import { loadNodeKey } from './nodeKey.js'

/** A node home's config.json (docs/spec/config.md). Paths are relative to the home directory. */
export interface NodeConfigFile {
  genesis: string
  role: 'validator' | 'observer'
  dataDir: string
  rpc: { host: string; port: number }
  p2p: { host: string; port: number }
  staticPeers: { peerId: string; host: string; port: number }[]
  logLevel?: LogLevel
  /** Recent blocks whose state is kept besides the head (default DEFAULT_STATE_HISTORY); 0 keeps all. */
  stateHistory?: number
}

/** A network node keeps the state of its last 512 state-changing blocks, as Besu's Bonsai default does. */
export const DEFAULT_STATE_HISTORY = 512

export interface LoadedHome {
  home: string
  config: NodeConfigFile
  genesis: Genesis
  nodeKey: Uint8Array
  dataDir: string
}

export function loadNodeHome(home: string): LoadedHome {
  const dir = resolve(home)
  const configPath = resolve(dir, 'config.json')
  const config = readJson(configPath) as NodeConfigFile
  const problems: string[] = []
  if (typeof config.genesis !== 'string') problems.push('genesis (a path) is required')
  if (config.role !== 'validator' && config.role !== 'observer') problems.push('role must be "validator" or "observer"')
  if (typeof config.dataDir !== 'string') problems.push('dataDir (a path) is required')
  for (const key of ['rpc', 'p2p'] as const) {
    const endpoint = config[key]
    if (!endpoint || typeof endpoint.host !== 'string' || !Number.isInteger(endpoint.port) || endpoint.port < 0 || endpoint.port > 65535) {
      problems.push(`${key} must be { "host": string, "port": 0..65535 }`)
    }
  }
  if (!Array.isArray(config.staticPeers)) problems.push('staticPeers must be a list')
  if (config.stateHistory !== undefined && !(Number.isSafeInteger(config.stateHistory) && config.stateHistory >= 0)) {
    problems.push('stateHistory must be a whole number of blocks, 0 or more (0 keeps every state)')
  }
  if (problems.length > 0) throw new SteleError(ErrorCode.Config, `${configPath}: ${problems.join('; ')}`)
  const genesis = parseGenesis(readJson(resolve(dir, config.genesis)))
  return { home: dir, config, genesis, nodeKey: loadNodeKey(resolve(dir, 'node.key')), dataDir: resolve(dir, config.dataDir) }
}

export function readJson(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new SteleError(ErrorCode.Config, `cannot read ${path}`, { cause })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw new SteleError(ErrorCode.Config, `${path} is not valid JSON`, { cause })
  }
}

