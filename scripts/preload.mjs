// Loaded before anything else (node --import): libp2p 3 needs Promise.withResolvers, which Node 20 lacks,
// and tsx lets Node run our TypeScript sources without a build step.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
const { register } = await import('tsx/esm/api')
register()
