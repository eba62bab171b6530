import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildRequest, createRawHttpClient } from './rawHttpClient.js'
import { sendBodies, prepareBatches } from './loadGenerator.js'
import { percentile, round } from './stats.js'

// Not collected by scripts/test.mjs (it walks src/ and test/): run with
// node --import ./scripts/preload.mjs --test bench/lib/rawHttpClient.test.ts

async function withServer(handler: Parameters<typeof createServer>[1], run: (url: string) => Promise<void>): Promise<void> {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}

function echo(req: Parameters<NonNullable<Parameters<typeof createServer>[1]>>[0], done: (body: string) => void): void {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => done(Buffer.concat(chunks).toString('utf8')))
}

test('raw client reads content-length, chunked and connection-close answers, many in flight', async () => {
  let n = 0
  await withServer(
    (req, res) =>
      echo(req, (body) => {
        const mode = n++ % 3
        if (mode === 0) res.end(`{"echo":${body}}`) // content-length
        else if (mode === 1) {
          res.write(`{"echo":`) // chunked, in two chunks
          res.end(`${body}}`)
        } else {
          res.setHeader('connection', 'close')
          res.end(`{"echo":${body}}`)
        }
      }),
    async (url) => {
      const client = createRawHttpClient(url, 4)
      try {
        const bodies = Array.from({ length: 60 }, (_, i) => `{"i":${i},"pad":"${'x'.repeat(i * 50)}"}`)
        const answers = await Promise.all(bodies.map((b) => client.send(buildRequest(url, Buffer.from(b)))))
        answers.forEach((a, i) => assert.deepEqual(JSON.parse(a), { echo: JSON.parse(bodies[i] as string) }))
      } finally {
        client.close()
      }
    },
  )
})

test('raw client rejects a non-JSON error status', async () => {
  await withServer(
    (_req, res) => {
      res.statusCode = 503
      res.end('busy')
    },
    async (url) => {
      const client = createRawHttpClient(url, 1)
      try {
        await assert.rejects(client.send(buildRequest(url, Buffer.from('{}'))), /HTTP 503/)
      } finally {
        client.close()
      }
    },
  )
})

test('sendBodies maps batch errors back to transaction indexes', async () => {
  await withServer(
    (req, res) =>
      echo(req, (body) => {
        const calls = JSON.parse(body) as { id: number; params: [string] }[]
        res.end(JSON.stringify(calls.map((c) => (c.params[0] === '0xbad' ? { jsonrpc: '2.0', id: c.id, error: { code: -32000, message: 'nonce too low' } } : { jsonrpc: '2.0', id: c.id, result: '0x01' }))))
      }),
    async (url) => {
      const client = createRawHttpClient(url, 2)
      try {
        const raws = Array.from({ length: 120 }, (_, i) => (i === 7 || i === 95 ? '0xbad' : '0x02'))
        const report = await sendBodies(client.send, prepareBatches(raws, 50).map((b) => buildRequest(url, b)), { inFlight: 2, perBody: 50, total: raws.length })
        assert.deepEqual([...report.rejected].sort((a, b) => a - b), [7, 95])
        assert.equal(report.firstError, 'nonce too low')
        assert.equal(report.sent, 120)
        assert.ok(report.submittedAt.every((t) => t > 0))
      } finally {
        client.close()
      }
    },
  )
})

test('percentile is nearest-rank', () => {
  assert.equal(percentile([], 50), undefined)
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3)
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 99)
  assert.equal(percentile([7], 99), 7)
})

test('round keeps three significant digits, or the decimals asked for', () => {
  assert.equal(round(1234.56), 1235)
  assert.equal(round(12.3456), 12.3)
  assert.equal(round(0.012345), 0.0123)
  assert.equal(round(12.3456, 0), 12)
  assert.equal(round(12.3456, 2), 12.35)
  assert.equal(round(undefined), undefined)
  assert.equal(round(Number.NaN, 1), undefined)
})
