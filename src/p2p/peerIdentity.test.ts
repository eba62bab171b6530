import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { privateKeyToPublicKey } from '../crypto/secp256k1.js'
import { hexToBytes } from '../primitives/bytes.js'
import { ErrorCode, isSteleError } from '../primitives/errors.js'
import { peerIdFromNodeKey, peerIdFromPublicKey } from './peerIdentity.js'

const KEY = hexToBytes('0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318')

test('peer identity: the peer id is the identity multihash of the protobuf secp256k1 public key', () => {
  const id = peerIdFromNodeKey(KEY)
  assert.ok(id.startsWith('16Uiu2HA'), id)
  // Built by hand from the libp2p peer-ids spec: 0x00 (identity) 0x25 (37 bytes) ‖ protobuf
  // { Type = 2 (secp256k1), Data = 33-byte compressed key } = 08 02 12 21 ‖ key.
  const compressed = secp256k1.getPublicKey(KEY, true)
  const expected = Uint8Array.of(0x00, 0x25, 0x08, 0x02, 0x12, 0x21, ...compressed)
  assert.deepEqual(peerIdFromString(id).toMultihash().bytes, expected)
})

test('peer identity: every public key form gives the same peer id as the private key', () => {
  const id = peerIdFromNodeKey(KEY)
  const raw64 = privateKeyToPublicKey(KEY)
  assert.equal(peerIdFromPublicKey(raw64), id)
  assert.equal(peerIdFromPublicKey(Uint8Array.of(4, ...raw64)), id)
  assert.equal(peerIdFromPublicKey(secp256k1.getPublicKey(KEY, true)), id)
})

test('peer identity: bad keys are refused with INVALID_INPUT', () => {
  assert.throws(() => peerIdFromNodeKey(new Uint8Array(31)), (e) => isSteleError(e, ErrorCode.InvalidInput))
  assert.throws(() => peerIdFromNodeKey(new Uint8Array(32)), (e) => isSteleError(e, ErrorCode.InvalidInput))
  assert.throws(() => peerIdFromPublicKey(new Uint8Array(20)), (e) => isSteleError(e, ErrorCode.InvalidInput))
  assert.throws(() => peerIdFromPublicKey(new Uint8Array(64)), (e) => isSteleError(e, ErrorCode.InvalidInput))
})
