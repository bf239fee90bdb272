import { createHash } from 'node:crypto'
import { compareVersions, utf8Length, valueHash, HASH_BYTES, type KvEntry, type Version } from './entry.ts'
import { HybridClock } from './hlc.ts'
import { KV_LIMITS, type KvLimits } from './limits.ts'
import type { Clock } from '@hearsay/interface'

/** A local call that cannot be carried out, e.g. a key or value over the protocol's limits. */
export class KvError extends Error {
  override name = 'KvError'
}

/** An entry as stored: with its value hash, computed once. */
interface Stored extends KvEntry {
  hash: Uint8Array<ArrayBuffer>
}

/** Options of {@link KvStore}. */
export interface KvStoreInit {
  /** This node's id: the writer id of its own writes. */
  node: string
  /** Wall time for the hybrid logical clock. */
  clock: Clock
  /** Limits on keys, values and the bucket count. @default {@link KV_LIMITS} */
  limits?: Partial<KvLimits>
}

/**
 * The sans-IO core of the example: a last-writer-wins map (a state-based CRDT). Every replica
 * that has merged the same set of entries holds the same state, whatever the order, however
 * often each arrived. Keys are hashed into buckets, each with a hash of its contents, so two
 * replicas find what differs by comparing a few hundred hashes instead of every key.
 *
 * No I/O and no globals: time comes from the injected clock.
 */
export class KvStore {
  readonly node: string
  readonly limits: Readonly<KvLimits>
  readonly #hlc: HybridClock
  readonly #entries = new Map<string, Stored>()
  /** The keys of each bucket. */
  readonly #buckets: Array<Set<string>>
  /** Each bucket's hash, or `undefined` when it changed since it was last computed. */
  readonly #bucketHashes: Array<Uint8Array<ArrayBuffer> | undefined>
  #live = 0

  constructor (init: KvStoreInit) {
    this.node = init.node
    this.limits = { ...KV_LIMITS, ...init.limits }
    if (!Number.isInteger(this.limits.buckets) || this.limits.buckets < 1 || this.limits.buckets > 65_536) {
      throw new KvError(`buckets must be an integer in [1, 65536], got ${this.limits.buckets}`)
    }
    this.#hlc = new HybridClock(init.clock, init.node)
    this.#buckets = Array.from({ length: this.limits.buckets }, () => new Set<string>())
    this.#bucketHashes = new Array<Uint8Array<ArrayBuffer> | undefined>(this.limits.buckets).fill(undefined)
  }

  /** How many keys hold a value (deleted keys are not counted). */
  get size (): number {
    return this.#live
  }

  /** The value of `key`, or `undefined` if it was never written or was deleted. */
  get (key: string): Uint8Array | undefined {
    const entry = this.#entries.get(key)
    return entry == null || entry.deleted ? undefined : entry.value
  }

  /** The latest entry of `key`, tombstones included. */
  entry (key: string): KvEntry | undefined {
    return this.#entries.get(key)
  }

  /** The version of `key` (its timestamp and value hash), tombstones included. */
  version (key: string): Version | undefined {
    const entry = this.#entries.get(key)
    return entry == null ? undefined : toVersion(entry)
  }

  /** Every entry, tombstones included, in no particular order. */
  entries (): IterableIterator<KvEntry> {
    return this.#entries.values()
  }

  /**
   * Write `value` under `key` with a fresh timestamp, and return the entry to replicate.
   *
   * @throws {@link KvError} if the key or value is over the limits
   */
  set (key: string, value: Uint8Array): KvEntry {
    this.#checkLocal(key, value)
    return this.#write(key, value.slice(), false)
  }

  /** Delete `key` (a tombstone that replicates), and return the entry to replicate. */
  delete (key: string): KvEntry {
    this.#checkLocal(key, new Uint8Array(0))
    return this.#write(key, new Uint8Array(0), true)
  }

