import type { BlockHeader } from '../../../chain/header.js'
import type { RpcBackend } from '../../backend.js'
import { blockAt } from '../../blocks.js'
import type { RpcMethod } from '../../context.js'
import { blobBaseFee, nextBaseFee, nextExcessBlobGas, MAX_BLOB_GAS_PER_BLOCK } from '../../fees.js'
import { toQuantity } from '../../hex.js'
import type { HexString, RpcFeeHistory } from '../../rpcTypes.js'
import { expectParams, invalidParams, parseBlockTag, parseQuantityOrNumber } from '../../params.js'

const MAX_BLOCK_COUNT = 1024n
const MAX_PERCENTILES = 100

/**
 * eth_feeHistory(blockCount, newestBlock, rewardPercentiles?): base fees (one more than blocks: the next
 * block's), gas used ratios, blob fields (Cancun) and, per block, the tips at the requested percentiles
 * weighted by gas used, as geth computes them.
 */
export const feeHistory: RpcMethod = (params, { backend }) => {
  expectParams(params, 2, 3)
  let count = parseQuantityOrNumber(params[0], 0, 'blockCount')
  const newest = blockAt(backend, parseBlockTag(params[1], 1))
  const percentiles = parsePercentiles(params[2])
  if (newest === undefined) throw invalidParams('invalid argument 1: requested block is beyond the head')
  if (count > MAX_BLOCK_COUNT) count = MAX_BLOCK_COUNT
  const newestNumber = newest.header.number
  if (count > newestNumber + 1n) count = newestNumber + 1n
  const oldest = newestNumber + 1n - count

  const baseFeePerGas: HexString[] = []
  const baseFeePerBlobGas: HexString[] = []
  const gasUsedRatio: number[] = []
  const blobGasUsedRatio: number[] = []
  const reward: HexString[][] = []
  let last: BlockHeader | undefined
  for (let n = oldest; n <= newestNumber; n++) {
    const block = n === newestNumber ? newest : backend.blockByNumber(n)
    if (block === undefined) break
    const header = block.header
    baseFeePerGas.push(toQuantity(header.baseFeePerGas))
    baseFeePerBlobGas.push(toQuantity(blobBaseFee(header.excessBlobGas)))
    gasUsedRatio.push(header.gasLimit === 0n ? 0 : Number(header.gasUsed) / Number(header.gasLimit))
    blobGasUsedRatio.push(Number(header.blobGasUsed) / MAX_BLOB_GAS_PER_BLOCK)
    if (percentiles !== undefined) reward.push(blockRewards(backend, block.hash, header, percentiles))
    last = header
  }
  if (last === undefined) return { oldestBlock: toQuantity(oldest), baseFeePerGas: [], gasUsedRatio: [] }
  baseFeePerGas.push(toQuantity(backend.nextBaseFee?.(last) ?? nextBaseFee(last)))
  baseFeePerBlobGas.push(toQuantity(blobBaseFee(nextExcessBlobGas(last))))
  const result: RpcFeeHistory = {
    oldestBlock: toQuantity(oldest),
    baseFeePerGas,
    gasUsedRatio,
    baseFeePerBlobGas,
    blobGasUsedRatio,
  }
  if (percentiles !== undefined) result.reward = reward
  return result
}

function parsePercentiles(value: unknown): number[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) throw invalidParams('invalid argument 2: reward percentiles must be an array')
  if (value.length > MAX_PERCENTILES) throw invalidParams(`invalid argument 2: at most ${MAX_PERCENTILES} reward percentiles`)
  let previous = -1
  return value.map((p: unknown, i: number) => {
    if (typeof p !== 'number' || !(p >= 0 && p <= 100)) throw invalidParams(`invalid reward percentile: #${i}:${String(p)}`)
    if (p < previous) throw invalidParams(`invalid reward percentile: #${i - 1}:${previous} > #${i}:${p}`)
    previous = p
    return p
  })
}

/** Tips paid at each percentile of the block's gas, cheapest first (geth's processBlock). */
function blockRewards(backend: RpcBackend, blockHash: Uint8Array, header: BlockHeader, percentiles: number[]): HexString[] {
  const receipts = backend.blockReceipts(blockHash) ?? []
  if (receipts.length === 0 || header.gasUsed === 0n) return percentiles.map(() => '0x0')
  const sorted = receipts
    .map((r) => ({ tip: r.effectiveGasPrice > header.baseFeePerGas ? r.effectiveGasPrice - header.baseFeePerGas : 0n, gasUsed: r.gasUsed }))
    .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
  const out: HexString[] = []
  let index = 0
  let sumGasUsed = sorted[0]?.gasUsed ?? 0n
  for (const p of percentiles) {
    const threshold = (Number(header.gasUsed) * p) / 100
    while (Number(sumGasUsed) < threshold && index < sorted.length - 1) {
      index++
      sumGasUsed += (sorted[index] as { gasUsed: bigint }).gasUsed
    }
    out.push(toQuantity((sorted[index] as { tip: bigint }).tip))
  }
  return out
}
