import assert from 'node:assert/strict'
import { PIECE_WIRE_DEFAULTS, decodeFrame, decodePieceFrame, encodeFrame, frameDecoder, type PieceMessage } from '@hearsay/file-index'
import { Uint8ArrayList } from 'uint8arraylist'
import { encodePieceFrame } from '../dist/wire.js'

function roundTrip (message: PieceMessage): PieceMessage {
  const encoded = encodeFrame(message)
  const frames = [...frameDecoder(8 * 2 ** 20).decode(encoded)]
  assert.equal(frames.length, 1)
  const decoded = decodeFrame(frames[0])
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.detail)
  return decoded.frame
}

describe('piece wire', () => {
  it('round-trips every frame', () => {
    const messages: PieceMessage[] = [
      { type: 'hello', file: new Uint8Array([1, 85, 18, 32, ...new Array(32).fill(7)]), wantManifest: true },
      { type: 'manifest', manifest: new Uint8Array([1, 2, 3]) },
      { type: 'bitfield', bits: new Uint8Array([0xf0]) },
      { type: 'have', index: 7 },
      { type: 'request', index: 3, offset: 0, length: 262144 },
      { type: 'cancel', index: 0, offset: 16, length: 5 },
      { type: 'piece', index: 0, offset: 0, data: new Uint8Array([9, 9, 9]) },
      { type: 'piece', index: 300, offset: 70000, data: new Uint8Array(200_000).fill(1) },
      { type: 'reject', reason: 'not-found' },
      { type: 'reject', reason: 'busy', range: { index: 1, offset: 0, length: 10 }, retryAfterMs: 500 }
    ]
    for (const message of messages) {
      const back = roundTrip(message)
      if (message.type === 'piece' && back.type === 'piece') {
        assert.equal(back.index, message.index)
        assert.equal(back.offset, message.offset)
        assert.deepEqual(new Uint8Array(back.data), message.data)
      } else {
        assert.deepEqual(JSON.parse(JSON.stringify(back)), JSON.parse(JSON.stringify(message)))
      }
    }
  })

  it('splits a byte stream cut anywhere into the same frames', () => {
    const all = new Uint8ArrayList(
      encodeFrame({ type: 'have', index: 1 }),
      encodeFrame({ type: 'piece', index: 2, offset: 0, data: new Uint8Array(1000).fill(3) }),
      encodeFrame({ type: 'have', index: 4 })
    ).subarray()
    const decoder = frameDecoder(4096)
    const types: string[] = []
    for (let i = 0; i < all.byteLength; i += 7) {
      for (const frame of decoder.decode(all.subarray(i, i + 7))) {
        const d = decodeFrame(frame)
        assert.ok(d.ok)
        types.push(d.frame.type)
      }
    }
    assert.deepEqual(types, ['have', 'piece', 'have'])
  })

  it('bounds every length: oversized prefixes throw before buffering, oversized fields are infractions', () => {
    const decoder = frameDecoder(1024)
    assert.throws(() => [...decoder.decode(encodeFrame({ type: 'piece', index: 0, offset: 0, data: new Uint8Array(5000) }))])
    const tooLong = encodeFrame({ type: 'request', index: 0, offset: 0, length: PIECE_WIRE_DEFAULTS.maxRequestBytes + 1 })
    const frame = [...frameDecoder(4096).decode(tooLong)][0]
    const decoded = decodeFrame(frame)
    assert.ok(!decoded.ok)
    assert.equal(decoded.infraction, 'oversized-frame')
  })

  it('knows how much of an unfinished frame it holds, so a stream ending mid-frame can be reported', () => {
    const decoder = frameDecoder(1024)
    assert.deepEqual([...decoder.decode(Uint8Array.from([3, 1, 2, 3, 5, 1]))].map(f => f.subarray()), [Uint8Array.from([1, 2, 3])])
    assert.equal(decoder.buffered, 2)
    assert.deepEqual([...decoder.decode(Uint8Array.from([2, 3, 4, 5]))].map(f => f.subarray()), [Uint8Array.from([1, 2, 3, 4, 5])])
    assert.equal(decoder.buffered, 0)
  })

  it('refuses garbage and frames that set two fields', () => {
    const garbage = decodeFrame(new Uint8Array([0xff, 0xff, 0xff, 0xff]))
    assert.ok(!garbage.ok)
    const two = new Uint8ArrayList(
      (encodeFrame({ type: 'have', index: 1 }) as Uint8Array).subarray(1),
      (encodeFrame({ type: 'request', index: 1, offset: 0, length: 1 }) as Uint8Array).subarray(1)
    )
    const decoded = decodeFrame(two)
    assert.ok(!decoded.ok)
    assert.equal(decoded.infraction, 'malformed-frame')
  })

  it('reads a piece frame without copying its data, as decodeFrame reads it, and leaves other layouts to decodeFrame', () => {
    const data = Uint8Array.from({ length: 300_000 }, (_, i) => i % 251)
    for (const [index, offset] of [[0, 0], [7, 0], [0, 5], [123_456, 65_536]]) {
      const encoded = encodeFrame({ type: 'piece', index, offset, data })
      // cut into chunks as a stream delivers it
      const stream = new Uint8ArrayList(encoded).subarray()
      const decoder = frameDecoder(8 * 2 ** 20)
      const frames = [...decoder.decode(stream.subarray(0, 70_000)), ...decoder.decode(stream.subarray(70_000))]
      assert.equal(frames.length, 1)
      const fast = decodePieceFrame(frames[0])
      assert.ok(fast != null)
      assert.equal(fast.index, index)
      assert.equal(fast.offset, offset)
      assert.deepEqual(fast.data.subarray(), data)
      const slow = decodeFrame(frames[0])
      assert.ok(slow.ok && slow.frame.type === 'piece')
      assert.deepEqual(slow.frame.data, data)
    }
    // not a piece, or a piece longer than allowed, or cut short: not for the fast path
    assert.equal(decodePieceFrame(new Uint8ArrayList((encodeFrame({ type: 'have', index: 1 }) as Uint8Array).subarray(1))), undefined)
    const big = [...frameDecoder(8 * 2 ** 20).decode(encodeFrame({ type: 'piece', index: 1, offset: 0, data }))][0]
    assert.equal(decodePieceFrame(big, { ...PIECE_WIRE_DEFAULTS, maxRequestBytes: 1000 }), undefined)
    assert.equal(decodePieceFrame(big.sublist(0, big.byteLength - 1)), undefined)
    assert.equal(decodePieceFrame(new Uint8ArrayList(Uint8Array.from([0x3a, 0x02, 0x1a, 0x00]))), undefined)
  })

  it('frames a piece held as chunks byte for byte as the joined piece, around the same chunks', () => {
    const piece = Uint8Array.from({ length: 70_000 }, (_, i) => i % 253)
    const chunks = [piece.subarray(0, 5), piece.subarray(5, 65_536), piece.subarray(65_536)]
    const framed = encodePieceFrame(7, 0, new Uint8ArrayList(...chunks))
    assert.deepEqual(framed.subarray(), new Uint8ArrayList(encodeFrame({ type: 'piece', index: 7, offset: 0, data: piece })).subarray())
    // the data is not copied: the frame is a small header, then the chunks themselves
    assert.deepEqual([...framed].slice(1), chunks)
    assert.ok([...framed].slice(1).every((chunk, i) => chunk === chunks[i]))
  })
})
