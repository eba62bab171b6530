import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { RLP } from '@ethereumjs/rlp'
import { bigintToBytes, bytesToHex, concatBytes, hexToBytes } from './bytes.js'
import { ErrorCode, isSteleError } from './errors.js'
import { rlpDecode, rlpEncode, type RlpItem } from './rlp.js'

const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31
console.log(`rlp property seed: ${seed} (replay with FUZZ_SEED=${seed})`)

/** The byte-string lengths where RLP's forms change (1-byte, short, long with 1/2/3 length bytes). */
const BOUNDARY_LENGTHS = [0, 1, 55, 56, 255, 256, 65535, 65536]

const byteString: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0x7f }).map((b) => Uint8Array.of(b)) },
  { weight: 3, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((b) => Uint8Array.of(b)) },
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 80 }) },
  { weight: 2, arbitrary: fc.constantFrom(...BOUNDARY_LENGTHS).chain((n) => fc.integer({ min: 0, max: 255 }).map((fill) => new Uint8Array(n).fill(fill))) },
)

const item: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem; list: RlpItem[] }>((tie) => ({
  item: fc.oneof({ depthSize: 'small', withCrossShrink: true }, byteString, tie('list')),
  list: fc.array(tie('item'), { maxLength: 6 }),
})).item

test('rlpEncode equals @ethereumjs/rlp on nested lists of boundary-length strings', () => {
  fc.assert(
    fc.property(item, (value) => {
      assert.equal(bytesToHex(rlpEncode(value)), bytesToHex(RLP.encode(value)))
    }),
    { seed, numRuns: 400 },
  )
})

test('rlpDecode inverts rlpEncode and equals @ethereumjs/rlp decode', () => {
  fc.assert(
    fc.property(item, (value) => {
      const encoded = rlpEncode(value)
      const decoded = rlpDecode(encoded)
      assert.deepEqual(decoded, RLP.decode(encoded))
      assert.deepEqual(normalize(decoded), normalize(value))
    }),
    { seed, numRuns: 400 },
  )
})

test('every boundary length, alone and in a list, matches @ethereumjs/rlp both ways', () => {
  for (const n of BOUNDARY_LENGTHS) {
    for (const fill of [0x00, 0x7f, 0x80, 0xff]) {
      const bytes = new Uint8Array(n).fill(fill)
      for (const value of [bytes, [bytes], [bytes, [bytes]]] as RlpItem[]) {
        const ours = rlpEncode(value)
        assert.equal(bytesToHex(ours), bytesToHex(RLP.encode(value)), `length ${n}, fill ${fill}`)
        assert.deepEqual(rlpDecode(ours), RLP.decode(ours))
      }
    }
  }
})

test('decoding arbitrary and mutated bytes: accepts and rejects exactly what @ethereumjs/rlp does', () => {
  // Mutations of valid encodings reach the interesting cases (bad lengths, truncation, trailing bytes).
  const mutated = fc.tuple(item, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.integer({ min: -2, max: 2 })).map(([value, edits, resize]) => {
    const bytes = rlpEncode(value)
    for (const [at, b] of edits) if (bytes.length > 0) bytes[at % bytes.length] = b
    if (resize < 0) return bytes.subarray(0, Math.max(0, bytes.length + resize))
    const grown = new Uint8Array(bytes.length + resize)
    grown.set(bytes)
    return grown
  })
  // Hand-made headers over valid payloads: long forms for short payloads, leading zeros, lengths off by one.
  const reframed = fc
    .tuple(fc.array(item, { maxLength: 4 }), fc.boolean(), fc.constantFrom('canonical', 'longForm', 'leadingZero', 'plusOne', 'minusOne'))
    .map(([items, asList, variant]) => {
      const payload = asList ? rlpEncode(items).subarray(headerSize(rlpEncode(items))) : concatBytes(...items.map((i) => rlpEncode(i)))
      const length = payload.length + (variant === 'plusOne' ? 1 : variant === 'minusOne' ? -1 : 0)
      let lengthBytes = length <= 0 ? new Uint8Array(0) : bigintToBytes(BigInt(length))
      if (variant === 'leadingZero') lengthBytes = concatBytes(Uint8Array.of(0), lengthBytes)
      const short = variant !== 'longForm' && variant !== 'leadingZero' && length < 56
      const header = short ? Uint8Array.of((asList ? 0xc0 : 0x80) + Math.max(0, length)) : concatBytes(Uint8Array.of((asList ? 0xf7 : 0xb7) + lengthBytes.length), lengthBytes)
      return concatBytes(header, payload)
    })
  fc.assert(
    fc.property(fc.oneof(mutated, reframed, fc.uint8Array({ maxLength: 40 })), (bytes) => {
      let reference: unknown
      let referenceFailed = false
      try {
        reference = RLP.decode(bytes)
      } catch {
        referenceFailed = true
      }
      if (referenceFailed) {
        assert.throws(() => rlpDecode(bytes), (e) => isSteleError(e, ErrorCode.InvalidRlp), `should reject ${bytesToHex(bytes)}`)
      } else {
        assert.deepEqual(rlpDecode(bytes), reference, `decode ${bytesToHex(bytes)}`)
      }
    }),
    { seed, numRuns: 3000 },
  )
})

