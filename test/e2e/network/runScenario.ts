import assert from 'node:assert/strict'
import { TestNetwork, type Manifest } from './networkHarness.js'

// Multi-process scenarios from the network issue. Each is bounded by its manifest's timeout.
export async function runScenario(manifest: Manifest, extra?: (net: TestNetwork) => Promise<void>) {
  const net = new TestNetwork(manifest)
  try {
    await net.startAll()
    await net.run()
    await extra?.(net)
    const summary = await net.checkInvariants()
    assert.ok(summary.height >= manifest.finalHeight)
    return summary
  } catch (error) {
    net.printLastLines(15)
    throw error
  } finally {
    await net.stopAll()
    net.cleanup()
  }
}

