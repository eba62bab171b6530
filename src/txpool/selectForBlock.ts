import type { SignedTx } from '../chain/types.js'
import { effectiveTip, type PooledTx, type SenderTxs } from './pooledTx.js'

export interface SelectOptions {
  /** Gas available in the block; each tx is counted at its full gas limit. */
  gasLimit: bigint
  /** Base fee of the block being built: txs whose fee cap is below it wait. */
  baseFee: bigint
  /** Optional cap on the number of txs. */
  maxTxs?: number
}

/** The cheapest possible transaction; below this much gas left, nothing more can fit. */
const MIN_TX_GAS = 21_000n

interface Cursor {
  sender: SenderTxs
  entry: PooledTx
  tip: bigint
}

/**
 * Picks executable txs for a block: each sender's pending txs in nonce order, senders interleaved by the
 * effective tip of their next tx (ties by arrival). A tx that does not fit in the remaining gas, or cannot
 * pay the base fee, ends its sender's run for this block, since its successors depend on it. O(n log s)
 * for n selected txs from s senders.
 */
export function selectForBlock(senders: Iterable<SenderTxs>, options: SelectOptions): SignedTx[] {
  const { baseFee } = options
  const maxTxs = options.maxTxs ?? Number.POSITIVE_INFINITY
  const heap: Cursor[] = []
  for (const sender of senders) {
    if (sender.pendingEnd === sender.stateNonce) continue
    const entry = sender.txs.get(sender.stateNonce)
    if (entry !== undefined && entry.feeCap >= baseFee) heapPush(heap, { sender, entry, tip: effectiveTip(entry, baseFee) })
  }
  const selected: SignedTx[] = []
  let gasLeft = options.gasLimit
  while (heap.length > 0 && gasLeft >= MIN_TX_GAS && selected.length < maxTxs) {
    const top = heap[0] as Cursor
    if (top.entry.gasLimit > gasLeft) {
      heapPop(heap)
      continue
    }
    selected.push(top.entry.signed)
    gasLeft -= top.entry.gasLimit
    const nextNonce = top.entry.nonce + 1n
    const next = nextNonce < top.sender.pendingEnd ? top.sender.txs.get(nextNonce) : undefined
    if (next !== undefined && next.feeCap >= baseFee) {
      // Reuse the cursor and sift it down: one heap operation per selected tx.
      top.entry = next
      top.tip = effectiveTip(next, baseFee)
      siftDown(heap, 0)
    } else {
      heapPop(heap)
    }
  }
  return selected
}

function before(a: Cursor, b: Cursor): boolean {
  return a.tip > b.tip || (a.tip === b.tip && a.entry.seq < b.entry.seq)
}

function heapPush(heap: Cursor[], item: Cursor): void {
  heap.push(item)
  let i = heap.length - 1
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (!before(heap[i] as Cursor, heap[parent] as Cursor)) break
    swap(heap, i, parent)
    i = parent
  }
}

function heapPop(heap: Cursor[]): void {
  const last = heap.pop() as Cursor
  if (heap.length === 0) return
  heap[0] = last
  siftDown(heap, 0)
}

function siftDown(heap: Cursor[], start: number): void {
  let i = start
  for (;;) {
    const left = 2 * i + 1
    const right = left + 1
    let best = i
    if (left < heap.length && before(heap[left] as Cursor, heap[best] as Cursor)) best = left
    if (right < heap.length && before(heap[right] as Cursor, heap[best] as Cursor)) best = right
    if (best === i) return
    swap(heap, i, best)
    i = best
  }
}

function swap(heap: Cursor[], i: number, j: number): void {
  const t = heap[i] as Cursor
  heap[i] = heap[j] as Cursor
  heap[j] = t
}
