import { createDecipheriv, pbkdf2Sync, scryptSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createTx } from '@ethereumjs/tx'
import { keccak256 } from '../crypto/keccak.js'
import { isValidPrivateKey, privateKeyToAddress } from '../crypto/secp256k1.js'
import { createChainCommon } from '../execution/common.js'
import { bytesToHex, concatBytes, equalBytes, hexToFixedBytes, type Hex } from '../primitives/bytes.js'
import { ErrorCode, SteleError } from '../primitives/errors.js'
import { rpcCall } from '../data/cli/rpcCall.js'

/** A signing key from --key HEX, or --keystore FILE (Ethereum keystore v3) with STELE_PASSWORD. */
export function loadSigningKey(flags: { key?: unknown; keystore?: unknown }): Uint8Array {
  if (typeof flags.key === 'string') {
    const key = hexToFixedBytes(flags.key.startsWith('0x') ? flags.key : `0x${flags.key}`, 32, '--key')
    if (!isValidPrivateKey(key)) throw new SteleError(ErrorCode.InvalidInput, '--key is not a valid secp256k1 private key')
    return key
  }
  if (typeof flags.keystore === 'string') {
    const password = process.env.STELE_PASSWORD
    if (password === undefined) throw new SteleError(ErrorCode.InvalidInput, 'set STELE_PASSWORD to decrypt --keystore')
    return decryptKeystore(readFileSync(flags.keystore, 'utf8'), password)
  }
  throw new SteleError(ErrorCode.InvalidInput, 'this command signs a transaction: give --key HEX or --keystore FILE')
}

interface KeystoreV3 {
  version: number
  crypto: {
    cipher: string
    ciphertext: string
    cipherparams: { iv: string }
    kdf: 'scrypt' | 'pbkdf2'
    kdfparams: { dklen: number; salt: string; n?: number; r?: number; p?: number; c?: number; prf?: string }
    mac: string
  }
}

/** Web3 Secret Storage (keystore v3): scrypt or pbkdf2, aes-128-ctr, keccak MAC. */
export function decryptKeystore(json: string, password: string): Uint8Array {
  let ks: KeystoreV3
  try {
    ks = JSON.parse(json) as KeystoreV3
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, 'the keystore is not JSON', { cause })
  }
  const c = ks.crypto ?? (ks as unknown as { Crypto: KeystoreV3['crypto'] }).Crypto
  if (ks.version !== 3 || !c || c.cipher !== 'aes-128-ctr') throw new SteleError(ErrorCode.InvalidInput, 'only keystore v3 with aes-128-ctr is supported')
  const salt = Buffer.from(c.kdfparams.salt, 'hex')
  const dk =
    c.kdf === 'scrypt'
      ? scryptSync(password, salt, c.kdfparams.dklen, { N: c.kdfparams.n ?? 262144, r: c.kdfparams.r ?? 8, p: c.kdfparams.p ?? 1, maxmem: 512 * 1024 * 1024 })
      : pbkdf2Sync(password, salt, c.kdfparams.c ?? 262144, c.kdfparams.dklen, 'sha256')
  const ciphertext = Buffer.from(c.ciphertext, 'hex')
  const mac = keccak256(concatBytes(dk.subarray(16, 32), ciphertext))
  if (!equalBytes(mac, Buffer.from(c.mac, 'hex'))) throw new SteleError(ErrorCode.InvalidInput, 'wrong keystore password')
  const decipher = createDecipheriv('aes-128-ctr', dk.subarray(0, 16), Buffer.from(c.cipherparams.iv, 'hex'))
  return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]))
}

export interface SentTransaction {
  hash: Hex
  receipt: { status: Hex; blockNumber: Hex; logs: unknown[] } & Record<string, unknown>
}

/** Signs an EIP-1559 call from `key`, sends it, and waits for its receipt. */
export async function sendAndWait(rpcUrl: string, key: Uint8Array, to: Uint8Array, data: Uint8Array, timeoutMs = 60_000): Promise<SentTransaction> {
  const from = bytesToHex(privateKeyToAddress(key))
  const [chainIdHex, nonceHex, tipHex, block] = (await Promise.all([
    rpcCall(rpcUrl, 'eth_chainId', []),
    rpcCall(rpcUrl, 'eth_getTransactionCount', [from, 'pending']),
    rpcCall(rpcUrl, 'eth_maxPriorityFeePerGas', []),
    rpcCall(rpcUrl, 'eth_getBlockByNumber', ['latest', false]),
  ])) as [Hex, Hex, Hex, { baseFeePerGas?: Hex }]
  const gasHex = (await rpcCall(rpcUrl, 'eth_estimateGas', [{ from, to: bytesToHex(to), data: bytesToHex(data) }])) as Hex
  const baseFee = BigInt(block.baseFeePerGas ?? '0x0')
  const tip = BigInt(tipHex)
  const tx = createTx(
    { type: 2, chainId: BigInt(chainIdHex), nonce: BigInt(nonceHex), to: bytesToHex(to), data, value: 0n, gasLimit: (BigInt(gasHex) * 12n) / 10n, maxPriorityFeePerGas: tip, maxFeePerGas: baseFee * 2n + tip },
    { common: createChainCommon(BigInt(chainIdHex)) },
  ).sign(key)
  const hash = (await rpcCall(rpcUrl, 'eth_sendRawTransaction', [bytesToHex(tx.serialize())])) as Hex
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const receipt = (await rpcCall(rpcUrl, 'eth_getTransactionReceipt', [hash])) as SentTransaction['receipt'] | null
    if (receipt) return { hash, receipt }
    if (Date.now() > deadline) throw new SteleError(ErrorCode.Network, `transaction ${hash} has no receipt after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

