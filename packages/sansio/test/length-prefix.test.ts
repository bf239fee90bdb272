import assert from 'node:assert/strict'
import { boundedLength, type PrefixBytes } from '@hearsay/sansio'

/** Shaped like the Uint8ArrayList lpStream hands the decoder. */
const list = (...bytes: number[]): PrefixBytes => ({ byteLength: bytes.length, get: (i: number) => bytes[i] })

describe('boundedLength', () => {
  it('reads prefixes up to the frame limit, and asks for more of an incomplete one', () => {
    const decode = boundedLength(65536)
    assert.equal(decode(list(0x05)), 5)
    assert.equal(decode(list(0x80, 0x80, 0x04)), 65536)
    assert.throws(() => decode(list(0x80, 0x80)), RangeError)
  })

  it('gives up on a prefix longer than the limit needs, however the bytes go on', () => {
    const decode = boundedLength(65536)
    assert.throws(() => decode(list(0x80, 0x80, 0x80, 0x01)), { name: 'InvalidDataLengthLengthError' })
    assert.throws(() => decode(list(...new Array<number>(100_000).fill(0xff))), { name: 'InvalidDataLengthLengthError' })
    // a one-byte limit allows a one-byte prefix only
    assert.throws(() => boundedLength(100)(list(0x80, 0x01)), { name: 'InvalidDataLengthLengthError' })
    assert.equal(boundedLength(100)(list(0x64)), 100)
  })
})
