import { ManualClock, seededRng, shuffle } from '@hearsay/sansio'
import fc from 'fast-check'
import { KvStore } from '../src/store.ts'
import type { KvEntry } from '../src/entry.ts'
import type { KvLimits } from '../src/limits.ts'

/** One local operation on one of several replicas. */
export interface Op {
  replica: number
  key: string
  /** `null` deletes the key. */
  value: Uint8Array | null
  /** How far that replica's clock moves before the write (0 makes same-millisecond writes). */
  advanceMs: number
}

/** Operations on `replicas` replicas over a small key space, so keys collide often. */
export function opsArb (replicas: number, maxOps = 40): fc.Arbitrary<Op[]> {
  return fc.array(fc.record({
    replica: fc.integer({ min: 0, max: replicas - 1 }),
    key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'ünï', 'k'.repeat(40)),
    value: fc.option(fc.uint8Array({ maxLength: 24 }), { freq: 5, nil: null }),
    advanceMs: fc.constantFrom(0, 0, 1, 7, 1000)
  }), { maxLength: maxOps })
}

/** Replicas with skewed clocks (up to a few seconds apart) and ids `r0`, `r1`, … */
export function replicas (count: number, limits: Partial<KvLimits> = {}): Array<{ store: KvStore, clock: ManualClock }> {
  return Array.from({ length: count }, (_, i) => {
    const clock = new ManualClock(1_700_000_000_000 + i * 1733)
    return { store: new KvStore({ node: `r${i}`, clock, limits }), clock }
  })
}

/** Run `ops` on isolated replicas; return the replicas and every entry the writes produced. */
export function runOps (ops: readonly Op[], count: number, limits: Partial<KvLimits> = {}): { stores: KvStore[], written: KvEntry[] } {
  const all = replicas(count, limits)
  const written: KvEntry[] = []
  for (const op of ops) {
    const { store, clock } = all[op.replica]
    clock.advance(op.advanceMs)
    written.push(op.value == null ? store.delete(op.key) : store.set(op.key, op.value))
  }
  return { stores: all.map(r => r.store), written }
}

/** A fresh, empty replica. */
export function emptyStore (node = 'fresh', limits: Partial<KvLimits> = {}): KvStore {
  return new KvStore({ node, clock: new ManualClock(1_700_000_000_000), limits })
}

/** `entries` in an order given by `seed`, with some delivered twice. */
export function scrambled (entries: readonly KvEntry[], seed: number): KvEntry[] {
  const rng = seededRng(seed)
  const copies = entries.flatMap(e => rng.next() < 0.3 ? [e, e] : [e])
  return shuffle(rng, copies)
}

/** What a replica holds, for comparing replicas: key → [deleted, value bytes]. */
export function contents (store: KvStore): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of [...store.entries()].sort((a, b) => a.key < b.key ? -1 : 1)) {
    out[entry.key] = entry.deleted ? '(deleted)' : Buffer.from(entry.value).toString('hex')
  }
  return out
}
