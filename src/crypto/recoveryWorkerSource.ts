/**
 * The recovery worker's program, plain CommonJS evaluated by `new Worker(source, { eval: true })`. Kept as
 * source text so it runs the same under tsx (tests) and from the esbuild bundle (bin/stele.js), with no
 * loader hook and no second bundle entry. It loads the same native addons as secp256k1.ts and keccak.ts,
 * by the paths the main thread resolved (workerData), and fails loudly if they are missing: the pool then
 * recovers on the main thread.
 *
 * Message in: { id, buffer, count }. `buffer` holds `count` requests of RECOVERY_REQUEST_BYTES
 * (hash 32 ‖ r 32 ‖ s 32 ‖ recovery id 1), then room for `count` results of RECOVERY_RESULT_BYTES
 * (ok 1 ‖ public key 64 ‖ address 20). The worker fills the results and transfers the buffer back.
 */
export const RECOVERY_REQUEST_BYTES = 97
export const RECOVERY_RESULT_BYTES = 85

export const RECOVERY_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const secp = require(workerData.secp256k1BindingsPath)
const loadAddon = require(workerData.nodeGypBuildPath)
const KeccakState = loadAddon(workerData.keccakDir)
if (typeof KeccakState !== 'function') throw new Error('native keccak is not available')
const keccak = new KeccakState()
const REQUEST = ${RECOVERY_REQUEST_BYTES}
const RESULT = ${RECOVERY_RESULT_BYTES}
const uncompressed = new Uint8Array(65)
parentPort.on('message', ({ id, buffer, count }) => {
  const bytes = new Uint8Array(buffer)
  const results = count * REQUEST
  for (let i = 0; i < count; i++) {
    const at = i * REQUEST
    const out = results + i * RESULT
    try {
      secp.ecdsaRecover(bytes.subarray(at + 32, at + 96), bytes[at + 96], bytes.subarray(at, at + 32), false, uncompressed)
      const publicKey = uncompressed.subarray(1)
      keccak.initialize(1088, 512)
      keccak.absorb(publicKey)
      const hash = keccak.squeeze(32)
      bytes.set(publicKey, out + 1)
      bytes.set(hash.subarray(12), out + 65)
      bytes[out] = 1
    } catch {
      bytes[out] = 0
    }
  }
  parentPort.postMessage({ id, buffer }, [buffer])
})
parentPort.postMessage({ ready: true })
`
