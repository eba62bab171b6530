#!/usr/bin/env node
import '../scripts/polyfill.mjs'
import { ensureBuilt } from '../scripts/build.mjs'

const { main } = await import(await ensureBuilt('bench'))
process.exitCode = await main(process.argv.slice(2))
