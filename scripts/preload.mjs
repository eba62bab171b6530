// For tests and tools that import TypeScript sources directly: the polyfill, then tsx.
import './polyfill.mjs'
const { register } = await import('tsx/esm/api')
register()
