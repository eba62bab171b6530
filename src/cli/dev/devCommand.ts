import { toChecksumAddress } from '@ethereumjs/util'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { genesisToJson, parseGenesis, type Genesis, type GenesisJson } from '../../chain/genesis.js'
import { deriveDevKeys, DEV_MNEMONIC } from '../../crypto/hdKeys.js'
import { privateKeyToAddress } from '../../crypto/secp256k1.js'
import { bigintToHex, bytesToHex } from '../../primitives/bytes.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'
import { createLogger, type LogLevel } from '../../primitives/logger.js'
import { startNode } from '../../node/node.js'
import { loadOrCreateNodeKey } from '../../node/nodeKey.js'
import { etherToWei, defineCommand, type CommandSpec } from '../args.js'
import type { Command } from '../main.js'
import { VERSION } from '../version.js'
import { waitForShutdownSignal } from '../signals.js'
import { systemGenesisAccounts } from '../../node/systemContracts.js'

const WEI_PER_ETH = 10n ** 18n

export const DEV_SPEC: CommandSpec = {
  name: 'dev',
  summary: 'Run a single-validator development chain with funded dev accounts (like anvil, but persistent)',
  usage: 'stele dev [options]',
  flags: {
    host: { type: 'string', default: '127.0.0.1', value: 'HOST', description: 'RPC listen address' },
    port: { type: 'integer', default: 8545, value: 'PORT', description: 'RPC port (HTTP and WebSocket)' },
    'data-dir': { type: 'string', default: '.stele/dev', value: 'DIR', description: 'Data directory, reused on restart' },
    reset: { type: 'boolean', description: 'Delete the data directory first' },
    ephemeral: { type: 'boolean', description: 'Keep everything in memory; nothing is written to disk' },
    accounts: { type: 'integer', default: 10, value: 'N', description: 'Dev accounts funded at genesis (mnemonic "test … junk")' },
    balance: { type: 'number', default: 10000, value: 'ETH', description: 'Balance of each dev account' },
    'chain-id': { type: 'integer', default: 1337, value: 'ID', description: 'Chain id' },
    'block-time': { type: 'integer', default: 0, value: 'MS', description: '0: build a block as soon as transactions are pending; otherwise one block every MS' },
    'gas-limit': { type: 'integer', default: 100_000_000, value: 'GAS', description: 'Block gas limit at genesis' },
    'base-fee': { type: 'integer', default: 1_000_000_000, value: 'WEI', description: 'Base fee at genesis (0: gas-free chain)' },
    'log-level': { type: 'string', default: 'info', value: 'LEVEL', description: 'debug, info, warn or error' },
    'state-history': { type: 'integer', default: 0, value: 'BLOCKS', description: 'Keep the state of only this many recent state-changing blocks besides the head; 0 keeps every block\'s state' },
    mqtt: { type: 'string', value: 'URL', description: 'Ingest device telemetry from this MQTT broker (mqtt://HOST:PORT)' },
    'mqtt-topic': { type: 'string', default: 'stele/telemetry/#', value: 'FILTER', description: 'MQTT topic filter for telemetry' },
    quiet: { type: 'boolean', description: 'Do not print accounts and keys at start' },
  },
}

export const devCommand: Command = defineCommand(DEV_SPEC, async (args) => {
  const f = args.flags
  const logLevel = String(f['log-level']) as LogLevel
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new SteleError(ErrorCode.InvalidInput, `--log-level must be debug, info, warn or error`)
  const ephemeral = f.ephemeral === true
  const dataDir = ephemeral ? undefined : resolve(String(f['data-dir']))
  if (dataDir && f.reset === true) rmSync(dataDir, { recursive: true, force: true })
  if (dataDir) mkdirSync(dataDir, { recursive: true })

  const accounts = deriveDevKeys(Number(f.accounts))
  const nodeKey = dataDir ? loadOrCreateNodeKey(join(dataDir, 'node.key')) : deriveDevKeys(1, DEV_MNEMONIC)[0]!.privateKey
  const genesisPath = dataDir && join(dataDir, 'genesis.json')
  let genesis: Genesis
  if (genesisPath && existsSync(genesisPath)) {
    genesis = parseGenesis(JSON.parse(readFileSync(genesisPath, 'utf8')) as unknown)
  } else {
    genesis = devGenesis({
      chainId: BigInt(Number(f['chain-id'])),
      validator: privateKeyToAddress(nodeKey),
      funded: accounts.map((a) => a.address),
      balanceWei: etherToWei(Number(f.balance)),
      gasLimit: BigInt(Number(f['gas-limit'])),
      baseFee: BigInt(Number(f['base-fee'])),
    })
    if (genesisPath) writeFileSync(genesisPath, `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`)
  }

  const logger = createLogger(logLevel)
  const node = await startNode({
    genesis,
    nodeKey,
    dataDir,
    rpc: { host: String(f.host), port: Number(f.port) },
    blockPeriodMs: Number(f['block-time']),
    stateHistory: Number(f['state-history']),
    clientVersion: `stele/v${VERSION}/node-${process.version}`,
    ...(typeof f.mqtt === 'string' ? { mqtt: { url: f.mqtt, topic: String(f['mqtt-topic']) } } : {}),
    logger,
  })
  if (f.quiet !== true) printBanner(accounts, genesis, node.rpc.url, dataDir)
  // The allocation stays in memory, packed (about 52 MB for 1M accounts): stele_getGenesis serves the whole
  // genesis, and a genesis without its allocation would not match the chain.
  await waitForShutdownSignal()
  await node.stop()
  return 0
})

export function devGenesis(options: { chainId: bigint; validator: Uint8Array; funded: Uint8Array[]; balanceWei: bigint; gasLimit: bigint; baseFee: bigint }): Genesis {
  const json: GenesisJson = {
    chainId: Number(options.chainId),
    gasLimit: bigintToHex(options.gasLimit),
    baseFeePerGas: bigintToHex(options.baseFee),
    timestamp: bigintToHex(BigInt(Math.floor(Date.now() / 1000))),
    validators: [bytesToHex(options.validator)],
    alloc: { ...systemGenesisAccounts() },
  }
  for (const address of options.funded) json.alloc![bytesToHex(address)] = { balance: bigintToHex(options.balanceWei) }
  return parseGenesis(json)
}

function printBanner(accounts: { address: Uint8Array; privateKey: Uint8Array }[], genesis: Genesis, url: string, dataDir: string | undefined) {
  const eth = (wei: bigint) => `${wei / WEI_PER_ETH} ETH`
  const lines = ['', `Stele dev node v${VERSION}`, '', 'Available Accounts', '==================']
  accounts.forEach((a, i) => lines.push(`(${i}) ${checksum(a.address)} (${eth(genesis.alloc.get(bytesToHex(a.address))?.balance ?? 0n)})`))
  lines.push('', 'Private Keys', '==================')
  accounts.forEach((a, i) => lines.push(`(${i}) ${bytesToHex(a.privateKey)}`))
  lines.push('', 'Wallet', '==================', `Mnemonic:          ${DEV_MNEMONIC}`, "Derivation path:   m/44'/60'/0'/0/", '')
  lines.push(`Chain ID:          ${genesis.chainId}`, `Data directory:    ${dataDir ?? '(ephemeral: in memory)'}`, '', `Listening on ${url}`, '')
  console.log(lines.join('\n'))
}

function checksum(address: Uint8Array): string {
  return toChecksumAddress(bytesToHex(address))
}


