import { errorMessage, isSteleError } from '../primitives/errors.js'
import { devCommand } from './dev/devCommand.js'
import { initCommand } from './init/initCommand.js'
import { localnetCommand } from './localnet/localnetCommand.js'
import { startCommand } from './start/startCommand.js'
import { dataCommand } from './data/dataCommand.js'
import { txCommand } from './tx/txCommand.js'
import { iotCommand } from '../data/iot/cli/iotCommand.js'

export interface Command {
  name: string
  summary: string
  run(argv: string[]): Promise<number>
}

const COMMANDS: Command[] = [devCommand, initCommand, startCommand, localnetCommand, dataCommand, txCommand, iotCommand]

import { VERSION } from './version.js'

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2
  return [
    'stele: a consortium blockchain for trusted data and assets',
    '',
    'Usage: stele <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'stele <command> --help' for a command's options.",
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage())
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === 'version') {
    console.log(`stele ${VERSION}`)
    return 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    console.error(`stele: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  try {
    return await command.run(rest)
  } catch (error) {
    if (isSteleError(error)) console.error(`stele ${name}: ${error.code}: ${error.message}`)
    else console.error(`stele ${name}: ${errorMessage(error)}`, error)
    return isSteleError(error, 'INVALID_INPUT') ? 2 : 1
  }
}
