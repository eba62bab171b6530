import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { bytesToHex, hexToFixedBytes } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { isValidPrivateKey } from '../crypto/secp256k1.js'

/** The node's secp256k1 key, one 0x-hex line in a file readable only by its owner. */
export function loadNodeKey(path: string): Uint8Array {
  let text: string
  try {
    text = readFileSync(path, 'utf8').trim()
  } catch (cause) {
    throw new SteleError(ErrorCode.Config, `cannot read the node key at ${path}`, { cause })
  }
  const key = hexToFixedBytes(text.startsWith('0x') ? text : `0x${text}`, 32, 'node key')
  if (!isValidPrivateKey(key)) throw new SteleError(ErrorCode.Config, `${path} does not hold a valid secp256k1 private key`)
  return key
}

export function generateNodeKey(): Uint8Array {
  for (;;) {
    const key = new Uint8Array(randomBytes(32))
    if (isValidPrivateKey(key)) return key
  }
}

export function saveNodeKey(path: string, key: Uint8Array): void {
  writeFileSync(path, `${bytesToHex(key)}\n`, { mode: 0o600 })
  chmodSync(path, 0o600)
}

export function loadOrCreateNodeKey(path: string): Uint8Array {
  if (existsSync(path)) return loadNodeKey(path)
  const key = generateNodeKey()
  saveNodeKey(path, key)
  return key
}
