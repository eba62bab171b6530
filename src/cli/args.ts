import { ErrorCode, SteleError } from '../primitives/errors.js'

/** A small flag parser: typed flags, generated --help, and clear errors for unknown or malformed flags. */
export interface FlagSpec {
  type: 'string' | 'integer' | 'boolean' | 'number'
  description: string
  default?: string | number | boolean
  /** Placeholder in help, e.g. DIR. */
  value?: string
  repeatable?: boolean
}

export interface CommandSpec {
  name: string
  summary: string
  usage: string
  flags: Record<string, FlagSpec>
  /** Positional arguments: allowed count [min, max]. */
  positionals?: [number, number]
}

export interface ParsedArgs {
  flags: Record<string, string | number | boolean | string[] | undefined>
  positionals: string[]
  help: boolean
}

export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const flags: ParsedArgs['flags'] = {}
  const positionals: string[] = []
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--help' || arg === '-h') {
      help = true
      continue
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq === -1 ? undefined : eq)
    const flag = spec.flags[name]
    if (!flag) throw usageError(spec, `unknown flag --${name}`)
    let raw: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1)
    if (flag.type === 'boolean') {
      if (raw !== undefined && raw !== 'true' && raw !== 'false') throw usageError(spec, `--${name} takes no value`)
      flags[name] = raw !== 'false'
      continue
    }
    if (raw === undefined) {
      raw = argv[++i]
      if (raw === undefined) throw usageError(spec, `--${name} needs a value`)
    }
    const value = convert(spec, name, flag, raw)
    if (flag.repeatable) ((flags[name] as string[] | undefined) ?? (flags[name] = [])) && (flags[name] as string[]).push(String(value))
    else flags[name] = value
  }
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (flags[name] === undefined && flag.default !== undefined) flags[name] = flag.default
  }
  const [min, max] = spec.positionals ?? [0, 0]
  if (!help && (positionals.length < min || positionals.length > max)) {
    throw usageError(spec, positionals.length < min ? 'missing arguments' : `unexpected argument ${positionals[max] ?? ''}`)
  }
  return { flags, positionals, help }
}

function convert(spec: CommandSpec, name: string, flag: FlagSpec, raw: string): string | number {
  if (flag.type === 'string') return raw
  const n = Number(raw)
  if (!Number.isFinite(n) || (flag.type === 'integer' && !Number.isSafeInteger(n)) || n < 0) {
    throw usageError(spec, `--${name} must be a non-negative ${flag.type}, got "${raw}"`)
  }
  return n
}

export function usageError(spec: CommandSpec, message: string): SteleError {
  return new SteleError(ErrorCode.InvalidInput, `${message}\nRun 'stele ${spec.name} --help' for usage.`)
}

export function helpText(spec: CommandSpec): string {
  const lines = [spec.summary, '', `Usage: ${spec.usage}`, '', 'Options:']
  const entries = Object.entries(spec.flags).map(([name, f]) => {
    const left = `  --${name}${f.type === 'boolean' ? '' : ` ${f.value ?? f.type.toUpperCase()}`}`
    const def = f.default === undefined || f.default === false ? '' : ` (default: ${f.default})`
    return [left, `${f.description}${def}`] as const
  })
  entries.push(['  -h, --help', 'Show this help'])
  const width = Math.max(...entries.map(([l]) => l.length)) + 2
  for (const [left, right] of entries) lines.push(left.padEnd(width) + right)
  return lines.join('\n')
}

/** ETH (as a CLI number, up to 6 decimals) to wei. */
export function etherToWei(ether: number): bigint {
  return BigInt(Math.round(ether * 1e6)) * 10n ** 12n
}

/** What a command group (`stele data`, `stele iot`) does with its argv: run a subcommand, or exit after printing help. */
export type SubcommandChoice = { exitCode: number } | { name: string; args: ParsedArgs }

/**
 * Picks the subcommand of a command group and parses its flags. With no subcommand, --help or an unknown one,
 * it prints the group's command list and returns the exit code (0 when help was asked for, 2 otherwise);
 * with --help after a subcommand, it prints that subcommand's help and returns 0.
 */
export function chooseSubcommand(group: string, subcommands: Record<string, CommandSpec>, argv: string[]): SubcommandChoice {
  const [name, ...rest] = argv
  const spec = name === undefined ? undefined : subcommands[name]
  if (name === undefined || spec === undefined) {
    const width = Math.max(...Object.keys(subcommands).map((n) => n.length)) + 2
    const list = Object.entries(subcommands).map(([n, s]) => `  ${n.padEnd(width)}${s.summary}`)
    console.log([`Usage: stele ${group} <command> [options]`, '', 'Commands:', ...list, '', `Run 'stele ${group} <command> --help' for options.`].join('\n'))
    return { exitCode: name === undefined || name === '--help' || name === '-h' ? 0 : 2 }
  }
  const args = parseArgs(spec, rest)
  if (args.help) {
    console.log(helpText(spec))
    return { exitCode: 0 }
  }
  return { name, args }
}

/** A single command: --help prints its help; otherwise its flags are parsed and handed to `run`. */
export function defineCommand(spec: CommandSpec, run: (args: ParsedArgs) => Promise<number>): { name: string; summary: string; run(argv: string[]): Promise<number> } {
  return {
    name: spec.name,
    summary: spec.summary,
    async run(argv) {
      const args = parseArgs(spec, argv)
      if (args.help) {
        console.log(helpText(spec))
        return 0
      }
      return run(args)
    },
  }
}

/** A command group (`stele data`, `stele iot`, `stele tx`): chooseSubcommand, then `run` with the chosen name and flags. */
export function defineCommandGroup(
  name: string,
  summary: string,
  subcommands: Record<string, CommandSpec>,
  run: (subcommand: string, args: ParsedArgs) => Promise<number>,
): { name: string; summary: string; run(argv: string[]): Promise<number> } {
  return {
    name,
    summary,
    async run(argv) {
      const choice = chooseSubcommand(name, subcommands, argv)
      return 'exitCode' in choice ? choice.exitCode : run(choice.name, choice.args)
    },
  }
}
