import { createLibp2pNetwork } from '../../p2p/libp2pNetwork.js'
import { createLogger, type LogLevel } from '../../primitives/logger.js'
import { DEFAULT_STATE_HISTORY, loadNodeHome } from '../../node/nodeConfig.js'
import { startNode } from '../../node/node.js'
import { defineCommand, type CommandSpec } from '../args.js'
import type { Command } from '../main.js'
import { waitForShutdownSignal } from '../signals.js'
import { VERSION } from '../version.js'
import { ErrorCode, SteleError } from '../../primitives/errors.js'

export const START_SPEC: CommandSpec = {
  name: 'start',
  summary: 'Run one node of a network from its home directory (made by stele init)',
  usage: 'stele start --home DIR [options]',
  flags: {
    home: { type: 'string', value: 'DIR', description: 'The node home: node.key, config.json (and the genesis it names)' },
    'rpc-port': { type: 'integer', value: 'PORT', description: 'Override the RPC port of config.json' },
    'p2p-port': { type: 'integer', value: 'PORT', description: 'Override the p2p port of config.json' },
    'log-level': { type: 'string', value: 'LEVEL', description: 'debug, info, warn or error (default: config.json, else info)' },
    'state-history': {
      type: 'integer',
      value: 'BLOCKS',
      description: `Keep the state of this many recent state-changing blocks besides the head; older state is pruned. 0 keeps all (default: config.json, else ${DEFAULT_STATE_HISTORY})`,
    },
    mqtt: { type: 'string', value: 'URL', description: 'Ingest device telemetry from this MQTT broker (mqtt://HOST:PORT)' },
    'mqtt-topic': { type: 'string', default: 'stele/telemetry/#', value: 'FILTER', description: 'MQTT topic filter for telemetry' },
  },
}

export const startCommand: Command = defineCommand(START_SPEC, async (args) => {
  if (args.flags.home === undefined) throw new SteleError(ErrorCode.InvalidInput, '--home is required\nRun \'stele start --help\' for usage.')
  const f = args.flags
  const home = loadNodeHome(String(args.flags.home))
  const level = (args.flags['log-level'] ?? home.config.logLevel ?? 'info') as LogLevel
  const logger = createLogger(level)
  const p2pPort = args.flags['p2p-port'] === undefined ? home.config.p2p.port : Number(args.flags['p2p-port'])
  const rpcPort = args.flags['rpc-port'] === undefined ? home.config.rpc.port : Number(args.flags['rpc-port'])
  const network = await createLibp2pNetwork({
    privateKey: home.nodeKey,
    listen: { host: home.config.p2p.host, port: p2pPort },
    staticPeers: home.config.staticPeers,
    permittedPeerIds: home.genesis.permittedPeers.length === 0 ? 'any' : home.genesis.permittedPeers,
    topicPrefix: `/stele/${home.genesis.chainId}`,
    logger: logger.child('p2p'),
  })
  const node = await startNode({
    genesis: home.genesis,
    nodeKey: home.nodeKey,
    dataDir: home.dataDir,
    rpc: { host: home.config.rpc.host, port: rpcPort },
    role: home.config.role,
    stateHistory: f['state-history'] === undefined ? (home.config.stateHistory ?? DEFAULT_STATE_HISTORY) : Number(f['state-history']),
    network,
    clientVersion: `stele/v${VERSION}/node-${process.version}`,
    ...(typeof f.mqtt === 'string' ? { mqtt: { url: f.mqtt, topic: String(f['mqtt-topic']) } } : {}),
    logger,
  })
  console.log(`Listening on ${node.rpc.url}`)
  await waitForShutdownSignal()
  await node.stop()
  return 0
})
