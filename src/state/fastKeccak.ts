import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { keccak256 } from '../crypto/keccak.js'

interface KeccakState {
  initialize(rate: number, capacity: number): void
  absorb(data: Uint8Array): void
  squeeze(length: number): Buffer
}

/**
 * keccak256 on the `keccak` package's native sponge, called directly. The package's public API builds a
 * stream Transform per hash, which costs more than the hashing itself at trie-node sizes; reusing one
 * native state is about 2.5x faster. Falls back to src/crypto/keccak.ts when the addon cannot load.
 * (Candidate for src/crypto/keccak.ts itself.)
 */
export const fastKeccak256: (data: Uint8Array) => Uint8Array = (() => {
  try {
    const require = createRequire(import.meta.url)
    const loadAddon = require('node-gyp-build') as (dir: string) => new () => KeccakState
    const State = loadAddon(dirname(require.resolve('keccak/package.json')))
    const state = new State()
    return (data: Uint8Array) => {
      state.initialize(1088, 512)
      // N-API reads any Uint8Array (view offsets included) as a buffer.
      state.absorb(data)
      // Copied into a small on-heap array: the addon's external buffer would outlive it with a finalizer.
      const out = new Uint8Array(32)
      out.set(state.squeeze(32))
      return out
    }
  } catch {
    return keccak256
  }
})()
