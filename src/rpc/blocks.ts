import type { Block } from '../chain/types.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import type { RpcBackend, StateView } from './backend.js'
import type { BlockRef } from './params.js'

/** Block tag resolution shared by methods: head tags are the head, hashes are looked up. */

export function resolveBlockNumber(backend: RpcBackend, ref: BlockRef): bigint | undefined {
  if (ref.kind === 'head') return backend.headNumber()
  if (ref.kind === 'number') return ref.number
  return backend.blockByHash(ref.hash)?.header.number
}

/** The block a tag names, or undefined (block getters answer null). */
export function blockAt(backend: RpcBackend, ref: BlockRef): Block | undefined {
  if (ref.kind === 'hash') return backend.blockByHash(ref.hash)
  return backend.blockByNumber(ref.kind === 'head' ? backend.headNumber() : ref.number)
}

/** A block number whose state is readable; geth's "header not found" (-32000) otherwise. */
export function stateBlockNumber(backend: RpcBackend, ref: BlockRef): bigint {
  if (ref.kind === 'hash') {
    const block = backend.blockByHash(ref.hash)
    if (block === undefined) throw new SteleError(ErrorCode.NotFound, 'header for hash not found')
    return block.header.number
  }
  const number = ref.kind === 'head' ? backend.headNumber() : ref.number
  if (number > backend.headNumber()) throw new SteleError(ErrorCode.NotFound, 'header not found')
  return number
}

/** The error for a block whose state this node no longer keeps (geth's wording, then why). */
export function stateNotAvailable(number: bigint): SteleError {
  return new SteleError(ErrorCode.NotFound, `missing trie node: state of block ${number} is not available (pruned: this node keeps recent blocks' state only; see --state-history)`)
}

export function stateAt(backend: RpcBackend, ref: BlockRef): StateView {
  const number = stateBlockNumber(backend, ref)
  const state = backend.stateAt(number)
  if (state === undefined) throw stateNotAvailable(number)
  return state
}
