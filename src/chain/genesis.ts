import { bigintToBytes, bigintToHex, bytesToBigint, bytesToHex, hexToBytes, hexToFixedBytes, isHex, type Hex } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'

/**
 * genesis.json: the trust root of a Stele chain (docs/spec/genesis.md). Quantities are hex strings, as in
 * geth's genesis files; unknown fields are refused so typos do not pass silently.
 */
export interface GenesisAccount {
  balance: bigint
  nonce: bigint
  code: Uint8Array | undefined
  storage: ReadonlyMap<Hex, Hex>
}

export interface Genesis {
  chainId: bigint
  timestamp: bigint
  gasLimit: bigint
  baseFeePerGas: bigint
  /** Validator addresses at height 0. */
  validators: Uint8Array[]
  /** libp2p peer ids allowed to connect (node permissioning); empty means any peer. */
  permittedPeers: string[]
  /** Target milliseconds between blocks; 0 builds a block as soon as transactions are pending. */
  blockPeriodMs: number
  /** The round timeout of round 0; it doubles per round up to roundTimeoutCapMs. */
  requestTimeoutMs: number
  roundTimeoutCapMs: number
  alloc: GenesisAllocation
}

/** A genesis allocation: parseGenesis packs it (PackedGenesisAllocation); a Map of accounts also serves. */
export interface GenesisAllocation extends Iterable<[Hex, GenesisAccount]> {
  readonly size: number
  get(address: Hex): GenesisAccount | undefined
}

export interface GenesisJson {
  chainId: number | string
  timestamp?: string
  gasLimit?: string
  baseFeePerGas?: string
  validators: string[]
  permittedPeers?: string[]
  blockPeriodMs?: number
  requestTimeoutMs?: number
  roundTimeoutCapMs?: number
  alloc?: Record<string, { balance?: string; nonce?: string; code?: string; storage?: Record<string, string> }>
}

export const DEFAULT_GAS_LIMIT = 100_000_000n
export const DEFAULT_BASE_FEE = 1_000_000_000n

const TOP_LEVEL_KEYS = new Set(['chainId', 'timestamp', 'gasLimit', 'baseFeePerGas', 'validators', 'permittedPeers', 'blockPeriodMs', 'requestTimeoutMs', 'roundTimeoutCapMs', 'alloc'])

/** Shared by every account without storage. */
const NO_STORAGE: ReadonlyMap<Hex, Hex> = new Map<Hex, Hex>()

export function parseGenesis(json: unknown): Genesis {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('genesis must be a JSON object')
  const g = json as Record<string, unknown>
  for (const key of Object.keys(g)) if (!TOP_LEVEL_KEYS.has(key)) fail(`unknown genesis field "${key}"`)
  if (!Array.isArray(g.validators) || g.validators.length === 0) fail('genesis.validators must list at least one address')
  const alloc = new PackedGenesisAllocation()
  // Addresses met in a spelling other than the normalized one (lower case with 0x, e.g. upper case or no
  // prefix), to refuse an address listed twice.
  const respelled = new Set<Hex>()
  const rawAlloc = (g.alloc ?? {}) as Record<string, Record<string, unknown>>
  if (typeof rawAlloc !== 'object' || Array.isArray(rawAlloc)) fail('genesis.alloc must be an object')
  // for-in rather than Object.entries: a 1M-account genesis would build a million [key, value] pairs first.
  for (const address in rawAlloc) {
    if (!Object.hasOwn(rawAlloc, address)) continue
    const account = rawAlloc[address] as Record<string, unknown>
    const key = normalizeAddress(address, `alloc address ${address}`)
    if (key !== address) {
      if (Object.hasOwn(rawAlloc, key) || respelled.has(key)) fail(`genesis.alloc lists ${key} twice`)
      respelled.add(key)
    }
    if (typeof account !== 'object' || account === null) fail(`alloc ${address} must be an object`)
    // Accounts without storage share one empty map: a million empty Maps (a 1M-account genesis) cost about 250 MB.
    let storage = NO_STORAGE
    if (account.storage !== undefined) {
      const slots = new Map<Hex, Hex>()
      for (const [slot, value] of Object.entries(account.storage as Record<string, string>)) {
        slots.set(slot.toLowerCase() as Hex, quantityOrData(value, `alloc ${address} storage ${slot}`))
      }
      storage = slots
    }
    alloc.add(key, {
      balance: quantity(account.balance ?? '0x0', `alloc ${address} balance`),
      nonce: quantity(account.nonce ?? '0x0', `alloc ${address} nonce`),
      code: account.code === undefined ? undefined : hexToBytes(String(account.code)),
      storage,
    })
  }
  return {
    chainId: quantity(g.chainId, 'chainId'),
    timestamp: quantity(g.timestamp ?? '0x0', 'timestamp'),
    gasLimit: quantity(g.gasLimit ?? bigintToHex(DEFAULT_GAS_LIMIT), 'gasLimit'),
    baseFeePerGas: quantity(g.baseFeePerGas ?? bigintToHex(DEFAULT_BASE_FEE), 'baseFeePerGas'),
    validators: (g.validators as unknown[]).map((v, i) => hexToFixedBytes(String(v), 20, `validators[${i}]`)),
    permittedPeers: Array.isArray(g.permittedPeers) ? g.permittedPeers.map(String) : [],
    blockPeriodMs: integer(g.blockPeriodMs ?? 0, 'blockPeriodMs'),
    requestTimeoutMs: integer(g.requestTimeoutMs ?? 1000, 'requestTimeoutMs'),
    roundTimeoutCapMs: integer(g.roundTimeoutCapMs ?? 10_000, 'roundTimeoutCapMs'),
    alloc,
  }
}

