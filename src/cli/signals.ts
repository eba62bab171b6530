/** Resolves on the first SIGINT or SIGTERM; a second signal exits at once. */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false
    const handler = (signal: NodeJS.Signals) => {
      if (received) {
        console.error(`received ${signal} again, exiting now`)
        process.exit(130)
      }
      received = true
      console.error(`received ${signal}, shutting down (send it again to force)`)
      resolve(signal)
    }
    process.on('SIGINT', handler)
    process.on('SIGTERM', handler)
  })
}
