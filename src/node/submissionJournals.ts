import { join } from 'node:path'
import type { SignedTx } from '../chain/types.js'
import { decodeAnchorRecord, encodeAnchorRecords, type AnchorPool } from '../data/anchorPool.js'
import { bytesToHex } from '../primitives/bytes.js'
import type { Logger } from '../primitives/logger.js'
import { openRecordJournal, type RecordJournal } from '../state/recordJournal.js'
import type { TxPool } from '../txpool/txPool.js'

/** Journals are rewritten with what is still pending after this many appends, or this long, at a block commit. */
const ROTATE_APPENDS = 10_000
const ROTATE_MS = 5 * 60_000

/**
 * What this node accepted through its own RPC and has not yet put in a block: transactions
 * (`txpool.journal`, raw bytes) and anchor hashes (`anchors.journal`, one record per stele_anchor batch).
 * Gossiped submissions are not journaled here: the node that took them journals them.
 */
export interface SubmissionJournals {
  recordTransaction(tx: SignedTx): void
  recordAnchors(hashes: readonly Uint8Array[]): void
  /** After a block commit: rewrites a journal once it has grown (ROTATE_APPENDS) or aged (ROTATE_MS). */
  afterBlock(): void
  close(): void
}

/** Opens both journals under `dataDir`, replays them into the pools, and rewrites them with what was kept. */
export async function openSubmissionJournals(dataDir: string, pool: TxPool, anchors: AnchorPool, log: Logger): Promise<SubmissionJournals> {
  const txJournal = openRecordJournal(join(dataDir, 'txpool.journal'))
  const anchorJournal = openRecordJournal(join(dataDir, 'anchors.journal'))
  const localTxs = new Set<string>()
  let rewrittenAt = Date.now()

  const due = (journal: RecordJournal) => journal.appendedSinceRewrite >= ROTATE_APPENDS || Date.now() - rewrittenAt >= ROTATE_MS

  function rewriteTransactions(): void {
    const { pending, queued } = pool.content()
    const kept = [...pending, ...queued].filter((tx) => localTxs.has(bytesToHex(tx.hash)))
    localTxs.clear()
    for (const tx of kept) localTxs.add(bytesToHex(tx.hash))
    txJournal.rewrite(kept.map((tx) => tx.serialized))
  }

  function rewriteAnchors(): void {
    anchorJournal.rewrite(encodeAnchorRecords(anchors.take(anchors.pendingCount)))
  }

  // Concurrent adds end exactly as the same adds one by one (the pool admits in call order), and share
  // recovery-worker messages. A rejected one was included or replaced before the restart: nothing to keep.
  const outcomes = await Promise.allSettled(txJournal.replay().map((raw) => pool.add(raw)))
  for (const outcome of outcomes) if (outcome.status === 'fulfilled') localTxs.add(bytesToHex(outcome.value.hash))
  let anchorsReplayed = 0
  for (const record of anchorJournal.replay()) {
    try {
      anchorsReplayed += anchors.submit(decodeAnchorRecord(record)).filter((s) => s.status === 'pending').length
    } catch (error) {
      log.warn('an anchor journal record was not restored', { error: String(error) })
    }
  }
  rewriteTransactions()
  rewriteAnchors()
  if (localTxs.size > 0 || anchorsReplayed > 0) log.info('restored from the journals', { transactions: localTxs.size, anchors: anchorsReplayed })

  return {
    recordTransaction(tx) {
      txJournal.append(tx.serialized)
      localTxs.add(bytesToHex(tx.hash))
    },
    recordAnchors(hashes) {
      for (const record of encodeAnchorRecords(hashes)) anchorJournal.append(record)
    },
    afterBlock() {
      if (!due(txJournal) && !due(anchorJournal)) return
      rewriteTransactions()
      rewriteAnchors()
      rewrittenAt = Date.now()
    },
    close() {
      txJournal.close()
      anchorJournal.close()
    },
  }
}
