import assert from 'node:assert/strict'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { WIRE_DEFAULTS } from '@hearsay/gossip'
import { decodeFrame, encodeSubscriptions, encodeTopicFrame } from '../dist/wire.js'
import { GossipRpc } from '../dist/pb/gossip.js'
import { messageOf } from './harness.ts'

/** Strip the length prefix the encoders add. */
function unframe (bytes: Uint8Array): Uint8Array {
  const frames = [...new LengthPrefixedDecoder().decode(bytes)]
  assert.equal(frames.length, 1)
  return frames[0].subarray()
}

describe('gossip wire format', () => {
  it('round-trips every frame type', () => {
    const message = messageOf('t', 'payload')
    const cases = [
      { type: 'message' as const, message, ttl: 3, hops: 2 },
      { type: 'stem' as const, message },
      { type: 'announce' as const, ids: [message.id] },
      { type: 'request' as const, ids: [message.id, 'ab'.repeat(32)] },
      { type: 'notfound' as const, ids: [message.id] },
      { type: 'prune' as const, ids: [message.id] }
    ]
    for (const frame of cases) {
      const decoded = decodeFrame(unframe(encodeTopicFrame('news', frame)), WIRE_DEFAULTS)
      assert.ok(decoded.ok, frame.type)
      assert.equal(decoded.frame.topic, 'news')
      const body = decoded.frame.body
      if (frame.type === 'message' || frame.type === 'stem') {
        assert.equal(body?.type, 'message')
        if (body?.type !== 'message') continue
        assert.deepEqual(body.data, message.data)
        assert.equal(body.stem, frame.type === 'stem')
        if (frame.type === 'message') assert.deepEqual([body.ttl, body.hops], [3, 2])
      } else {
        assert.deepEqual(body, { type: frame.type, ids: frame.ids })
      }
    }
    // a hop count of 0 must not read as absent
    for (const hops of [0, 1, undefined]) {
      const decoded = decodeFrame(unframe(encodeTopicFrame('news', { type: 'message', message, hops })), WIRE_DEFAULTS)
      assert.ok(decoded.ok)
      assert.equal(decoded.frame.body?.type === 'message' ? decoded.frame.body.hops : 'not a message', hops)
    }
    const subs = decodeFrame(unframe(encodeSubscriptions([{ topic: 'a', subscribe: true }, { topic: 'b', subscribe: false }])), WIRE_DEFAULTS)
    assert.ok(subs.ok)
    assert.deepEqual(subs.frame.subscriptions, [{ topic: 'a', subscribe: true }, { topic: 'b', subscribe: false }])
  })

  it('turns garbage into malformed-frame instead of throwing', () => {
    for (const bytes of [Uint8Array.from([0xff, 0xff, 0xff]), Uint8Array.from([0x12, 0x40, 1]), new Uint8Array(0)]) {
      const decoded = decodeFrame(bytes, WIRE_DEFAULTS)
      assert.equal(decoded.ok, false)
      if (!decoded.ok) assert.equal(decoded.infraction, 'malformed-frame')
    }
  })

  it('bounds every repeated and variable field', () => {
    const limits = { ...WIRE_DEFAULTS, maxIdsPerFrame: 3, maxSubscriptionsPerFrame: 2, maxTopicBytes: 8, maxMessageBytes: 16 }
    const tooManyIds = GossipRpc.encode({ subscriptions: [], announce: { topic: 't', ids: [1, 2, 3, 4].map(i => Uint8Array.from([i])) } })
    assert.deepEqual(pick(decodeFrame(tooManyIds, limits)), 'oversized-frame')
    const tooManySubs = GossipRpc.encode({ subscriptions: ['a', 'b', 'c'].map(topic => ({ topic, subscribe: true })) })
    assert.deepEqual(pick(decodeFrame(tooManySubs, limits)), 'oversized-frame')
    const longTopic = GossipRpc.encode({ subscriptions: [{ topic: 'x'.repeat(9), subscribe: true }] })
    assert.deepEqual(pick(decodeFrame(longTopic, limits)), 'malformed-frame')
    const bigMessage = GossipRpc.encode({ subscriptions: [], message: { topic: 't', data: new Uint8Array(17), stem: false } })
    assert.deepEqual(pick(decodeFrame(bigMessage, limits)), 'oversized-frame')
    const longId = GossipRpc.encode({ subscriptions: [], request: { topic: 't', ids: [new Uint8Array(65)] } })
    assert.deepEqual(pick(decodeFrame(longId, WIRE_DEFAULTS)), 'malformed-frame')
    const twoParts = GossipRpc.encode({
      subscriptions: [],
      announce: { topic: 't', ids: [Uint8Array.from([1])] },
      request: { topic: 't', ids: [Uint8Array.from([1])] }
    })
    assert.deepEqual(pick(decodeFrame(twoParts, WIRE_DEFAULTS)), 'malformed-frame')
  })

  for (const [type, other] of [['notfound', 'prune'], ['prune', 'notfound']] as const) {
    it(`bounds a ${type} frame as announce and request frames`, () => {
      const limits = { ...WIRE_DEFAULTS, maxIdsPerFrame: 3, maxTopicBytes: 8 }
      const encode = (frame: GossipRpc.Ids, rest: Partial<GossipRpc> = {}): Uint8Array => GossipRpc.encode({ subscriptions: [], [type]: frame, ...rest })
      const ids = (...bytes: number[]): Array<Uint8Array<ArrayBuffer>> => bytes.map(i => Uint8Array.from([i]))
      assert.equal(pick(decodeFrame(encode({ topic: 't', ids: ids(1, 2, 3) }), limits)), 'ok')
      assert.equal(pick(decodeFrame(encode({ topic: 't', ids: ids(1, 2, 3, 4) }), limits)), 'oversized-frame')
      assert.equal(pick(decodeFrame(encode({ topic: 't', ids: [new Uint8Array(65)] }), limits)), 'malformed-frame')
      assert.equal(pick(decodeFrame(encode({ topic: 't', ids: [new Uint8Array(0)] }), limits)), 'malformed-frame')
      assert.equal(pick(decodeFrame(encode({ topic: 'x'.repeat(9), ids: ids(1) }), limits)), 'malformed-frame')
      assert.equal(pick(decodeFrame(encode({ topic: '', ids: ids(1) }), limits)), 'malformed-frame')
      assert.equal(pick(decodeFrame(encode({ topic: 't', ids: ids(1) }, { request: { topic: 't', ids: ids(1) } }), limits)), 'malformed-frame')
      assert.equal(pick(decodeFrame(encode({ topic: 't', ids: ids(1) }, { [other]: { topic: 't', ids: ids(1) } }), limits)), 'malformed-frame')
      // a frame cut short in its ids
      const whole = encode({ topic: 't', ids: [new Uint8Array(32)] })
      assert.equal(pick(decodeFrame(whole.subarray(0, whole.byteLength - 5), limits)), 'malformed-frame')
    })
  }
})

function pick (decoded: ReturnType<typeof decodeFrame>): string {
  return decoded.ok ? 'ok' : decoded.infraction
}
