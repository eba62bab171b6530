import type { Common, StateManagerInterface } from '@ethereumjs/common'
import { createVM, type VM } from '@ethereumjs/vm'
import type { StateOverlay } from '../state/stateDb.js'
import { installJumpAnalysisCache } from './jumpAnalysisCache.js'

/** A VM bound to one overlay until released. */
export interface VmLease {
  readonly vm: VM
  /** Returns the VM to the pool; `reusable: false` (after a failed execution) discards it instead. */
  release(reusable?: boolean): void
}

export interface ExecutionVmPool {
  take(overlay: StateOverlay): Promise<VmLease>
}

/** Idle VMs kept: one per execution that can run at once (building, validating). */
const MAX_IDLE = 2

/**
 * VMs reused across blocks. Creating a VM (its EVM, opcode table, precompiles and journal) costs about
 * 0.5 ms of CPU here, which a block of a few transactions feels. A pooled VM keeps one state manager
 * object for its life, a forwarder pointed at each block's overlay in turn; runTx clears the journal
 * and warm sets at the start of every transaction, so nothing else carries over between blocks.
 */
export function createExecutionVmPool(common: Common): ExecutionVmPool {
  const idle: { vm: VM; state: ForwardingStateManager }[] = []
  return {
    async take(overlay) {
      let entry = idle.pop()
      if (entry === undefined) {
        await installJumpAnalysisCache()
        const state = new ForwardingStateManager(overlay.stateManager)
        entry = { vm: await createVM({ common, stateManager: state as unknown as StateManagerInterface, setHardfork: false }), state }
      }
      const taken = entry
      taken.state.target = overlay.stateManager
      let released = false
      return {
        vm: taken.vm,
        release(reusable = true) {
          if (released) return
          released = true
          // Detached so an idle VM does not keep the block's overlay alive.
          taken.state.target = DETACHED
          if (reusable && idle.length < MAX_IDLE) idle.push(taken)
        },
      }
    },
  }
}

const DETACHED = new Proxy({} as StateManagerInterface, {
  get() {
    throw new Error('a pooled VM was used after its lease was released')
  },
})

/**
 * Forwards every StateManagerInterface method to `target`. The method set is read from the first target
 * (all overlays are one class), so optional methods the VM probes for with `in` are present only if the
 * real state manager has them.
 */
class ForwardingStateManager {
  target: StateManagerInterface

  constructor(first: StateManagerInterface) {
    this.target = first
    const self = this as unknown as Record<string, unknown>
    for (const name of methodNames(first)) {
      self[name] = (...args: unknown[]) => (this.target as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args)
    }
  }

  get originalStorageCache(): StateManagerInterface['originalStorageCache'] {
    return this.target.originalStorageCache
  }
}

function methodNames(object: object): string[] {
  const names = new Set<string>()
  for (let o: object | null = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || name === 'originalStorageCache') continue
      const descriptor = Object.getOwnPropertyDescriptor(o, name)
      if (descriptor !== undefined && typeof descriptor.value === 'function') names.add(name)
    }
  }
  return [...names]
}
