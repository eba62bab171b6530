import type { Common } from '@ethereumjs/common'
import { TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import type { SignedTx } from '../chain/types.js'
import { keccak256 } from '../crypto/keccak.js'
import { ErrorCode, isSteleError, SteleError } from '../primitives/errors.js'
import type { SignerRecovery } from '../crypto/recoveryWorkers.js'
import { createSharedTxCommon, decodeRawTransaction, initCodeSizeLimit, recoverSender, recoverSenderWith } from './decodeRawTransaction.js'
import { bytesKey, type PooledTx, type SenderTxs } from './pooledTx.js'
import { selectForBlock, type SelectOptions } from './selectForBlock.js'
import {
  alreadyKnown,
  feeTooLow,
  gasLimitExceeded,
  insufficientFunds,
  intrinsicGasTooLow,
  MAX_TX_SIZE,
  nonceTooLow,
  oversizedData,
  replacementUnderpriced,
  txPoolFull,
} from './txPoolErrors.js'

export type { SelectOptions } from './selectForBlock.js'

/** The head-state facts admission needs about a sender. */
export interface AccountState {
  nonce: bigint
  balance: bigint
}

export interface TxPoolLimits {
  /** Transactions in the pool, pending and queued together. */
  maxSize: number
  /** Transactions from one sender. */
  maxPerSender: number
  /** Encoded size of one transaction, in bytes. */
  maxTxSize: number
}

export const DEFAULT_TXPOOL_LIMITS: TxPoolLimits = { maxSize: 50_000, maxPerSender: 10_000, maxTxSize: MAX_TX_SIZE }

export interface TxPoolOptions {
  /** From createChainCommon(chainId): decodes txs and recovers senders with native crypto. */
  common: Common
  chainId: bigint
  /** Reads a sender's nonce and balance at the head. Results are cached until the next onBlockCommitted. */
  account: (address: Uint8Array) => AccountState | Promise<AccountState>
  /** Base fee of the next block; 0n on gas-free chains, where gas price 0 is accepted. */
  baseFee: () => bigint
  /** Gas limit of the next block. */
  blockGasLimit: () => bigint
  limits?: Partial<TxPoolLimits>
  /** Minimum fee increase, in percent, for a same-nonce replacement (geth's default is 10). */
  priceBumpPercent?: number
  /**
   * Recovers senders off the main thread (createSignerRecovery); absent, on the calling thread. Its results
   * arrive in request order, so concurrent adds are still admitted in the order they were made.
   */
  recovery?: SignerRecovery
  /** Called when an onPending listener throws; the pool keeps going either way. */
  onListenerError?: (error: unknown) => void
}

export interface TxPoolCounts {
  pending: number
  queued: number
}

export interface TxPool {
  /**
   * Decodes, validates and admits a raw EIP-2718 transaction (types 0, 1, 2). Resolves to the pooled tx;
   * rejects with a SteleError carrying geth's message (eth_sendRawTransaction).
   */
  add(raw: Uint8Array): Promise<SignedTx>
  /**
   * Resolves once every add() made before this call has settled (admitted or refused). A block builder
   * awaits it so the block holds what already arrived, not only what finished its sender recovery.
   */
  settled(): Promise<void>
  /** add() calls so far, refused ones included: a block builder watches it to tell whether transactions still arrive. */
  received(): number
  /** add() calls not yet settled. */
  admitting(): number
  has(hash: Uint8Array): boolean
  get(hash: Uint8Array): SignedTx | undefined
  size(): number
  counts(): TxPoolCounts
  /** The nonce the sender's next tx should use: after its pending txs, else the state nonce. */
  pendingNonce(address: Uint8Array): Promise<bigint>
  /** Synchronous variant: the pool's next nonce for a sender it holds pending txs for, else undefined. */
  poolNonce(address: Uint8Array): bigint | undefined
  /** Executable txs for a block, in execution order (see selectForBlock.ts). Does not remove them. */
  selectForBlock(options: SelectOptions): SignedTx[]
  /**
   * After a block is committed: drops included and now-stale txs and promotes queued ones. `included` are
   * the block's txs (SignedTx, or hashes of pooled txs); `nonces` optionally gives senders' new state nonces.
   */
  onBlockCommitted(included: readonly (SignedTx | Uint8Array)[], nonces?: Iterable<readonly [Uint8Array, bigint]>): void
  /** Removes txs (for example ones the block builder found invalid); later nonces of their senders become queued. */
  remove(hashes: readonly Uint8Array[]): number
  /** Every pooled tx, per sender in nonce order (txpool_content). */
  content(): { pending: SignedTx[]; queued: SignedTx[] }
  /** Called with each tx that becomes executable: admitted in order, promoted, or replacing a pending one. */
  onPending(listener: (tx: SignedTx) => void): () => void
}

const ACCOUNT_CACHE_MAX = 65_536
/** A state read that raced with a commit is repeated this many times at most. */
const ACCOUNT_READ_ATTEMPTS = 3

export function createTxPool(options: TxPoolOptions): TxPool {
  const limits: TxPoolLimits = { ...DEFAULT_TXPOOL_LIMITS, ...options.limits }
  const priceBump = BigInt(options.priceBumpPercent ?? 10)
  const decodeOptions = {
    common: createSharedTxCommon(options.common),
    chainId: options.chainId,
    maxTxSize: limits.maxTxSize,
    maxInitCodeSize: initCodeSizeLimit(options.common),
  }

  const byHash = new Map<string, PooledTx>()
  const senders = new Map<string, SenderTxs>()
  const listeners = new Set<(tx: SignedTx) => void>()
  let pendingTotal = 0
  let arrivals = 0
  let received = 0
  /** Adds between their first check and their admission (see add), and their promises (see settled). */
  let addsInFlight = 0
  const inFlight = new Set<Promise<SignedTx>>()
  // Bumped at each commit: account reads from an older generation may predate the new head.
  let generation = 0
  let accountCache = new Map<string, AccountState | Promise<AccountState>>()

  function emit(entries: readonly PooledTx[]): void {
    if (listeners.size === 0) return
    for (const entry of entries) {
      for (const listener of listeners) {
        try {
          listener(entry.signed)
        } catch (error) {
          options.onListenerError?.(error)
        }
      }
    }
  }

  function readAccount(address: Uint8Array, key: string): AccountState | Promise<AccountState> {
    const cached = accountCache.get(key)
    if (cached !== undefined) return cached
    if (accountCache.size >= ACCOUNT_CACHE_MAX) accountCache = new Map()
    const cache = accountCache
    const read = options.account(address)
    cache.set(key, read)
    if (read instanceof Promise) {
      read.then(
        (state) => {
          if (cache.get(key) === read) cache.set(key, state)
        },
        () => {
          if (cache.get(key) === read) cache.delete(key)
        },
      )
    }
    return read
  }

  /** Reads the account, again if a commit happened meanwhile, so admission never sees a pre-commit nonce. */
  async function readAccountAfterCommits(address: Uint8Array, key: string): Promise<AccountState> {
    for (let attempt = 1; ; attempt++) {
      const seen = generation
      let state: AccountState
      try {
        state = await readAccount(address, key)
      } catch (cause) {
        if (isSteleError(cause)) throw cause
        throw new SteleError(ErrorCode.Storage, 'txpool: reading the sender account failed', { cause })
      }
      if (seen === generation || attempt >= ACCOUNT_READ_ATTEMPTS) return state
    }
  }

  /** Moves the pending run forward over present nonces; returns the txs that became pending. */
  function extendPending(sender: SenderTxs): PooledTx[] {
    const promoted: PooledTx[] = []
    for (let entry = sender.txs.get(sender.pendingEnd); entry !== undefined; entry = sender.txs.get(sender.pendingEnd)) {
      promoted.push(entry)
      sender.pendingEnd++
      pendingTotal++
    }
    return promoted
  }

  /** The sender's state nonce moved to `nonce`: drop the txs below it, then promote what now follows. */
  function advanceStateNonce(sender: SenderTxs, nonce: bigint): PooledTx[] {
    if (nonce <= sender.stateNonce) return []
    const pendingBefore = sender.pendingEnd - sender.stateNonce
    if (nonce - sender.stateNonce <= BigInt(sender.txs.size)) {
      for (let n = sender.stateNonce; n < nonce; n++) deleteEntry(sender, sender.txs.get(n))
    } else {
      for (const [n, entry] of sender.txs) if (n < nonce) deleteEntry(sender, entry)
    }
    sender.stateNonce = nonce
    if (sender.pendingEnd < nonce) sender.pendingEnd = nonce
    pendingTotal += Number(sender.pendingEnd - sender.stateNonce - pendingBefore)
    const promoted = extendPending(sender)
    dropIfEmpty(sender)
    return promoted
  }

  function deleteEntry(sender: SenderTxs, entry: PooledTx | undefined): void {
    if (entry === undefined) return
    sender.txs.delete(entry.nonce)
    byHash.delete(entry.key)
  }

  function dropIfEmpty(sender: SenderTxs): void {
    if (sender.txs.size === 0 && senders.get(sender.key) === sender) senders.delete(sender.key)
  }

  /**
   * Frees one slot by dropping the highest-nonce queued tx of the sender with the most queued txs. The
   * `protectedRun` txs of `incoming`'s sender (the queued ones its arrival will promote) are spared.
   */
  function evictQueued(incoming: SenderTxs | undefined, protectedRun: number): boolean {
    let victim: SenderTxs | undefined
    let victimQueued = 0
    for (const sender of senders.values()) {
      let queued = sender.txs.size - Number(sender.pendingEnd - sender.stateNonce)
      if (sender === incoming) queued -= protectedRun
      if (queued > victimQueued) {
        victim = sender
        victimQueued = queued
      }
    }
    if (victim === undefined) return false
    let highest: PooledTx | undefined
    for (const entry of victim.txs.values()) if (highest === undefined || entry.nonce > highest.nonce) highest = entry
    deleteEntry(victim, highest)
    dropIfEmpty(victim)
    return true
  }

  function outbids(replacement: PooledTx, old: PooledTx): boolean {
    if (replacement.feeCap <= old.feeCap || replacement.tip <= old.tip) return false
    const feeCapThreshold = (old.feeCap * (100n + priceBump)) / 100n
    const tipThreshold = (old.tip * (100n + priceBump)) / 100n
    return replacement.feeCap >= feeCapThreshold && replacement.tip >= tipThreshold
  }

  function admit(entry: PooledTx, account: AccountState): SignedTx {
    // A concurrent add of the same bytes may have finished while we awaited the state read.
    if (byHash.has(entry.key)) throw alreadyKnown()
    const from = entry.signed.from
    const senderKey = bytesKey(from)
    let sender = senders.get(senderKey)
    const promotedByState = sender !== undefined ? advanceStateNonce(sender, account.nonce) : []
    emit(promotedByState)
    sender = senders.get(senderKey)
    const stateNonce = sender !== undefined && sender.stateNonce > account.nonce ? sender.stateNonce : account.nonce
    if (entry.nonce < stateNonce) throw nonceTooLow(from, entry.nonce, stateNonce)
    const cost = entry.gasLimit * entry.feeCap + entry.signed.tx.value
    if (account.balance < cost) throw insufficientFunds(from, account.balance, cost)

    const existing = sender?.txs.get(entry.nonce)
    if (sender !== undefined && existing !== undefined) {
      if (!outbids(entry, existing)) throw replacementUnderpriced()
      sender.txs.set(entry.nonce, entry)
      byHash.delete(existing.key)
      byHash.set(entry.key, entry)
      if (entry.nonce < sender.pendingEnd) emit([entry])
      return entry.signed
    }
    if (sender !== undefined && sender.txs.size >= limits.maxPerSender) {
      throw txPoolFull(`sender has ${sender.txs.size} transactions, limit ${limits.maxPerSender}`)
    }
    if (byHash.size >= limits.maxSize) {
      // Only an executable tx may push out a queued one; executable txs are never evicted.
      const becomesPending = entry.nonce === (sender?.pendingEnd ?? stateNonce)
      let promotable = 0
      if (sender !== undefined) while (sender.txs.has(entry.nonce + 1n + BigInt(promotable))) promotable++
      if (!becomesPending) throw txPoolFull(`pool holds ${byHash.size} transactions, limit ${limits.maxSize}`)
      if (!evictQueued(sender, promotable)) {
        // Nothing else is queued: give up the top of the run this tx would promote rather than refuse it.
        if (sender === undefined || promotable === 0) throw txPoolFull(`pool holds ${byHash.size} transactions, limit ${limits.maxSize}`)
        deleteEntry(sender, sender.txs.get(entry.nonce + BigInt(promotable)))
      }
      sender = senders.get(senderKey)
    }
    if (sender === undefined) {
      sender = { address: from, key: senderKey, stateNonce, pendingEnd: stateNonce, txs: new Map() }
      senders.set(senderKey, sender)
    }
    sender.txs.set(entry.nonce, entry)
    byHash.set(entry.key, entry)
    if (entry.nonce === sender.pendingEnd) emit(extendPending(sender))
    return entry.signed
  }

  /** add() after the duplicate check: decode, stateless checks, sender, state checks, then admit in turn. */
  async function admitDecoded(raw: Uint8Array, hash: Uint8Array, key: string): Promise<SignedTx> {
    const tx = decodeRawTransaction(raw, decodeOptions)
    const blockGasLimit = options.blockGasLimit()
    if (tx.gasLimit > blockGasLimit) throw gasLimitExceeded(tx.gasLimit, blockGasLimit)
    const intrinsicGas = tx.getIntrinsicGas()
    if (tx.gasLimit < intrinsicGas) throw intrinsicGasTooLow(tx.gasLimit, intrinsicGas)
    // The strict decoder admits only canonical encodings, so the received bytes are what tx.serialize()
    // would produce: seeding the cache spares @ethereumjs re-encoding them to hash.
    tx.cache.hash = hash
    const from = options.recovery === undefined ? recoverSender(tx, raw) : await recoverSenderWith(options.recovery, tx, raw)
    const { feeCap, tip } = feesOf(tx)
    const baseFee = options.baseFee()
    if (feeCap < baseFee) throw feeTooLow(from, feeCap, baseFee)
    const entry: PooledTx = {
      signed: { tx, hash, from, serialized: raw },
      key,
      nonce: tx.nonce,
      gasLimit: tx.gasLimit,
      feeCap,
      tip,
      seq: arrivals++,
    }
    const account = await readAccountAfterCommits(from, bytesKey(from))
    return admit(entry, account)
  }

  return {
    async add(input) {
      received++
      if (input.length > limits.maxTxSize) throw oversizedData(input.length, limits.maxTxSize)
      // Our own copy: the caller's buffer may be reused, or be a view pinning a larger one.
      const raw = new Uint8Array(input)
      const hash = keccak256(raw)
      const key = bytesKey(hash)
      // Known now is final only if no earlier add is still on its way: one of them may yet replace it,
      // and calls made together must end as if made one by one. admit() checks again in its turn.
      if (byHash.has(key) && addsInFlight === 0) throw alreadyKnown()
      addsInFlight++
      const admission = admitDecoded(raw, hash, key)
      inFlight.add(admission)
      try {
        return await admission
      } finally {
        addsInFlight--
        inFlight.delete(admission)
      }
    },

    async settled() {
      if (inFlight.size > 0) await Promise.allSettled([...inFlight])
    },

    received: () => received,
    admitting: () => addsInFlight,
    has: (hash) => byHash.has(bytesKey(hash)),
    get: (hash) => byHash.get(bytesKey(hash))?.signed,
    size: () => byHash.size,
    counts: () => ({ pending: pendingTotal, queued: byHash.size - pendingTotal }),

    async pendingNonce(address) {
      const key = bytesKey(address)
      const account = await readAccountAfterCommits(address, key)
      const sender = senders.get(key)
      if (sender === undefined) return account.nonce
      emit(advanceStateNonce(sender, account.nonce))
      return sender.pendingEnd > account.nonce ? sender.pendingEnd : account.nonce
    },

    poolNonce(address) {
      const sender = senders.get(bytesKey(address))
      return sender !== undefined && sender.pendingEnd > sender.stateNonce ? sender.pendingEnd : undefined
    },

    selectForBlock: (selectOptions) => selectForBlock(senders.values(), selectOptions),

    onBlockCommitted(included, nonces) {
      generation++
      accountCache = new Map()
      const nextNonces = new Map<string, bigint>()
      const raise = (key: string, nonce: bigint): void => {
        const known = nextNonces.get(key)
        if (known === undefined || nonce > known) nextNonces.set(key, nonce)
      }
      for (const item of included) {
        if (item instanceof Uint8Array) {
          const entry = byHash.get(bytesKey(item))
          if (entry !== undefined) raise(bytesKey(entry.signed.from), entry.nonce + 1n)
        } else {
          raise(bytesKey(item.from), item.tx.nonce + 1n)
        }
      }
      if (nonces !== undefined) for (const [address, nonce] of nonces) raise(bytesKey(address), nonce)
      const promoted: PooledTx[] = []
      for (const [key, nonce] of nextNonces) {
        const sender = senders.get(key)
        if (sender !== undefined) promoted.push(...advanceStateNonce(sender, nonce))
      }
      emit(promoted)
    },

    remove(hashes) {
      let removed = 0
      for (const hash of hashes) {
        const entry = byHash.get(bytesKey(hash))
        if (entry === undefined) continue
        const sender = senders.get(bytesKey(entry.signed.from))
        if (sender === undefined) continue
        if (entry.nonce < sender.pendingEnd) {
          // Its successors can no longer execute: they wait as queued for the nonce to be filled again.
          pendingTotal -= Number(sender.pendingEnd - entry.nonce)
          sender.pendingEnd = entry.nonce
        }
        deleteEntry(sender, entry)
        dropIfEmpty(sender)
        removed++
      }
      return removed
    },

    content() {
      const pending: SignedTx[] = []
      const queued: SignedTx[] = []
      for (const sender of senders.values()) {
        const entries = [...sender.txs.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0))
        for (const entry of entries) (entry.nonce < sender.pendingEnd ? pending : queued).push(entry.signed)
      }
      return { pending, queued }
    },

    onPending(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}

function feesOf(tx: TypedTransaction): { feeCap: bigint; tip: bigint } {
  if (tx.type === TransactionType.FeeMarketEIP1559 && 'maxFeePerGas' in tx) {
    return { feeCap: tx.maxFeePerGas, tip: tx.maxPriorityFeePerGas }
  }
  const gasPrice = 'gasPrice' in tx ? tx.gasPrice : 0n
  return { feeCap: gasPrice, tip: gasPrice }
}