// Valid vectors from ethereum/tests RLPTests/rlptest.json (strings are UTF-8, integers minimal big-endian).
const VALID_VECTORS: [name: string, input: unknown, hex: string][] = [
  ['emptystring', '', '0x80'],
  ['bytestring00', '\u0000', '0x00'],
  ['bytestring01', '\u0001', '0x01'],
  ['bytestring7F', '\u007f', '0x7f'],
  ['shortstring', 'dog', '0x83646f67'],
  ['shortstring2', 'Lorem ipsum dolor sit amet, consectetur adipisicing eli', '0xb74c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c69'],
  ['longstring', 'Lorem ipsum dolor sit amet, consectetur adipisicing elit', '0xb8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974'],
  ['zero', 0n, '0x80'],
  ['smallint', 1n, '0x01'],
  ['smallint4', 127n, '0x7f'],
  ['mediumint1', 128n, '0x8180'],
  ['mediumint2', 1000n, '0x8203e8'],
  ['mediumint3', 100000n, '0x830186a0'],
  ['mediumint4', 83729609699884896815286331701780722n, '0x8f102030405060708090a0b0c0d0e0f2'],
  ['emptylist', [], '0xc0'],
  ['stringlist', ['dog', 'god', 'cat'], '0xcc83646f6783676f6483636174'],
  ['multilist', ['zw', [4n], 1n], '0xc6827a77c10401'],
  ['shortListMax1', ['asdf', 'qwer', 'zxcv', 'asdf', 'qwer', 'zxcv', 'asdf', 'qwer', 'zxcv', 'asdf', 'qwer'], '0xf784617364668471776572847a78637684617364668471776572847a78637684617364668471776572847a78637684617364668471776572'],
  ['longList1', Array.from({ length: 4 }, () => ['asdf', 'qwer', 'zxcv']), `0xf840${'cf84617364668471776572847a786376'.repeat(4)}`],
  ['longList2', Array.from({ length: 32 }, () => ['asdf', 'qwer', 'zxcv']), `0xf90200${'cf84617364668471776572847a786376'.repeat(32)}`],
  ['listsoflists', [[[], []], []], '0xc4c2c0c0c0'],
  ['listsoflists2', [[], [[]], [[], [[]]]], '0xc7c0c1c0c3c0c1c0'],
  ['dictTest1', [['key1', 'val1'], ['key2', 'val2'], ['key3', 'val3'], ['key4', 'val4']], '0xecca846b6579318476616c31ca846b6579328476616c32ca846b6579338476616c33ca846b6579348476616c34'],
  ['bigint', 2n ** 256n, '0xa1010000000000000000000000000000000000000000000000000000000000000000'],
]

test('ethereum/tests rlptest.json vectors encode and decode', () => {
  for (const [name, input, hex] of VALID_VECTORS) {
    const value = toItem(input)
    assert.equal(bytesToHex(rlpEncode(value)), hex, name)
    assert.deepEqual(normalize(rlpDecode(hexToBytes(hex))), normalize(value), name)
  }
})

// Invalid vectors from ethereum/tests RLPTests/invalidRLPTest.json.
const INVALID_VECTORS: [name: string, hex: string][] = [
  ['int32Overflow', '0xbf0f000000000000021111'],
  ['int32Overflow2', '0xff0f000000000000021111'],
  ['wrongSizeList', '0xf80180'],
  ['wrongSizeList2', '0xf80100'],
  ['incorrectLengthInArray', '0xb9002100dc2b275d0f74e8a53e6f4ec61b27f24278820be3f82ea2110e582081b0565df0'],
  ['randomRLP', '0xf861f83eb9002100dc2b275d0f74e8a53e6f4ec61b27f24278820be3f82ea2110e582081b0565df027b90015002d5ef8325ae4d034df55d4b58d0dfba64d61ddd17be00000b9001a00dae30907045a2f66fa36f2bb8aa9029cbb0b8a7b3b5c435ab331'],
  ['bytesShouldBeSingleByte00', '0x8100'],
  ['bytesShouldBeSingleByte01', '0x8101'],
  ['bytesShouldBeSingleByte7F', '0x817f'],
  ['leadingZerosInLongLengthArray1', `0xb90040${hexRange(64)}`],
  ['leadingZerosInLongLengthArray2', '0xb800'],
  ['leadingZerosInLongLengthList1', `0xfb00000040${hexRange(64)}`],
  ['leadingZerosInLongLengthList2', '0xf800'],
  ['nonOptimalLongLengthArray1', '0xb81000112233445566778899aabbccddeeff'],
  ['nonOptimalLongLengthArray2', '0xb801ff'],
  ['nonOptimalLongLengthList1', `0xf810${hexRange(16)}`],
  ['nonOptimalLongLengthList2', '0xf803112233'],
]

