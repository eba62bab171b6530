interface JumpAnalysis {
  jumps: Uint8Array
  pushes: Record<number, bigint>
  opcodesCached: unknown[]
}

interface InterpreterLike {
  _evm: object
  _getValidJumpDestinations(code: Uint8Array): JumpAnalysis
}

let installing: Promise<boolean> | undefined

/**
 * Makes @ethereumjs's EVM analyse each contract's code once per EVM instead of once per call.
 *
 * Before the first JUMP of every call, the interpreter scans the whole code for jump destinations and
 * converts every PUSH immediate to a bigint through a hex string: for a 2-3 KB contract such as an ERC-20
 * that is about a tenth of the transfer's runTx. The result depends only on the code and the EVM's
 * opcode table, and the interpreter only reads it, so it is memoized per EVM instance, keyed by the code
 * array (the state overlay hands out one array per code hash).
 *
 * The Interpreter class is not exported, so its module is imported by path next to the package's entry
 * (@ethereumjs/evm is pinned). If that fails, execution goes on uncached. Process-wide; idempotent.
 */
export function installJumpAnalysisCache(): Promise<boolean> {
  installing ??= (async () => {
    try {
      const url = new URL('./interpreter.js', import.meta.resolve('@ethereumjs/evm'))
      const { Interpreter } = (await import(url.href)) as { Interpreter?: { prototype: InterpreterLike } }
      const prototype = Interpreter?.prototype
      const analyse = prototype?._getValidJumpDestinations
      if (prototype === undefined || typeof analyse !== 'function') return false
      const byEvm = new WeakMap<object, WeakMap<Uint8Array, JumpAnalysis>>()
      prototype._getValidJumpDestinations = function (this: InterpreterLike, code: Uint8Array): JumpAnalysis {
        let byCode = byEvm.get(this._evm)
        if (byCode === undefined) {
          byCode = new WeakMap()
          byEvm.set(this._evm, byCode)
        }
        let analysis = byCode.get(code)
        if (analysis === undefined) {
          analysis = analyse.call(this, code)
          byCode.set(code, analysis)
        }
        return analysis
      }
      return true
    } catch {
      return false
    }
  })()
  return installing
}
