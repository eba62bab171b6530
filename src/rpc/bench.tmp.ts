import { Agent, request } from 'node:http'
import { createRpcServer } from './server.js'
import { createFakeRpcBackend, signTransfer } from './testing/fakeRpcBackend.js'
import { bytesToHex } from '../primitives/bytes.js'
import { keccak256 } from '../crypto/keccak.js'

const backend = createFakeRpcBackend()
// Server overhead only: the backend admits instantly.
backend.sendRawTransaction = async (raw) => keccak256(raw)
const server = await createRpcServer({ backend, port: 0 })
const agent = new Agent({ keepAlive: true, maxSockets: 32 })
const raws = Array.from({ length: 2000 }, (_, i) => bytesToHex(signTransfer(BigInt(i))))

function post(body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(server.url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let out = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (out += c))
      res.on('end', () => resolve(out))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function run(label: string, bodies: string[], txPerBody: number, concurrency: number) {
  let next = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) await post(bodies[next++]!)
  }))
  const ms = performance.now() - start
  console.log(JSON.stringify({ label, requests: bodies.length, tx: bodies.length * txPerBody, ms: Math.round(ms), txPerSec: Math.round((bodies.length * txPerBody * 1000) / ms) }))
}
const singles = raws.map((r, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'eth_sendRawTransaction', params: [r] }))
await run('warmup', singles.slice(0, 500), 1, 16)
await run('single sendRawTransaction, 16 in flight', singles, 1, 16)
const batches: string[] = []
for (let i = 0; i < raws.length; i += 100) batches.push(JSON.stringify(raws.slice(i, i + 100).map((r, j) => ({ jsonrpc: '2.0', id: i + j, method: 'eth_sendRawTransaction', params: [r] }))))
await run('batches of 100', [...batches, ...batches, ...batches], 100, 4)
await run('eth_chainId single', Array.from({ length: 4000 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'eth_chainId', params: [] })), 1, 16)
agent.destroy()
await server.close()
