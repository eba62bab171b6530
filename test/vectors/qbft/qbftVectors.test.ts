import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { bytesToHex, hexToBytes } from '../../../src/primitives/bytes.js'
import { rlpDecode, rlpEncode, rlpList, type RlpItem } from '../../../src/primitives/rlp.js'
import { decodeQbftExtraData, encodeQbftExtraData } from '../../../src/chain/qbftExtraData.js'
import {
  decodeMessageBody,
  decodeWireMessage,
  encodeMessageBody,
  encodeWireMessage,
  type MessageType,
  type PreparePayload,
  type RoundChangePayload,
  type Signed,
} from '../../../src/consensus/messages.js'

const load = (name: string) => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8'))
const messages = load('./messages.json') as Record<string, { message: any; rlp: string }>
const extraData = load('./bft_extra_data.json') as Record<string, { qbft_extra_data: any; rlp: string }>

const hex = bytesToHex

function checkPrepare(actual: Signed<PreparePayload, undefined>, expected: any) {
  assert.equal(actual.payload.height, BigInt(expected.unsignedPrepare.sequence))
  assert.equal(actual.payload.round, expected.unsignedPrepare.round)
  assert.equal(hex(actual.payload.digest), expected.unsignedPrepare.digest)
  assert.equal(hex(actual.signature), expected.signature)
}

function checkRoundChangePayload(actual: Signed<RoundChangePayload, undefined>, expected: any) {
  const u = expected.unsignedRoundChange
  assert.equal(actual.payload.height, BigInt(u.sequence))
  assert.equal(actual.payload.round, u.round)
  if (u.preparedValue === null) assert.equal(actual.payload.prepared, undefined)
  else {
    assert.equal(actual.payload.prepared?.round, u.preparedRound)
    assert.equal(hex(actual.payload.prepared!.digest), u.preparedValue)
  }
  assert.equal(hex(actual.signature), expected.signature)
}

for (const [name, vector] of Object.entries(messages)) {
  test(`MessageRLPTests/${name}: decodes to the listed fields and re-encodes byte for byte`, () => {
    const type = vector.message.type as MessageType
    const body = hexToBytes(vector.rlp)
    const msg = decodeMessageBody(type, body)
    const m = vector.message
    switch (msg.type) {
      case 'prepare':
        checkPrepare(msg.signed, m)
        break
      case 'commit':
        assert.equal(msg.signed.payload.height, BigInt(m.unsignedCommit.sequence))
        assert.equal(msg.signed.payload.round, m.unsignedCommit.round)
        assert.equal(hex(msg.signed.payload.digest), m.unsignedCommit.digest)
        assert.equal(hex(msg.signed.payload.commitSeal), m.unsignedCommit.commitSeal)
        assert.equal(hex(msg.signed.signature), m.signature)
        break
      case 'roundChange':
        checkRoundChangePayload(msg.signed, m.signedRoundChange)
        assert.equal(msg.preparedBlock === undefined ? null : hex(msg.preparedBlock), m.block)
        assert.equal(msg.prepares.length, m.prepares.length)
        msg.prepares.forEach((p, i) => checkPrepare(p, m.prepares[i]))
        break
      case 'proposal':
        assert.equal(msg.signed.payload.height, BigInt(m.signedProposal.unsignedProposal.sequence))
        assert.equal(msg.signed.payload.round, m.signedProposal.unsignedProposal.round)
        assert.equal(hex(msg.signed.payload.block), m.signedProposal.unsignedProposal.block)
        assert.equal(hex(msg.signed.signature), m.signedProposal.signature)
        assert.equal(msg.roundChanges.length, m.roundChanges.length)
        msg.roundChanges.forEach((rc, i) => checkRoundChangePayload(rc, m.roundChanges[i]))
        assert.equal(msg.prepares.length, m.prepares.length)
        msg.prepares.forEach((p, i) => checkPrepare(p, m.prepares[i]))
        break
    }
    assert.equal(hex(encodeMessageBody(msg)), vector.rlp)
    // The wire form (code byte + body) round-trips too.
    assert.equal(hex(encodeWireMessage(decodeWireMessage(encodeWireMessage(msg)))), hex(encodeWireMessage(msg)))
  })
}

test('MessageRLPTests: the embedded block extraData (scalar round 0) round-trips through our extraData codec', () => {
  const block = hexToBytes(messages.proposal_empty_prepares_and_roundChanges!.message.signedProposal.unsignedProposal.block)
  const header = rlpList(rlpList(rlpDecode(block), 'block')[0], 'header')
  const extra = header[12] as Uint8Array
  const decoded = decodeQbftExtraData(extra)
  assert.equal(decoded.round, 0)
  assert.equal(hex(encodeQbftExtraData(decoded)), hex(extra))
})

for (const [name, vector] of Object.entries(extraData)) {
  test(`BftExtraDataRLPTests/${name}: decodes to the listed fields`, () => {
    const want = vector.qbft_extra_data
    const got = decodeQbftExtraData(hexToBytes(vector.rlp))
    assert.equal(hex(got.vanity), want.vanityData)
    assert.deepEqual(got.validators.map(hex), want.validators)
    assert.deepEqual(got.seals.map(hex), want.seals)
    assert.equal(got.round, want.round)
    if (want.vote === null) assert.equal(got.vote, undefined)
    else {
      assert.equal(hex(got.vote!.recipient), want.vote.recipient)
      assert.equal(got.vote!.add, want.vote.voteType === '0xff')
    }
  })

  test(`BftExtraDataRLPTests/${name}: encodes like the vector, with the round (and no-vote) in Besu's current form`, () => {
    const got = encodeQbftExtraData(decodeQbftExtraData(hexToBytes(vector.rlp)))
    const items = rlpDecode(hexToBytes(vector.rlp)) as RlpItem[]
    assert.equal(hex(items[3] as Uint8Array), '0x00fedcba', 'the vector carries the legacy 4-byte round')
    items[3] = hexToBytes('0xfedcba')
    // The legacy "no vote" empty string becomes Besu's empty list.
    if (vector.qbft_extra_data.vote === null) {
      assert.equal(hex(rlpEncode(items[2]!)), '0x80')
      items[2] = []
    }
    assert.equal(hex(got), hex(rlpEncode(items)))
  })
}
