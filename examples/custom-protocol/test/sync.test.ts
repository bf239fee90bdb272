import assert from 'node:assert/strict'
import { seededRng } from '@hearsay/sansio'
import fc from 'fast-check'
import { KV_LIMITS, type KvLimits } from '../src/limits.ts'
import {
  answerDigest, answerWant, checkAnswer, checkExchange, checkVersionsAnswer, planExchange, type VersionsAnswer
} from '../src/sync.ts'
import { decodeKvFrame, encodeKvFrame, wireEntries, type KvFrame } from '../src/wire.ts'
import { contents, emptyStore, opsArb, runOps } from './helpers.ts'
import type { KvStore } from '../src/store.ts'
import type { Rng } from '@hearsay/interface'

/** Encode and decode a frame, as the wire would, so the tests exercise the codec too. */
function wire (frame: Partial<KvFrame>, limits: KvLimits): KvFrame {
  const decoded = decodeKvFrame(encodeKvFrame(frame), limits)
  if (!decoded.ok) throw new Error(`${decoded.infraction}: ${decoded.detail}`)
  return decoded.frame
}

/**
 * One sync session between two cores, through the codec, checking every step as the adapter
 * does. Returns how many buckets differed and the bytes that crossed.
 */
function syncOnce (initiator: KvStore, responder: KvStore, rng: Rng): { buckets: number, bytes: number, truncated: boolean } {
  const limits = initiator.limits
  let bytes = 0
  const send = (frame: Partial<KvFrame>): KvFrame => {
    const encoded = encodeKvFrame(frame)
    assert.ok(encoded.byteLength <= limits.maxFrameBytes, `a frame of ${encoded.byteLength} bytes stays within the limit`)
    bytes += encoded.byteLength
    return wire(frame, limits)
  }
  const digest = send({ digest: { buckets: initiator.digest() } }).digest
  assert.ok(digest != null)
  const answer = answerDigest(responder, digest.buckets, rng)
  const versions = send({ versions: answer }).versions
  assert.ok(versions != null)
  const received: VersionsAnswer = { buckets: versions.buckets, versions: versions.versions, truncated: versions.truncated }
  assert.equal(checkVersionsAnswer(initiator, received), undefined)
  if (received.buckets.length === 0) return { buckets: 0, bytes, truncated: false }
  const plan = planExchange(initiator, received)
  const exchange = send({ exchange: { entries: wireEntries(plan.entries), want: plan.want } }).exchange
  assert.ok(exchange != null)
  assert.equal(checkExchange(responder, answer, exchange), undefined)
  for (const entry of exchange.entries) responder.merge(entry)
  const reply = send({ entries: { entries: wireEntries(answerWant(responder, exchange.want)) } }).entries
  assert.ok(reply != null)
  assert.equal(checkAnswer(plan.want, reply.entries), undefined)
  for (const entry of reply.entries) initiator.merge(entry)
  return { buckets: received.buckets.length, bytes, truncated: received.truncated }
}