  /**
   * Merge an entry from a peer. It must have passed `checkEntry` first. Returns whether it
   * changed the state: `false` for an entry we had, or one older than ours.
   */
  merge (entry: KvEntry): boolean {
    this.#hlc.observe(entry)
    const stored: Stored = {
      key: entry.key,
      value: entry.value,
      deleted: entry.deleted,
      wall: entry.wall,
      counter: entry.counter,
      node: entry.node,
      hash: valueHash(entry)
    }
    const current = this.#entries.get(entry.key)
    if (current != null && compareVersions(stored, current) <= 0) return false
    this.#put(stored, current)
    return true
  }

  /** Which bucket `key` hashes into. */
  bucketOf (key: string): number {
    const digest = createHash('sha256').update(key).digest()
    return digest.readUInt32BE(0) % this.limits.buckets
  }

  /** The keys currently in `bucket`. */
  bucketKeys (bucket: number): string[] {
    return [...(this.#buckets[bucket] ?? [])]
  }

  /**
   * One hash per bucket, over the versions of its keys in key order: equal hashes mean (with
   * overwhelming probability) equal contents. Computed lazily, only for buckets that changed.
   */
  digest (): Array<Uint8Array<ArrayBuffer>> {
    return this.#buckets.map((_, index) => this.#bucketHash(index))
  }

  /** One hash over all buckets: two replicas hold the same state iff their roots are equal. */
  root (): string {
    const hash = createHash('sha256')
    for (const bucket of this.digest()) hash.update(bucket)
    return hash.digest('hex')
  }

  #checkLocal (key: string, value: Uint8Array): void {
    if (typeof key !== 'string') throw new KvError('key must be a string')
    const keyBytes = utf8Length(key)
    if (keyBytes === 0 || keyBytes > this.limits.maxKeyBytes) {
      throw new KvError(`key must be 1 to ${this.limits.maxKeyBytes} UTF-8 bytes, got ${keyBytes}`)
    }
    if (!(value instanceof Uint8Array)) throw new KvError('value must be a Uint8Array')
    if (value.byteLength > this.limits.maxValueBytes) {
      throw new KvError(`value of ${value.byteLength} bytes is over the limit of ${this.limits.maxValueBytes}`)
    }
  }

  #write (key: string, value: Uint8Array<ArrayBuffer>, deleted: boolean): KvEntry {
    const current = this.#entries.get(key)
    // the clock has observed every merged entry, so this write is newer than `current`
    const ts = this.#hlc.tick()
    const stored: Stored = { key, value, deleted, ...ts, hash: valueHash({ value, deleted }) }
    this.#put(stored, current)
    return toEntry(stored)
  }

  #put (stored: Stored, current: Stored | undefined): void {
    this.#entries.set(stored.key, stored)
    this.#live += (stored.deleted ? 0 : 1) - (current == null || current.deleted ? 0 : 1)
    const bucket = this.bucketOf(stored.key)
    this.#buckets[bucket].add(stored.key)
    this.#bucketHashes[bucket] = undefined
  }

  #bucketHash (index: number): Uint8Array<ArrayBuffer> {
    const cached = this.#bucketHashes[index]
    if (cached != null) return cached
    const hash = createHash('sha256')
    const keys = [...this.#buckets[index]].sort()
    const header = Buffer.alloc(16)
    for (const key of keys) {
      const entry = this.#entries.get(key) as Stored
      // length-prefixed fields, so no two different lists of versions hash the same bytes
      const keyBytes = Buffer.from(key)
      const nodeBytes = Buffer.from(entry.node)
      header.writeUInt32BE(keyBytes.byteLength, 0)
      header.writeUInt32BE(nodeBytes.byteLength, 4)
      header.writeUInt32BE(entry.counter, 8)
      hash.update(header.subarray(0, 12)).update(keyBytes).update(nodeBytes)
      header.writeDoubleBE(entry.wall, 0)
      hash.update(header.subarray(0, 8)).update(entry.hash)
    }
    const result = hash.digest().subarray(0, HASH_BYTES)
    this.#bucketHashes[index] = result
    return result
  }
}

function toVersion (entry: Stored): Version {
  return { key: entry.key, wall: entry.wall, counter: entry.counter, node: entry.node, hash: entry.hash }
}

function toEntry (entry: Stored): KvEntry {
  return { key: entry.key, value: entry.value, deleted: entry.deleted, wall: entry.wall, counter: entry.counter, node: entry.node }
}
