import assert from 'node:assert/strict'
import { ManualClock } from '@hearsay/sansio'
import fc from 'fast-check'
import { compareVersions, valueHash, type KvEntry } from '../src/entry.ts'
import { KvError, KvStore } from '../src/store.ts'
import { contents, emptyStore, opsArb, runOps, scrambled } from './helpers.ts'

/** The entry every replica must end up with for each key: the greatest by the total order. */
function winners (entries: readonly KvEntry[]): Map<string, KvEntry> {
  const best = new Map<string, KvEntry>()
  const withHash = (e: KvEntry): KvEntry & { hash: Uint8Array } => ({ ...e, hash: valueHash(e) })
  for (const entry of entries) {
    const current = best.get(entry.key)
    if (current == null || compareVersions(withHash(entry), withHash(current)) > 0) best.set(entry.key, entry)
  }
  return best
}

/** An entry's own fields, without what the store caches beside them. */
function plain (e: KvEntry | undefined): unknown {
  return e == null ? e : { key: e.key, value: e.value, deleted: e.deleted, wall: e.wall, counter: e.counter, node: e.node }
}

describe('KvStore (the sans-IO core)', () => {
  it('converges: replicas that merge the same entries in any order, with duplicates, hold the same state', () => {
    fc.assert(fc.property(opsArb(3), fc.integer(), fc.integer(), (ops, seed1, seed2) => {
      const { written } = runOps(ops, 3)
      const x = emptyStore('x')
      const y = emptyStore('y')
      for (const entry of scrambled(written, seed1)) x.merge(entry)
      for (const entry of scrambled(written, seed2)) y.merge(entry)
      assert.equal(x.root(), y.root())
      assert.deepEqual(contents(x), contents(y))
      // and that state is the last writer's, key by key
      for (const [key, entry] of winners(written)) {
        assert.deepEqual(plain(x.entry(key)), plain(entry))
        assert.deepEqual(x.get(key), entry.deleted ? undefined : entry.value)
      }
    }), { numRuns: 200 })
  })

  it('is idempotent: merging entries again changes nothing', () => {
    fc.assert(fc.property(opsArb(3), (ops) => {
      const { written } = runOps(ops, 3)
      const x = emptyStore()
      for (const entry of written) x.merge(entry)
      const root = x.root()
      for (const entry of written) assert.equal(x.merge(entry), false)
      assert.equal(x.root(), root)
    }), { numRuns: 100 })
  })

  it('is commutative: any two entries of a key merged in either order give the same state', () => {
    const entryArb = fc.record({
      key: fc.constant('k'),
      value: fc.uint8Array({ maxLength: 4 }),
      deleted: fc.boolean(),
      wall: fc.integer({ min: 0, max: 3 }),
      counter: fc.integer({ min: 0, max: 2 }),
      node: fc.constantFrom('a', 'b')
    }).map(e => e.deleted ? { ...e, value: new Uint8Array(0) } : e)
    fc.assert(fc.property(entryArb, entryArb, (a, b) => {
      const x = emptyStore('x', { buckets: 4 })
      const y = emptyStore('y', { buckets: 4 })
      x.merge(a)
      x.merge(b)
      y.merge(b)
      y.merge(a)
      assert.equal(x.root(), y.root())
      assert.deepEqual(plain(x.entry('k')), plain(y.entry('k')))
    }), { numRuns: 300 })
  })

  it('merging a replica\'s entries into another reproduces it exactly (digest included)', () => {
    fc.assert(fc.property(opsArb(1), (ops) => {
      const { stores: [source] } = runOps(ops, 1)
      const copy = emptyStore()
      for (const entry of source.entries()) copy.merge(entry)
      assert.deepEqual(copy.digest(), source.digest())
      assert.equal(copy.size, source.size)
    }), { numRuns: 100 })
  })

  it('a local write wins over everything merged before it, even from a peer whose clock runs ahead', () => {
    const clock = new ManualClock(1000)
    const store = new KvStore({ node: 'slow', clock })
    const ahead: KvEntry = { key: 'k', value: Uint8Array.of(1), deleted: false, wall: 59_000, counter: 3, node: 'fast' }
    assert.equal(store.merge(ahead), true)
    const mine = store.set('k', Uint8Array.of(2))
    assert.ok(mine.wall >= ahead.wall)
    assert.deepEqual(store.get('k'), Uint8Array.of(2))
    // and replicas that receive both agree
    const other = emptyStore()
    other.merge(mine)
    other.merge(ahead)
    assert.equal(other.root(), store.root())
  })

  it('keeps deletions as tombstones that win over older writes and lose to newer ones', () => {
    const clock = new ManualClock(5000)
    const store = new KvStore({ node: 'a', clock })
    store.set('k', Uint8Array.of(1))
    assert.equal(store.size, 1)
    clock.advance(1)
    const tombstone = store.delete('k')
    assert.equal(store.size, 0)
    assert.equal(store.get('k'), undefined)
    assert.equal(tombstone.deleted, true)
    assert.equal(store.merge({ key: 'k', value: Uint8Array.of(9), deleted: false, wall: 5000, counter: 5, node: 'b' }), false)
    assert.equal(store.get('k'), undefined)
    assert.equal(store.merge({ key: 'k', value: Uint8Array.of(7), deleted: false, wall: 5002, counter: 0, node: 'b' }), true)
    assert.deepEqual(store.get('k'), Uint8Array.of(7))
    assert.equal(store.size, 1)
  })

  it('refuses local keys and values over the limits', () => {
    const store = emptyStore('a', { maxKeyBytes: 4, maxValueBytes: 8 })
    assert.throws(() => store.set('', new Uint8Array(1)), KvError)
    assert.throws(() => store.set('toolong', new Uint8Array(1)), KvError)
    assert.throws(() => store.set('ü', new Uint8Array(9)), KvError)
    assert.throws(() => store.set('k', 'text' as unknown as Uint8Array), KvError)
    store.set('üü', new Uint8Array(8))
    assert.equal(store.size, 1)
    assert.throws(() => new KvStore({ node: 'a', clock: new ManualClock(), limits: { buckets: 0 } }), KvError)
  })

  it('a written value is copied: changing the caller\'s array later changes nothing', () => {
    const store = emptyStore()
    const value = Uint8Array.of(1, 2, 3)
    store.set('k', value)
    const root = store.root()
    value[0] = 99
    assert.deepEqual(store.get('k'), Uint8Array.of(1, 2, 3))
    assert.equal(store.root(), root)
  })

  it('only recomputes the digest of buckets that changed, and buckets spread keys', () => {
    const store = emptyStore('a', { buckets: 16 })
    const before = store.digest()
    store.set('one', Uint8Array.of(1))
    const after = store.digest()
    const changed = after.map((hash, i) => Buffer.compare(hash, before[i]) !== 0)
    assert.deepEqual(changed.filter(Boolean).length, 1)
    assert.ok(changed[store.bucketOf('one')])
    const used = new Set(Array.from({ length: 200 }, (_, i) => store.bucketOf(`key-${i}`)))
    assert.equal(used.size, 16)
  })
})
