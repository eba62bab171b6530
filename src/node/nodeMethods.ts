import type { Ledger } from './ledger.js'
import type { Network } from '../p2p/network.js'
import type { QbftDriver } from './qbftDriver.js'
import { bigintToHex, bytesToHex, hexToFixedBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { recoverSealers } from '../chain/seal.js'

type Method = (params: unknown[]) => unknown | Promise<unknown>

/** qbft_* (as in Besu), admin_* and stele_* methods that read node internals. */
export function createNodeMethods(deps: {
  ledger: Ledger
  network: Network | undefined
  consensus: QbftDriver | undefined
  address: Uint8Array
  validatorsFor: (height: bigint) => Uint8Array[]
}): Record<string, Method> {
  const { ledger, network } = deps
  const blocks = ledger.blocks
  const blockNumberParam = (value: unknown): bigint => {
    if (value === undefined || value === 'latest' || value === 'finalized' || value === 'safe' || value === 'pending') return blocks.headNumber()
    if (value === 'earliest') return 0n
    if (typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value)) return BigInt(value)
    throw new SteleError(ErrorCode.InvalidInput, 'invalid block number', { details: { rpcCode: -32602 } })
  }
  return {
    qbft_getValidatorsByBlockNumber: ([tag]) => {
      const number = blockNumberParam(tag)
      const block = blocks.blockByNumber(number)
      if (!block) throw new SteleError(ErrorCode.NotFound, 'block not found')
      return block.header.extraData.validators.map(bytesToHex)
    },
    qbft_getValidatorsByBlockHash: ([hash]) => {
      const block = blocks.blockByHash(hexToFixedBytes(String(hash), 32, 'block hash'))
      if (!block) throw new SteleError(ErrorCode.NotFound, 'block not found')
      return block.header.extraData.validators.map(bytesToHex)
    },
    qbft_getSignerMetrics: ([from, to]) => {
      const head = blocks.headNumber()
      const last = to === undefined ? head : blockNumberParam(to)
      const first = from === undefined ? (last > 100n ? last - 99n : 1n) : blockNumberParam(from)
      const metrics = new Map<string, { address: string; proposedBlockCount: bigint; lastProposedBlockNumber: bigint; sealedBlockCount: bigint }>()
      const entry = (a: Uint8Array) => {
        const key = bytesToHex(a)
        let m = metrics.get(key)
        if (!m) metrics.set(key, (m = { address: key, proposedBlockCount: 0n, lastProposedBlockNumber: 0n, sealedBlockCount: 0n }))
        return m
      }
      for (const v of deps.validatorsFor(last + 1n)) entry(v)
      for (let n = first < 1n ? 1n : first; n <= last; n++) {
        const block = blocks.blockByNumber(n)
        if (!block) break
        const proposer = entry(block.header.coinbase)
        proposer.proposedBlockCount++
        proposer.lastProposedBlockNumber = n
        for (const sealer of recoverSealers(block.header)) entry(sealer).sealedBlockCount++
      }
      return [...metrics.values()].map((m) => ({
        address: m.address,
        proposedBlockCount: bigintToHex(m.proposedBlockCount),
        lastProposedBlockNumber: bigintToHex(m.lastProposedBlockNumber),
        sealedBlockCount: bigintToHex(m.sealedBlockCount),
      }))
    },
    qbft_getPendingVotes: () => ({}),
    admin_nodeInfo: () => ({
      id: network?.peerId ?? null,
      name: 'stele',
      validator: bytesToHex(deps.address),
      consensus: deps.consensus ? { ...deps.consensus.status(), height: bigintToHex(deps.consensus.status().height), stats: undefined } : null,
      head: bigintToHex(blocks.headNumber()),
    }),
    admin_peers: () =>
      (network?.peers() ?? []).map((p) => ({
        id: p.peerId,
        network: { remoteAddress: p.address, inbound: p.direction === 'inbound' },
        ...(p.status ? { head: bigintToHex(p.status.head) } : {}),
      })),
    admin_removePeer: async ([peerId, banMs]) => {
      if (!network) return false
      if (typeof peerId !== 'string') throw new SteleError(ErrorCode.InvalidInput, 'peer id must be a string', { details: { rpcCode: -32602 } })
      await network.disconnect(peerId, typeof banMs === 'number' ? { banMs } : {})
      return true
    },
  }
}
