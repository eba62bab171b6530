import { ErrorCode, SteleError } from '../primitives/errors.js'

/**
 * Test helper: resolves once `condition` holds, polling briefly, or rejects after `timeoutMs`. Waits on
 * a condition with a bound rather than sleeping a fixed time.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
  pollMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return
    if (Date.now() > deadline) throw new SteleError(ErrorCode.Internal, `timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