export function genesisToJson(genesis: Genesis): GenesisJson {
  const alloc: NonNullable<GenesisJson['alloc']> = {}
  for (const [address, account] of genesis.alloc) {
    alloc[address] = {
      balance: bigintToHex(account.balance),
      ...(account.nonce === 0n ? {} : { nonce: bigintToHex(account.nonce) }),
      ...(account.code === undefined ? {} : { code: toHex(account.code) }),
      ...(account.storage.size === 0 ? {} : { storage: Object.fromEntries(account.storage) }),
    }
  }
  return {
    chainId: Number(genesis.chainId),
    timestamp: bigintToHex(genesis.timestamp),
    gasLimit: bigintToHex(genesis.gasLimit),
    baseFeePerGas: bigintToHex(genesis.baseFeePerGas),
    validators: genesis.validators.map(toHex),
    permittedPeers: genesis.permittedPeers,
    blockPeriodMs: genesis.blockPeriodMs,
    requestTimeoutMs: genesis.requestTimeoutMs,
    roundTimeoutCapMs: genesis.roundTimeoutCapMs,
    alloc,
  }
}

const ADDRESS_BYTES = 20
const BALANCE_BYTES = 32
const BALANCE_LIMIT = 2n ** 256n

/**
 * The allocation parseGenesis builds. An account with only a balance (nearly all of a large genesis) is packed
 * into two byte arrays, 20 and 32 bytes per account, where a Map entry held a key string, an object and a
 * bigint. The node keeps the allocation for stele_getGenesis, and in a 1M-account genesis those three million
 * objects stayed for every major GC to mark (docs/performance.md, item 24). Other accounts stay in a Map.
 * Accounts read back are built on each read.
 */
export class PackedGenesisAllocation implements GenesisAllocation {
  private addresses: Uint8Array = new Uint8Array(ADDRESS_BYTES * 16)
  private balances: Uint8Array = new Uint8Array(BALANCE_BYTES * 16)
  private packed = 0
  private readonly others = new Map<Hex, GenesisAccount>()

  /** Adds an account. Each address once: the caller checks (parseGenesis refuses an address listed twice). */
  add(address: Hex, account: GenesisAccount): void {
    const plain = account.nonce === 0n && account.code === undefined && account.storage.size === 0 && account.balance >= 0n && account.balance < BALANCE_LIMIT
    if (!plain) {
      this.others.set(address, account)
      return
    }
    if (this.packed * ADDRESS_BYTES === this.addresses.length) {
      this.addresses = grown(this.addresses)
      this.balances = grown(this.balances)
    }
    this.addresses.set(hexToBytes(address), this.packed * ADDRESS_BYTES)
    const balance = bigintToBytes(account.balance)
    this.balances.set(balance, (this.packed + 1) * BALANCE_BYTES - balance.length)
    this.packed++
  }

  get size(): number {
    return this.packed + this.others.size
  }

  /** A packed account is found by a scan: reads by address are rare (the dev banner's few accounts). */
  get(address: Hex): GenesisAccount | undefined {
    const other = this.others.get(address)
    if (other !== undefined) return other
    const wanted = hexToBytes(address)
    if (wanted.length !== ADDRESS_BYTES) return undefined
    for (let i = 0; i < this.packed; i++) {
      const at = i * ADDRESS_BYTES
      let k = 0
      while (k < ADDRESS_BYTES && this.addresses[at + k] === wanted[k]) k++
      if (k === ADDRESS_BYTES) return this.packedAccount(i)
    }
    return undefined
  }

  *[Symbol.iterator](): Iterator<[Hex, GenesisAccount]> {
    for (let i = 0; i < this.packed; i++) yield [bytesToHex(this.addresses.subarray(i * ADDRESS_BYTES, (i + 1) * ADDRESS_BYTES)), this.packedAccount(i)]
    yield* this.others
  }

  private packedAccount(i: number): GenesisAccount {
    return { balance: bytesToBigint(this.balances.subarray(i * BALANCE_BYTES, (i + 1) * BALANCE_BYTES)), nonce: 0n, code: undefined, storage: NO_STORAGE }
  }
}

function grown(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2)
  out.set(bytes)
  return out
}

function toHex(bytes: Uint8Array): Hex {
  let s = '0x'
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s as Hex
}

export function normalizeAddress(address: string, what: string): Hex {
  const withPrefix = address.startsWith('0x') ? address : `0x${address}`
  hexToFixedBytes(withPrefix, 20, what)
  return withPrefix.toLowerCase() as Hex
}

function quantity(value: unknown, what: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  if (typeof value === 'string' && isHex(value) && value.length > 2) return BigInt(value)
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) return BigInt(value)
  return fail(`genesis ${what} must be a non-negative integer or 0x quantity, got ${JSON.stringify(value)}`)
}

function quantityOrData(value: unknown, what: string): Hex {
  if (typeof value !== 'string' || !isHex(value)) fail(`genesis ${what} must be hex`)
  return (value as string).toLowerCase() as Hex
}

function integer(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`genesis ${what} must be a non-negative integer`)
  return value as number
}

function fail(message: string): never {
  throw new SteleError(ErrorCode.Config, message)
}
