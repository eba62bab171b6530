/** Structured-enough logging: one line per event, `level component message key=value…`, on stderr. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  child(component: string): Logger
}

export function createLogger(level: LogLevel = 'info', component = 'stele', write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const threshold = ORDER[level]
  const log = (at: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < threshold) return
    let line = `${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${component.padEnd(9)} ${message}`
    if (fields) for (const [k, v] of Object.entries(fields)) line += ` ${k}=${formatField(v)}`
    write(line)
  }
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (name) => createLogger(level, name, write),
  }
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
}

function formatField(value: unknown): string {
  if (value instanceof Uint8Array) {
    let s = '0x'
    for (const b of value) s += b.toString(16).padStart(2, '0')
    return s
  }
  if (value instanceof Error) return JSON.stringify(value.message)
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value
  return String(value)
}
