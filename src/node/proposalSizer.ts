/**
 * How many transactions a proposal may carry on a multi-validator network. Every validator executes the
 * proposal inside the round, after the proposer has executed it to build it, so a block must execute in a
 * small share of the round timeout on this machine, under its current load. The sizer learns the execution
 * cost per transaction from the blocks this node builds and validates, and turns a time budget into a count.
 */
export interface ProposalSizer {
  /** Most transactions the next proposal may carry. */
  maxTxs(): number
  /** Executing a block of `txs` transactions (building or validating it) took `elapsedMs` of wall time. */
  record(txs: number, elapsedMs: number): void
  /** The current estimate of wall time per transaction, in ms. */
  msPerTx(): number
}

export interface ProposalSizerOptions {
  /** Wall time one execution of a proposal should take. */
  targetMs: number
  minTxs: number
  maxTxs: number
  /** The estimate before anything was measured. */
  initialMsPerTx: number
  /** Blocks smaller than this say more about per-block overhead than per-transaction cost: ignored. */
  minSampleTxs?: number
}

export function createProposalSizer(options: ProposalSizerOptions): ProposalSizer {
  const minSample = options.minSampleTxs ?? 32
  let estimate = options.initialMsPerTx
  return {
    maxTxs() {
      const count = Math.floor(options.targetMs / estimate)
      return Math.max(options.minTxs, Math.min(options.maxTxs, count))
    },
    record(txs, elapsedMs) {
      if (txs < minSample || !(elapsedMs >= 0)) return
      const sample = elapsedMs / txs
      // Shrink fast when execution slows (a round at risk), grow back gently (one fast block may be luck).
      const weight = sample > estimate ? 0.6 : 0.4
      estimate = estimate + weight * (sample - estimate)
    },
    msPerTx: () => estimate,
  }
}
