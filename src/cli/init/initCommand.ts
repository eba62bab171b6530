import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { genesisToJson, parseGenesis, type GenesisJson } from '../../chain/genesis.js'
import { deriveDevKeys } from '../../crypto/hdKeys.js'
import { privateKeyToAddress } from '../../crypto/secp256k1.js'
import { peerIdFromNodeKey } from '../../p2p/peerIdentity.js'
import { bigintToHex, bytesToHex } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { generateNodeKey, saveNodeKey } from '../../node/nodeKey.js'
import type { NodeConfigFile } from '../../node/nodeConfig.js'
import { systemGenesisAccounts } from '../../node/systemContracts.js'
import { etherToWei, defineCommand, type CommandSpec } from '../args.js'
import type { Command } from '../main.js'

export const INIT_SPEC: CommandSpec = {
  name: 'init',
  summary: 'Create a network: genesis.json plus a home (keys and config) for each node',
  usage: 'stele init --validators N [--observers M] --out DIR [options]',
  flags: {
    validators: { type: 'integer', value: 'N', description: 'Validator nodes (1 or more; 4 tolerates one faulty)' },
    observers: { type: 'integer', default: 0, value: 'M', description: 'Non-validator nodes that follow the chain and serve RPC' },
    out: { type: 'string', value: 'DIR', description: 'Output directory (must be empty or absent)' },
    'chain-id': { type: 'integer', default: 1337, value: 'ID', description: 'Chain id' },
    accounts: { type: 'integer', default: 10, value: 'N', description: 'Dev-mnemonic accounts funded at genesis' },
    balance: { type: 'number', default: 10000, value: 'ETH', description: 'Balance of each funded account' },
    'rpc-port-base': { type: 'integer', default: 8545, value: 'PORT', description: 'Node i serves RPC on PORT+i' },
    'p2p-port-base': { type: 'integer', default: 30303, value: 'PORT', description: 'Node i listens for peers on PORT+i' },
    host: { type: 'string', default: '127.0.0.1', value: 'HOST', description: 'Address every node listens on' },
    'block-period': { type: 'integer', default: 0, value: 'MS', description: '0: a block as soon as transactions are pending; otherwise the target period' },
    'base-fee': { type: 'integer', default: 1_000_000_000, value: 'WEI', description: 'Base fee at genesis (0: gas-free)' },
  },
}

export interface InitOptions {
  validators: number
  observers: number
  out: string
  chainId: bigint
  accounts: number
  balanceWei: bigint
  rpcPortBase: number
  p2pPortBase: number
  host: string
  blockPeriodMs: number
  baseFee: bigint
}

export interface InitResult {
  genesisPath: string
  homes: { home: string; role: 'validator' | 'observer'; rpc: string; p2p: string; peerId: string; address: string }[]
}

export const initCommand: Command = defineCommand(INIT_SPEC, async (args) => {
  const f = args.flags
  if (f.validators === undefined) throw new SteleError(ErrorCode.InvalidInput, '--validators is required')
  if (f.out === undefined) throw new SteleError(ErrorCode.InvalidInput, '--out is required')
  const result = initNetwork({
    validators: Number(f.validators),
    observers: Number(f.observers),
    out: String(f.out),
    chainId: BigInt(Number(f['chain-id'])),
    accounts: Number(f.accounts),
    balanceWei: etherToWei(Number(f.balance)),
    rpcPortBase: Number(f['rpc-port-base']),
    p2pPortBase: Number(f['p2p-port-base']),
    host: String(f.host),
    blockPeriodMs: Number(f['block-period']),
    baseFee: BigInt(Number(f['base-fee'])),
  })
  console.log(`genesis: ${result.genesisPath}`)
  for (const h of result.homes) console.log(`${h.role.padEnd(9)} ${h.home}  rpc ${h.rpc}  p2p ${h.p2p}  address ${h.address}`)
  return 0
})

export function initNetwork(options: InitOptions): InitResult {
  if (options.validators < 1) throw new SteleError(ErrorCode.InvalidInput, '--validators must be at least 1')
  const out = resolve(options.out)
  if (existsSync(out) && readdirSync(out).length > 0) throw new SteleError(ErrorCode.InvalidInput, `${out} is not empty; choose another --out`)
  mkdirSync(out, { recursive: true })
  const total = options.validators + options.observers
  if (options.rpcPortBase + total > 65535 || options.p2pPortBase + total > 65535) throw new SteleError(ErrorCode.InvalidInput, 'port bases leave no room for every node')
  const nodes = Array.from({ length: total }, (_, i) => {
    const key = generateNodeKey()
    return { index: i, key, role: (i < options.validators ? 'validator' : 'observer') as 'validator' | 'observer', peerId: peerIdFromNodeKey(key), address: privateKeyToAddress(key) }
  })
  const alloc: NonNullable<GenesisJson['alloc']> = { ...systemGenesisAccounts() }
  for (const account of deriveDevKeys(options.accounts)) alloc[bytesToHex(account.address)] = { balance: bigintToHex(options.balanceWei) }
  const genesis = parseGenesis({
    chainId: Number(options.chainId),
    timestamp: bigintToHex(BigInt(Math.floor(Date.now() / 1000))),
    baseFeePerGas: bigintToHex(options.baseFee),
    validators: nodes.filter((n) => n.role === 'validator').map((n) => bytesToHex(n.address)),
    permittedPeers: nodes.map((n) => n.peerId),
    blockPeriodMs: options.blockPeriodMs,
    // Every validator executes a proposal inside round 0: 2 s leaves room on small machines.
    requestTimeoutMs: 2000,
    alloc,
  } satisfies GenesisJson)
  const genesisPath = join(out, 'genesis.json')
  writeFileSync(genesisPath, `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`)
  const homes: InitResult['homes'] = []
  for (const node of nodes) {
    const home = join(out, `node${node.index}`)
    mkdirSync(home, { recursive: true })
    saveNodeKey(join(home, 'node.key'), node.key)
    const config: NodeConfigFile = {
      genesis: '../genesis.json',
      role: node.role,
      dataDir: 'data',
      rpc: { host: options.host, port: options.rpcPortBase + node.index },
      p2p: { host: options.host, port: options.p2pPortBase + node.index },
      staticPeers: nodes.filter((n) => n !== node).map((n) => ({ peerId: n.peerId, host: options.host, port: options.p2pPortBase + n.index })),
      logLevel: 'info',
    }
    writeFileSync(join(home, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)
    homes.push({ home, role: node.role, rpc: `http://${options.host}:${config.rpc.port}`, p2p: `${options.host}:${config.p2p.port}`, peerId: node.peerId, address: bytesToHex(node.address) })
  }
  return { genesisPath, homes }
}
