import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chooseSubcommand, defineCommandGroup, parseArgs, type CommandSpec } from './args.js'
import { ErrorCode, isSteleError } from '../primitives/errors.js'

const spec: CommandSpec = {
  name: 'demo run',
  summary: 'Run the demo',
  usage: 'stele demo run FILE',
  positionals: [1, 2],
  flags: {
    port: { type: 'integer', default: 8545, description: 'Port' },
    host: { type: 'string', description: 'Host' },
    quiet: { type: 'boolean', description: 'Less output' },
    peer: { type: 'string', repeatable: true, description: 'A peer' },
  },
}

function quietly<T>(fn: () => T): { value: T; printed: string } {
  const original = console.log
  let printed = ''
  console.log = (...parts: unknown[]) => {
    printed += parts.join(' ') + '\n'
  }
  try {
    return { value: fn(), printed }
  } finally {
    console.log = original
  }
}

test('parseArgs: typed flags, defaults, = form, repeatable flags and positionals', () => {
  const args = parseArgs(spec, ['a.txt', '--port=9000', '--host', '0.0.0.0', '--quiet', '--peer', 'x', '--peer=y'])
  assert.deepEqual(args.flags, { port: 9000, host: '0.0.0.0', quiet: true, peer: ['x', 'y'] })
  assert.deepEqual(args.positionals, ['a.txt'])
  assert.equal(parseArgs(spec, ['a']).flags.port, 8545)
  assert.deepEqual(parseArgs(spec, ['--', '--not-a-flag']).positionals, ['--not-a-flag'])
})

test('parseArgs: bad input is an InvalidInput error that names the flag and the help command', () => {
  for (const argv of [['a', '--bogus'], ['a', '--port', '-1'], ['a', '--port', '1.5'], ['a', '--host'], ['a', '--quiet=maybe'], [], ['a', 'b', 'c']]) {
    assert.throws(
      () => parseArgs(spec, argv),
      (error: unknown) => isSteleError(error, ErrorCode.InvalidInput) && /stele demo run --help/.test((error as Error).message),
      argv.join(' '),
    )
  }
  assert.equal(parseArgs(spec, ['--help']).help, true, '--help needs no positionals')
})

test('chooseSubcommand: help and unknown subcommands exit with 0 and 2; a known one is parsed', () => {
  const group = { run: spec }
  const none = quietly(() => chooseSubcommand('demo', group, []))
  assert.deepEqual(none.value, { exitCode: 0 })
  assert.match(none.printed, /Usage: stele demo <command>/)
  assert.match(none.printed, /run {2}Run the demo/)
  assert.deepEqual(quietly(() => chooseSubcommand('demo', group, ['--help'])).value, { exitCode: 0 })
  assert.deepEqual(quietly(() => chooseSubcommand('demo', group, ['nope'])).value, { exitCode: 2 })
  const help = quietly(() => chooseSubcommand('demo', group, ['run', '--help']))
  assert.deepEqual(help.value, { exitCode: 0 })
  assert.match(help.printed, /Usage: stele demo run FILE/)
  const chosen = chooseSubcommand('demo', group, ['run', 'f', '--quiet'])
  assert.ok('name' in chosen)
  assert.equal(chosen.name, 'run')
  assert.deepEqual(chosen.args.positionals, ['f'])
  assert.equal(chosen.args.flags.quiet, true)
})

test('defineCommandGroup runs the chosen subcommand with its parsed flags, and only then', async () => {
  const calls: string[] = []
  const group = defineCommandGroup('demo', 'Demo commands', { run: spec }, async (sub, args) => {
    calls.push(`${sub} ${args.positionals.join(' ')} ${String(args.flags.port)}`)
    return 7
  })
  assert.equal(await group.run(['run', 'f', '--port', '1']), 7)
  assert.deepEqual(calls, ['run f 1'])
  assert.equal((await quietly(() => group.run(['nope'])).value), 2)
  assert.equal((await quietly(() => group.run(['run', '--help'])).value), 0)
  assert.deepEqual(calls, ['run f 1'], 'help and unknown subcommands do not run it')
})
