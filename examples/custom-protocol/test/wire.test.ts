import assert from 'node:assert/strict'
import fc from 'fast-check'
import { KV_LIMITS } from '../src/limits.ts'
import { checkDigest, checkEntries, checkVersions, decodeKvFrame, encodeKvFrame, frameKind, wireEntries } from '../src/wire.ts'
import type { KvEntry } from '../src/entry.ts'

const NOW = 1_700_000_000_000
const good: KvEntry = { key: 'k', value: Uint8Array.of(1, 2), deleted: false, wall: NOW, counter: 0, node: 'writer' }

describe('wire format', () => {
  it('round-trips every kind of frame', () => {
    const frames = [
      { push: { entries: wireEntries([good]) } },
      { digest: { buckets: [new Uint8Array(16)] } },
      { versions: { buckets: [3], versions: [{ key: 'k', wall: NOW, counter: 2, node: 'n', hash: new Uint8Array(16) }], truncated: true } },
      { exchange: { entries: [], want: ['a', 'b'] } },
      { entries: { entries: wireEntries([{ ...good, deleted: true, value: new Uint8Array(0) }]) } }
    ]
    for (const frame of frames) {
      const decoded = decodeKvFrame(encodeKvFrame(frame), KV_LIMITS)
      assert.ok(decoded.ok)
      assert.equal(frameKind(decoded.frame), Object.keys(frame)[0])
      assert.deepEqual(decoded.frame[frameKind(decoded.frame)], Object.values(frame)[0])
    }
  })

  it('never throws on random bytes: each is a frame or an infraction', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const decoded = decodeKvFrame(bytes, KV_LIMITS)
      if (!decoded.ok) assert.ok(['malformed-frame', 'oversized-frame', 'unexpected-frame'].includes(decoded.infraction))
    }), { numRuns: 2000 })
  })

  it('names what is wrong with a bad frame', () => {
    const limits = { ...KV_LIMITS, maxEntriesPerFrame: 2 }
    const garbage = decodeKvFrame(Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f), limits)
    assert.ok(!garbage.ok && garbage.infraction === 'malformed-frame')
    const many = decodeKvFrame(encodeKvFrame({ push: { entries: wireEntries([good, good, good]) } }), limits)
    assert.ok(!many.ok && many.infraction === 'oversized-frame', 'three entries where two are allowed')
    const big = decodeKvFrame(new Uint8Array(KV_LIMITS.maxFrameBytes + 1), KV_LIMITS)
    assert.ok(!big.ok && big.infraction === 'oversized-frame')
    const two = decodeKvFrame(encodeKvFrame({ push: { entries: [] }, digest: { buckets: [] } }), limits)
    assert.ok(!two.ok && two.infraction === 'unexpected-frame')
    const none = decodeKvFrame(new Uint8Array(0), limits)
    assert.ok(!none.ok && none.infraction === 'unexpected-frame')
  })

  it('refuses entries a replica must not store', () => {
    const bad: Array<[Partial<KvEntry>, RegExp]> = [
      [{ key: '' }, /empty key/],
      [{ key: 'x'.repeat(KV_LIMITS.maxKeyBytes + 1) }, /key of 257 bytes/],
      [{ key: 'é'.repeat(129) }, /key of 258 bytes/],
      [{ value: new Uint8Array(KV_LIMITS.maxValueBytes + 1) }, /value of 65537 bytes/],
      [{ deleted: true }, /deletion with a value/],
      [{ node: '' }, /no writer/],
      [{ node: 'n'.repeat(129) }, /writer id/],
      [{ wall: NOW + KV_LIMITS.maxClockDriftMs + 1 }, /ahead of ours/],
      [{ wall: 2 ** 60 }, /unusable wall/]
    ]
    for (const [change, reason] of bad) {
      const result = checkEntries([good, { ...good, ...change }], NOW, KV_LIMITS)
      assert.ok(!result.ok, `refused: ${reason}`)
      assert.equal(result.infraction, 'invalid-message')
      assert.match(result.detail, reason)
    }
    assert.ok(checkEntries([good, { ...good, key: 'x'.repeat(256), wall: NOW + KV_LIMITS.maxClockDriftMs }], NOW, KV_LIMITS).ok)
  })

  it('refuses bad versions and digests', () => {
    const version = { key: 'k', wall: NOW, counter: 0, node: 'n', hash: new Uint8Array(16) }
    assert.ok(checkVersions([version], NOW, KV_LIMITS).ok)
    assert.ok(!checkVersions([{ ...version, hash: new Uint8Array(3) }], NOW, KV_LIMITS).ok)
    assert.ok(!checkVersions([{ ...version, key: '' }], NOW, KV_LIMITS).ok)
    assert.ok(!checkVersions([{ ...version, wall: NOW + 3_600_000 }], NOW, KV_LIMITS).ok)
    assert.ok(checkDigest(Array.from({ length: KV_LIMITS.buckets }, () => new Uint8Array(16)), KV_LIMITS).ok)
    assert.ok(!checkDigest([new Uint8Array(16)], KV_LIMITS).ok)
    assert.ok(!checkDigest(Array.from({ length: KV_LIMITS.buckets }, () => new Uint8Array(15)), KV_LIMITS).ok)
  })
})
