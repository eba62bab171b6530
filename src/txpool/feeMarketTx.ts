import type { Common } from '@ethereumjs/common'
import { FeeMarket1559Tx } from '@ethereumjs/tx'
import { Address } from '@ethereumjs/util'
import { bytesToBigint } from '../primitives/bytes.js'
import { SECP256K1_HALF_N } from '../crypto/secp256k1.js'
import type { RlpItem } from '../primitives/rlp.js'

const MAX_UINT256 = 2n ** 256n - 1n
const MAX_UINT64 = 2n ** 64n - 1n

/** Per Common: whether its rules let the shortcut stand in for @ethereumjs's constructor at all. */
const eligibleCommons = new WeakMap<Common, boolean>()

function eligible(common: Common): boolean {
  let known = eligibleCommons.get(common)
  if (known === undefined) {
    // EIP-7825 adds a gas cap check the shortcut does not make; 1559 must be active or the tx is refused.
    known = common.isActivatedEIP(1559) && !common.isActivatedEIP(7825) && common.gteHardfork('homestead') && common.copy() === common
    eligibleCommons.set(common, known)
  }
  return known
}

/**
 * The EIP-1559 transaction @ethereumjs's create1559FeeMarketTxFromBytesArray would build from `values`
 * (with `{ common, freeze: false }`), without its per-field conversions through hex strings, which cost
 * about as much as the signature recovery's share of admission (docs/performance.md, item 18; ADR 0010).
 *
 * It builds the object only when every field is one the constructor accepts as it is: a signed call (not a
 * creation) with canonical integers in range, a 20-byte target, a well-formed access list, y-parity 0 or 1
 * and a low s. The properties are assigned in the constructor's order, so both kinds of object share a shape.
 * Anything else returns undefined, and the caller runs the constructor, which accepts or throws with its
 * own words. `common` must be a shared one (createSharedTxCommon), whose copy() returns itself.
 */
export function buildFeeMarketTx(values: RlpItem[], common: Common): FeeMarket1559Tx | undefined {
  if (values.length !== 12 || !eligible(common)) return undefined
  const [chainIdField, nonceField, tipField, feeCapField, gasField, toField, valueField, data, accessList, vField, rField, sField] = values
  if (!(chainIdField instanceof Uint8Array) || !(toField instanceof Uint8Array) || !(data instanceof Uint8Array)) return undefined
  if (!(vField instanceof Uint8Array) || !(rField instanceof Uint8Array) || !(sField instanceof Uint8Array)) return undefined
  if (!Array.isArray(accessList) || !wellFormedAccessList(accessList)) return undefined
  if (toField.length !== 20) return undefined
  if (bytesToBigint(chainIdField) !== common.chainId()) return undefined
  const nonce = canonicalUint(nonceField, 8)
  const tip = canonicalUint(tipField, 32)
  const feeCap = canonicalUint(feeCapField, 32)
  const gasLimit = canonicalUint(gasField, 8)
  const value = canonicalUint(valueField, 32)
  if (nonce === undefined || tip === undefined || feeCap === undefined || gasLimit === undefined || value === undefined) return undefined
  if (nonce >= MAX_UINT64 || gasLimit * feeCap > MAX_UINT256 || feeCap < tip) return undefined
  // y-parity: 0 is the empty string, 1 is one byte; anything else is refused by the constructor.
  if (vField.length > 1 || (vField.length === 1 && vField[0] !== 1)) return undefined
  const r = canonicalUint(rField, 32)
  const s = canonicalUint(sField, 32)
  if (r === undefined || s === undefined || rField.length === 0 || sField.length === 0 || s > SECP256K1_HALF_N) return undefined

  const tx = Object.create(FeeMarket1559Tx.prototype) as Record<string, unknown>
  tx['type'] = 2
  tx['cache'] = {}
  tx['activeCapabilities'] = []
  tx['common'] = common
  tx['txOptions'] = { common, freeze: false }
  // Own plain copies, as the constructor's toBytes makes: decoded fields may be views into a larger Buffer.
  tx['to'] = new Address(new Uint8Array(toField))
  tx['nonce'] = nonce
  tx['gasLimit'] = gasLimit
  tx['value'] = value
  tx['data'] = new Uint8Array(data)
  tx['v'] = vField.length === 0 ? 0n : 1n
  tx['r'] = r
  tx['s'] = s
  tx['chainId'] = common.chainId()
  tx['activeCapabilities'] = [1559, 2718, 2930]
  tx['accessList'] = accessList
  tx['maxFeePerGas'] = feeCap
  tx['maxPriorityFeePerGas'] = tip
  return tx as unknown as FeeMarket1559Tx
}

/** An unsigned integer field without leading zeros, of at most `maxBytes` bytes. */
function canonicalUint(field: RlpItem | undefined, maxBytes: number): bigint | undefined {
  if (!(field instanceof Uint8Array) || field.length > maxBytes || field[0] === 0) return undefined
  return bytesToBigint(field)
}

/** EIP-2930's byte form: [[address (20 bytes), [slot (32 bytes), ...]], ...]. */
function wellFormedAccessList(list: RlpItem[]): boolean {
  for (const item of list) {
    if (!Array.isArray(item) || item.length !== 2) return false
    const [address, slots] = item
    if (!(address instanceof Uint8Array) || address.length !== 20 || !Array.isArray(slots)) return false
    for (const slot of slots) if (!(slot instanceof Uint8Array) || slot.length !== 32) return false
  }
  return true
}