describe('anti-entropy sync (sans-IO)', () => {
  it('one sync makes two replicas equal, whatever each wrote', () => {
    fc.assert(fc.property(opsArb(2), fc.integer(), (ops, seed) => {
      const { stores: [a, b] } = runOps(ops, 2)
      syncOnce(a, b, seededRng(seed))
      assert.equal(a.root(), b.root())
      assert.deepEqual(contents(a), contents(b))
      // and a second sync finds nothing to do
      assert.equal(syncOnce(b, a, seededRng(seed)).buckets, 0)
    }), { numRuns: 150 })
  })

  it('pairwise syncs along a line of replicas converge all of them', () => {
    fc.assert(fc.property(opsArb(4, 60), fc.integer(), (ops, seed) => {
      const { stores } = runOps(ops, 4)
      const rng = seededRng(seed)
      // forth and back along 0-1-2-3: each entry travels the whole line
      for (const [i, j] of [[0, 1], [1, 2], [2, 3], [2, 1], [1, 0]]) syncOnce(stores[i], stores[j], rng)
      const roots = new Set(stores.map(s => s.root()))
      assert.equal(roots.size, 1)
    }), { numRuns: 60 })
  })

  it('with frames too small for all differences, repeated syncs still converge, in a bounded number of rounds', () => {
    let truncated = 0
    fc.assert(fc.property(opsArb(2, 60), fc.integer(), fc.constantFrom(1, 2, 3), (ops, seed, buckets) => {
      const tiny: Partial<KvLimits> = { buckets, maxFrameBytes: 1024 + 400, maxEntriesPerFrame: 3, maxVersionsPerFrame: 3, maxWantPerFrame: 2 }
      const { stores: [a, b] } = runOps(ops, 2, tiny)
      const rng = seededRng(seed)
      let rounds = 0
      // alternate who starts, as periodic syncs with random peers do
      while (a.root() !== b.root()) {
        assert.ok(++rounds <= 200, 'converged within 200 rounds')
        const result = rounds % 2 === 0 ? syncOnce(a, b, rng) : syncOnce(b, a, rng)
        if (result.truncated) truncated++
      }
      assert.deepEqual(contents(a), contents(b))
    }), { numRuns: 100 })
    assert.ok(truncated > 0, 'buckets too big for one frame were exercised')
  })

  it('sends only what differs: a sync after one new write moves one entry, not the store', () => {
    const { stores: [a] } = runOps(Array.from({ length: 300 }, (_, i) => ({ replica: 0, key: `key-${i}`, value: new Uint8Array(200), advanceMs: 1 })), 1)
    const b = emptyStore('b')
    syncOnce(b, a, seededRng(1))
    assert.equal(a.root(), b.root())
    a.set('key-7', Uint8Array.of(1))
    const rng = seededRng(2)
    const { buckets, bytes } = syncOnce(b, a, rng)
    assert.equal(buckets, 1)
    assert.ok(bytes < 8 * 1024, `a one-key repair cost ${bytes} bytes, the store holds ${300 * 200}`)
    assert.deepEqual(b.get('key-7'), Uint8Array.of(1))
  })

  it('flags answers that break the protocol', () => {
    const store = emptyStore('a', { buckets: 8 })
    const key = 'some-key'
    const bucket = store.bucketOf(key)
    const other = (bucket + 1) % 8
    const version = { key, wall: 1, counter: 0, node: 'b', hash: new Uint8Array(16) }
    assert.match(checkVersionsAnswer(store, { buckets: [8], versions: [], truncated: false }) ?? '', /no bucket/)
    assert.match(checkVersionsAnswer(store, { buckets: [1, 1], versions: [], truncated: false }) ?? '', /twice/)
    assert.match(checkVersionsAnswer(store, { buckets: [other], versions: [version], truncated: false }) ?? '', /outside/)
    assert.match(checkVersionsAnswer(store, { buckets: [1, 2], versions: [], truncated: true }) ?? '', /exactly one/)
    assert.equal(checkVersionsAnswer(store, { buckets: [bucket], versions: [version], truncated: false }), undefined)

    const offered: VersionsAnswer = { buckets: [bucket], versions: [version], truncated: false }
    assert.match(checkExchange(store, offered, { entries: [], want: ['not-offered'] }) ?? '', /did not offer/)
    const stray = Array.from({ length: 50 }, (_, i) => `k${i}`).find(k => store.bucketOf(k) !== bucket) as string
    const entry = { key: stray, value: new Uint8Array(0), deleted: true, wall: 1, counter: 0, node: 'b' }
    assert.match(checkExchange(store, offered, { entries: [entry], want: [] }) ?? '', /outside the buckets/)
    assert.equal(checkExchange(store, offered, { entries: [], want: [key] }), undefined)

    assert.match(checkAnswer(['x'], [entry]) ?? '', /did not ask/)
    assert.equal(checkAnswer([stray], [entry]), undefined)
  })

  it('keeps every frame within the default limits even for a bucket with many large entries', () => {
    const a = emptyStore('a', { buckets: 1 })
    const value = new Uint8Array(KV_LIMITS.maxValueBytes)
    for (let i = 0; i < 40; i++) a.set(`big-${i}`, value)
    const b = emptyStore('b', { buckets: 1 })
    const rng = seededRng(3)
    let rounds = 0
    while (a.root() !== b.root()) {
      assert.ok(++rounds <= 10)
      syncOnce(b, a, rng) // asserts each frame is within maxFrameBytes
    }
    assert.ok(rounds >= 3, `40 values of 64 KiB need several 1 MiB frames, took ${rounds} round(s)`)
  })
})
