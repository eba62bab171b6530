import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { etherToWei, defineCommand, type CommandSpec } from '../args.js'
import type { Command } from '../main.js'
import { initNetwork } from '../init/initCommand.js'
import { waitForShutdownSignal } from '../signals.js'

export const LOCALNET_SPEC: CommandSpec = {
  name: 'localnet',
  summary: 'Create a network and run every node as a child process on this machine',
  usage: 'stele localnet --validators N [--observers M] [--dir DIR] [options]',
  flags: {
    validators: { type: 'integer', default: 4, value: 'N', description: 'Validator nodes' },
    observers: { type: 'integer', default: 0, value: 'M', description: 'Observer nodes' },
    dir: { type: 'string', default: '.stele/localnet', value: 'DIR', description: 'Where the network lives (reused when it exists)' },
    reset: { type: 'boolean', description: 'Delete DIR first' },
    'chain-id': { type: 'integer', default: 1337, value: 'ID', description: 'Chain id (new networks only)' },
    accounts: { type: 'integer', default: 10, value: 'N', description: 'Dev-mnemonic accounts funded at genesis (new networks only)' },
    'rpc-port-base': { type: 'integer', default: 8545, value: 'PORT', description: 'Node i serves RPC on PORT+i' },
    'p2p-port-base': { type: 'integer', default: 30303, value: 'PORT', description: 'Node i listens for peers on PORT+i' },
    'block-period': { type: 'integer', default: 0, value: 'MS', description: '0: a block as soon as transactions are pending' },
    'log-level': { type: 'string', default: 'info', value: 'LEVEL', description: "Children's log level" },
  },
}

/** The running stele entry point (bin/stele.js): children run the same build. */
const BIN = process.argv[1] as string

export const localnetCommand: Command = defineCommand(LOCALNET_SPEC, async (args) => {
  const f = args.flags
  const dir = resolve(String(f.dir))
  if (f.reset === true) rmSync(dir, { recursive: true, force: true })
  const total = Number(f.validators) + Number(f.observers)
  if (!existsSync(join(dir, 'genesis.json'))) {
    initNetwork({
      validators: Number(f.validators),
      observers: Number(f.observers),
      out: dir,
      chainId: BigInt(Number(f['chain-id'])),
      accounts: Number(f.accounts),
      balanceWei: etherToWei(10000),
      rpcPortBase: Number(f['rpc-port-base']),
      p2pPortBase: Number(f['p2p-port-base']),
      host: '127.0.0.1',
      blockPeriodMs: Number(f['block-period']),
      baseFee: 1_000_000_000n,
    })
  }
  const children: ChildProcess[] = []
  for (let i = 0; i < total; i++) {
    const home = join(dir, `node${i}`)
    const child = spawn(process.execPath, [BIN, 'start', '--home', home, '--log-level', String(f['log-level'])], { stdio: ['ignore', 'pipe', 'pipe'] })
    const prefix = `node${i} | `
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = ''
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n')
        partial = lines.pop() ?? ''
        for (const line of lines) process.stdout.write(`${prefix}${line}\n`)
      })
    }
    child.on('exit', (code, signal) => console.log(`${prefix}exited (${signal ?? code})`))
    children.push(child)
  }
  console.log(`\nlocalnet: ${total} nodes in ${dir}`)
  for (let i = 0; i < total; i++) {
    console.log(`  node${i}: ${i < Number(f.validators) ? 'validator' : 'observer '} rpc http://127.0.0.1:${Number(f['rpc-port-base']) + i}  p2p 127.0.0.1:${Number(f['p2p-port-base']) + i}`)
  }
  console.log('Ctrl-C stops every node.\n')
  await waitForShutdownSignal()
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done()
          child.once('exit', () => done())
          child.kill('SIGTERM')
        }),
    ),
  )
  return 0
})