test('ethereum/tests invalidRLPTest.json vectors are rejected with INVALID_RLP', () => {
  for (const [name, hex] of INVALID_VECTORS) {
    assert.throws(() => rlpDecode(hexToBytes(hex)), (e) => isSteleError(e, ErrorCode.InvalidRlp), name)
  }
})

test('trailing bytes, truncation, and an item running past its list are rejected', () => {
  for (const hex of ['0x8000', '0xc000', '0x83646f', '0xc3836f67', '0xc281808080', '0xb838' + '00'.repeat(55)]) {
    assert.throws(() => rlpDecode(hexToBytes(hex)), (e) => isSteleError(e, ErrorCode.InvalidRlp), hex)
  }
})

test('nesting deep enough to exhaust the stack is INVALID_RLP, not a RangeError', () => {
  const depth = 200_000
  // A chain of long-form lists (0xfa: 3 length bytes), each running to the end of the input; the stack
  // gives out long before the innermost one is reached.
  const bytes = new Uint8Array(depth * 4)
  for (let i = 0; i < depth; i++) {
    const remaining = bytes.length - i * 4 - 4
    bytes[i * 4] = 0xfa
    bytes[i * 4 + 1] = remaining >> 16
    bytes[i * 4 + 2] = (remaining >> 8) & 0xff
    bytes[i * 4 + 3] = remaining & 0xff
  }
  assert.throws(() => rlpDecode(bytes), (e) => isSteleError(e, ErrorCode.InvalidRlp) && /nested too deeply/.test(e.message))
})

test('decoded byte strings (short and long) do not alias the input', () => {
  const long = new Uint8Array(100).fill(7)
  const input = rlpEncode([Uint8Array.of(1, 2, 3), Uint8Array.of(0x05), long, [long]])
  const decoded = rlpDecode(input)
  input.fill(0xee)
  assert.deepEqual(normalize(decoded), normalize([Uint8Array.of(1, 2, 3), Uint8Array.of(0x05), long, [long]]))
})

test('a Buffer input decodes to plain Uint8Array copies (Buffer.slice would be a view)', () => {
  const long = new Uint8Array(100).fill(9)
  const input = Buffer.from(rlpEncode([Uint8Array.of(1, 2, 3), long]))
  const decoded = rlpDecode(input) as Uint8Array[]
  input.fill(0xee)
  assert.deepEqual(decoded, [Uint8Array.of(1, 2, 3), long])
  for (const item of decoded) assert.equal(item.constructor, Uint8Array)
})

test('empty input decodes to empty bytes, as @ethereumjs/rlp does', () => {
  assert.deepEqual(rlpDecode(new Uint8Array(0)), new Uint8Array(0))
})

test('non-byte values are refused by the encoder', () => {
  assert.throws(() => rlpEncode(['dog' as unknown as Uint8Array]), (e) => isSteleError(e, ErrorCode.InvalidRlp))
})

function toItem(input: unknown): RlpItem {
  if (Array.isArray(input)) return input.map(toItem)
  if (typeof input === 'string') return new TextEncoder().encode(input)
  if (typeof input === 'bigint') return bigintToBytes(input)
  throw new Error(`unsupported vector input ${String(input)}`)
}

/** Plain nested arrays of hex, so deepEqual ignores Buffer vs Uint8Array and shared buffers. */
function normalize(value: RlpItem): unknown {
  return value instanceof Uint8Array ? bytesToHex(value) : value.map(normalize)
}

function headerSize(encoded: Uint8Array): number {
  const first = encoded[0] as number
  return first >= 0xf8 ? 1 + first - 0xf7 : 1
}


function hexRange(n: number): string {
  return Array.from({ length: n }, (_, i) => i.toString(16).padStart(2, '0')).join('')
}
