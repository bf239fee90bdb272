import { OptionError } from '@hearsay/sansio'
import { KeyedHash } from './hash.ts'
import { defaultNetgroup, UNKNOWN_NETGROUP, type Netgroup } from './netgroup.ts'
import type { Clock, PeerKey, Rng } from '@hearsay/interface'

/** Options of an {@link AddressBook}. Sizes follow Bitcoin Core's addrman unless noted. */
export interface AddressBookOptions {
  /** Time source; timestamps are epoch ms. */
  clock: Clock
  /** Randomness for selection and for the secret bucket key. */
  rng: Rng
  /** Maps an address to its network group. @default {@link defaultNetgroup} (/16 IPv4, /32 IPv6) */
  netgroup?: Netgroup
  /** The node's own key: never stored. */
  self?: PeerKey
  /** Buckets of the `new` table. @default 1024 */
  newBucketCount?: number
  /** Buckets of the `tried` table. @default 256 */
  triedBucketCount?: number
  /** Slots per bucket. @default 64 */
  bucketSize?: number
  /** How many `new` buckets the addresses from one source netgroup can reach. @default 64 */
  newBucketsPerSourceGroup?: number
  /** How many `tried` buckets the addresses of one netgroup can reach. @default 8 */
  triedBucketsPerGroup?: number
  /** Addresses kept per peer. @default 4 */
  maxAddrsPerPeer?: number
  /** Longest address string accepted, in characters. @default 256 */
  maxAddrLength?: number
  /** Subtracted from the age of addresses relayed by other peers (Bitcoin: 2 h). @default 7_200_000 */
  relayPenaltyMs?: number
  /** Addresses not heard of for this long are terrible. @default 30 days */
  horizonMs?: number
  /** Pending tried-table collisions kept for test-before-evict. @default 10 */
  maxCollisions?: number
  /** A tried entry that connected this recently is never evicted by a collision. @default 4 h */
  replacementMs?: number
  /** A collision whose old entry was not tested within this long evicts it anyway. @default 40 min */
  testWindowMs?: number
  /** Secret key of the bucket hash. @default 32 bytes from `rng` */
  key?: Uint8Array
}

/** Where an address was learned: the peer that told us, or a fixed source netgroup. */
export interface AddressSource {
  /** The netgroup of the source, if known directly (e.g. `'local'` for configuration). */
  group?: string
  /** An address of the source (the remote address of its connection); its netgroup is used. */
  addr?: string
}

/** Options of {@link AddressBook.add}. */
export interface AddOptions {
  /** How long ago the source last heard of the peer (ms). @default 0 */
  ageMs?: number
  /**
   * The addresses were confirmed by the peer itself over an authenticated connection
   * (identify): they replace the stored ones and no relay penalty applies.
   */
  confirmed?: boolean
}

/** Which table an entry is in. */
export type Table = 'new' | 'tried'

/** A read-only view of one address-book entry. */
export interface AddressEntry {
  /** The peer's key (its PeerId string). */
  readonly peer: PeerKey
  /** Its multiaddrs (without `/p2p`), most trusted first. */
  readonly addrs: readonly string[]
  /** Netgroup of the peer's address. */
  readonly group: string
  /** Netgroup of the source that first told us of it. */
  readonly sourceGroup: string
  /** Which table holds it. */
  readonly table: Table
  /** When we last heard of it (epoch ms, relay penalty included). */
  readonly seen: number
  /** Last dial attempt (epoch ms), 0 if never. */
  readonly lastTry: number
  /** Last successful connection (epoch ms), 0 if never. */
  readonly lastSuccess: number
  /** Failed attempts since the last success. */
  readonly attempts: number
}

/** Sizes of the address book, for monitoring. */
export interface AddressBookStats {
  /** Entries in the `new` table. */
  new: number
  /** Entries in the `tried` table. */
  tried: number
  /** Non-empty buckets of the `new` table. */
  newBuckets: number
  /** Non-empty buckets of the `tried` table. */
  triedBuckets: number
  /** Distinct netgroups among all entries. */
  groups: number
  /** Tried-table collisions waiting to be tested. */
  collisions: number
}

/** Options of {@link AddressBook.select}. */
export interface SelectOptions {
  /** Only the `new` table (feelers). @default false */
  newOnly?: boolean
  /** Skip entries for which this returns false (connected peers, used netgroups, ...). */
  filter?: (entry: AddressEntry) => boolean
  /** How many candidates to draw before giving up. @default 100 */
  maxTries?: number
}

/** What {@link AddressBook.good} did. */
export interface GoodResult {
  /** The entry is now in the tried table. */
  tried: boolean
  /**
   * The tried slot was held by this other peer: it will be tested before it is evicted
   * (see {@link AddressBook.selectTriedCollision} and {@link AddressBook.resolveCollisions}).
   */
  collision?: PeerKey
}

interface Entry {
  peer: PeerKey
  addrs: string[]
  group: string
  sourceGroup: string
  table: Table
  bucket: number
  position: number
  /** its `tried` slot (bucket x bucketSize + position) once computed, -1 until then: it depends on `peer` and `group` only */
  triedSlot: number
  seen: number
  lastTry: number
  lastSuccess: number
  attempts: number
}

const MINUTE = 60_000
/**
 * Most (netgroup, source netgroup) pairs whose `new` bucket is remembered: enough for a flood
 * from a few netgroups (the case the cache is for); each pair's key costs ~150 bytes, and at 256
 * the cache was a tenth of a book of 200 peers whose pairs are all distinct.
 */
const MAX_CACHED_PAIRS = 32
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** The source group of addresses that came from the node's own configuration or store. */
export const LOCAL_SOURCE = 'local'

/** Defaults of {@link AddressBookOptions}. */
export const ADDRESS_BOOK_DEFAULTS = {
  newBucketCount: 1024,
  triedBucketCount: 256,
  bucketSize: 64,
  newBucketsPerSourceGroup: 64,
  triedBucketsPerGroup: 8,
  maxAddrsPerPeer: 4,
  maxAddrLength: 256,
  relayPenaltyMs: 2 * HOUR,
  horizonMs: 30 * DAY,
  maxCollisions: 10,
  replacementMs: 4 * HOUR,
  testWindowMs: 40 * MINUTE
} as const

/**
 * An option of the address book is unusable (a zero bucket count, a negative time). An
 * `OptionError` (`@hearsay/sansio`) under the name the address book has always thrown.
 */
export class AddressBookOptionError extends OptionError {
  override readonly name: string = 'AddressBookOptionError'
}

/**
 * One table of buckets of slots, with the list of non-empty buckets kept for O(1) random choice.
 * Only occupied slots take memory, a list of entries per non-empty bucket: a book holds a few
 * hundred peers spread over as many buckets, and an array of every slot per non-empty bucket (64)
 * made a book 1.5 KB per peer, most of it empty slots.
 */
class BucketTable {
  /** Non-empty bucket → its entries (each knows its position), in no order. */
  readonly #members = new Map<number, Entry[]>()
  readonly nonEmpty: number[] = []
  readonly #indexOf = new Map<number, number>()
  readonly #size: number
  size = 0

  constructor (size: number) {
    this.#size = size
  }

  get (bucket: number, position: number): Entry | undefined {
    // a bucket holds a peer or two (64 at most): a scan costs less than a map of every slot
    const members = this.#members.get(bucket)
    if (members != null) for (const entry of members) if (entry.position === position) return entry
    return undefined
  }

  put (entry: Entry, bucket: number, position: number): void {
    if (this.get(bucket, position) != null) throw new Error('slot taken')
    entry.bucket = bucket
    entry.position = position
    this.size++
    const members = this.#members.get(bucket)
    if (members != null) {
      members.push(entry)
      return
    }
    this.#members.set(bucket, [entry])
    this.#indexOf.set(bucket, this.nonEmpty.length)
    this.nonEmpty.push(bucket)
  }

  clear (bucket: number, position: number): void {
    const members = this.#members.get(bucket)
    const at = members?.findIndex(entry => entry.position === position) ?? -1
    if (members == null || at === -1) return
    this.size--
    // order within a bucket means nothing: the last member fills the gap
    const last = members.pop()
    if (last != null && at < members.length) members[at] = last
    if (members.length > 0) return
    this.#members.delete(bucket)
    const index = this.#indexOf.get(bucket) ?? -1
    const lastBucket = this.nonEmpty.pop() ?? -1
    if (index !== -1 && index < this.nonEmpty.length) {
      this.nonEmpty[index] = lastBucket
      this.#indexOf.set(lastBucket, index)
    }
    this.#indexOf.delete(bucket)
  }

  /** Whether every slot of `bucket` holds an entry. */
  isFull (bucket: number): boolean {
    return this.#members.get(bucket)?.length === this.#size
  }

  /** Whether some entry of `bucket` passes `test`. */
  some (bucket: number, test: (entry: Entry) => boolean): boolean {
    return this.#members.get(bucket)?.some(test) ?? false
  }

  /** A random entry of a random non-empty bucket. */
  random (rng: Rng): Entry | undefined {
    if (this.nonEmpty.length === 0) return undefined
    const members = this.#members.get(this.nonEmpty[rng.int(this.nonEmpty.length)])
    return members == null ? undefined : members[rng.int(members.length)]
  }
}

/**
 * An eclipse-resistant address book modelled on Bitcoin Core's addrman, as a sans-IO core.
 *
 * - Addresses we only heard of live in the `new` table; addresses we connected to, in `tried`.
 * - A `new` address goes to a bucket chosen by a secret hash of its netgroup and the netgroup of
 *   the peer that told us, so one source netgroup reaches at most `newBucketsPerSourceGroup`
 *   buckets and one (address group, source group) pair exactly one bucket: an attacker with
 *   thousands of addresses in one /16 fills at most one bucket per source group it controls.
 * - A new address only displaces a *terrible* one (stale, or failing); a `tried` collision is
 *   tested before it evicts (the old entry gets a feeler; if it answers, it stays).
 * - Selection draws a random non-empty bucket, then a random entry in it, accepted with a chance
 *   that falls with failed attempts and staleness: buckets, not addresses, are equally likely,
 *   so a flood of addresses in few netgroups does not raise an attacker's odds.
 *
 * Keys are peer ids (as strings); addresses are multiaddr strings without `/p2p`. The book never
 * reads the wall clock or global randomness: time and randomness come from its options.
 */
export class AddressBook {
  readonly #clock: Clock
  readonly #rng: Rng
  readonly #netgroup: Netgroup
  readonly #self: PeerKey | undefined
  readonly #hash: KeyedHash
  readonly #o: typeof ADDRESS_BOOK_DEFAULTS
  readonly #entries = new Map<PeerKey, Entry>()
  readonly #new: BucketTable
  readonly #tried: BucketTable
  /** The `new` bucket of recent (netgroup, source netgroup) pairs. */
  readonly #bucketOf = new Map<string, number>()
  /** Peers whose move to `tried` collided, with the time of the collision. */
  readonly #collisions = new Map<PeerKey, number>()

  /** @throws {@link AddressBookOptionError} for unusable sizes or times */
  constructor (options: AddressBookOptions) {
    this.#clock = options.clock
    this.#rng = options.rng
    this.#netgroup = options.netgroup ?? defaultNetgroup
    this.#self = options.self
    const o = { ...ADDRESS_BOOK_DEFAULTS }
    for (const name of Object.keys(ADDRESS_BOOK_DEFAULTS) as Array<keyof typeof ADDRESS_BOOK_DEFAULTS>) {
      const value = options[name]
      if (value == null) continue
      const integer = !name.endsWith('Ms')
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && (!Number.isInteger(value) || value < 1))) {
        throw new AddressBookOptionError(name, integer ? 'expected a positive integer' : 'expected a finite number >= 0')
      }
      ;(o as Record<string, number>)[name] = value
    }
    if (o.newBucketsPerSourceGroup > o.newBucketCount) throw new AddressBookOptionError('newBucketsPerSourceGroup', 'more than newBucketCount')
    if (o.triedBucketsPerGroup > o.triedBucketCount) throw new AddressBookOptionError('triedBucketsPerGroup', 'more than triedBucketCount')
    this.#o = o
    this.#hash = new KeyedHash(options.key ?? KeyedHash.randomKey(this.#rng))
    this.#new = new BucketTable(o.bucketSize)
    this.#tried = new BucketTable(o.bucketSize)
  }

  /** Number of entries in both tables. */
  get size (): number {
    return this.#entries.size
  }

  /** The netgroup of an address, by this book's netgroup function. */
  netgroup (addr: string): string {
    try {
      return String(this.#netgroup(addr))
    } catch {
      return UNKNOWN_NETGROUP
    }
  }

  /**
   * Learn that `peer` is reachable at `addrs`, from `source`. A new peer goes into its `new`
   * bucket slot if that slot is free or holds a terrible entry; otherwise it is dropped. A known
   * peer gets fresher `seen` and, space permitting, the extra addresses.
   *
   * @returns `true` if the peer was added to the book
   */
  add (peer: PeerKey, addrs: readonly string[], source: AddressSource = {}, options: AddOptions = {}): boolean {
    if (peer === this.#self || typeof peer !== 'string' || peer === '') return false
    const clean = this.#cleanAddrs(addrs)
    if (clean.length === 0) return false
    const now = this.#clock.now()
    const ageMs = Number.isFinite(options.ageMs) ? Math.max(0, options.ageMs ?? 0) : 0
    const penalty = options.confirmed === true ? 0 : this.#o.relayPenaltyMs
    const seen = now - ageMs - penalty
    const existing = this.#entries.get(peer)
    if (existing != null) {
      if (seen > existing.seen) existing.seen = seen
      if (options.confirmed === true) {
        const group = this.#groupOf(clean)
        existing.addrs = clean
        if (group !== existing.group) this.#regroup(existing, group)
      } else {
        for (const addr of clean) {
          if (existing.addrs.length >= this.#o.maxAddrsPerPeer) break
          if (!existing.addrs.includes(addr)) existing.addrs.push(addr)
        }
      }
      return false
    }
    const sourceGroup = source.group ?? (source.addr != null ? this.netgroup(source.addr) : LOCAL_SOURCE)
    const entry: Entry = {
      peer,
      addrs: clean,
      group: this.#groupOf(clean),
      sourceGroup,
      table: 'new',
      bucket: -1,
      position: -1,
      triedSlot: -1,
      seen,
      lastTry: 0,
      lastSuccess: 0,
      attempts: 0
    }
    return this.#placeNew(entry, now)
  }

  /**
   * A connection to `peer` succeeded: reset its failures and move it to `tried`. When its tried
   * slot is held by another peer, that peer is not evicted yet: the collision is remembered so a
   * feeler can test the old one first.
   */
  good (peer: PeerKey): GoodResult {
    const entry = this.#entries.get(peer)
    if (entry == null) return { tried: false }
    const now = this.#clock.now()
    entry.lastSuccess = now
    entry.lastTry = now
    entry.seen = Math.max(entry.seen, now)
    entry.attempts = 0
    if (entry.table === 'tried') return { tried: true }
    const [bucket, position] = this.#triedSlot(entry)
    const occupant = this.#tried.get(bucket, position)
    if (occupant == null) {
      this.#makeTried(entry)
      this.#collisions.delete(peer)
      return { tried: true }
    }
    if (!this.#collisions.has(peer) && this.#collisions.size < this.#o.maxCollisions) this.#collisions.set(peer, now)
    return { tried: false, collision: occupant.peer }
  }

  /** A dial to `peer` was attempted; `failed` counts it against the peer. */
  attempt (peer: PeerKey, failed = true): void {
    const entry = this.#entries.get(peer)
    if (entry == null) return
    entry.lastTry = this.#clock.now()
    if (failed) entry.attempts++
  }

  /** We are (still) connected to `peer`: it was seen now. */
  connected (peer: PeerKey): void {
    const entry = this.#entries.get(peer)
    if (entry != null) entry.seen = Math.max(entry.seen, this.#clock.now())
  }

  /** Forget `peer` entirely. */
  remove (peer: PeerKey): boolean {
    const entry = this.#entries.get(peer)
    if (entry == null) return false
    this.#delete(entry)
    return true
  }

  /** Whether `peer` is in the book. */
  has (peer: PeerKey): boolean {
    return this.#entries.has(peer)
  }

  /** `peer`'s addresses as the book holds them now, most trusted first, without a copy: read them at once, never keep them. */
  addrsOf (peer: PeerKey): readonly string[] | undefined {
    return this.#entries.get(peer)?.addrs
  }

  /** A view of `peer`'s entry. */
  get (peer: PeerKey): AddressEntry | undefined {
    const entry = this.#entries.get(peer)
    return entry == null ? undefined : view(entry)
  }

  /** Views of every entry, in no particular order. */
  * entries (): IterableIterator<AddressEntry> {
    for (const entry of this.#entries.values()) yield view(entry)
  }

  /**
   * Draw one entry to connect to: `tried` or `new` with even odds (only `new` with `newOnly`),
   * a random non-empty bucket, a random entry in it, accepted with its {@link chance} (raised by
   * 1.2 per rejection, as Bitcoin does). Terrible entries and those `filter` refuses are skipped.
   */
  select (options: SelectOptions = {}): AddressEntry | undefined {
    const maxTries = Math.max(1, options.maxTries ?? 100)
    const now = this.#clock.now()
    let factor = 1
    for (let i = 0; i < maxTries; i++) {
      const useNew = options.newOnly === true || this.#tried.size === 0 || (this.#new.size > 0 && this.#rng.next() < 0.5)
      const table = useNew ? this.#new : this.#tried
      if (table.size === 0) return undefined
      const entry = table.random(this.#rng)
      if (entry == null) return undefined
      if (this.#rng.next() >= Math.min(1, this.#chance(entry, now) * factor)) {
        factor *= 1.2
        continue
      }
      if (this.#isTerrible(entry, now)) continue
      const candidate = view(entry)
      if (options.filter != null && !options.filter(candidate)) continue
      return candidate
    }
    return undefined
  }

  /**
   * Up to `max` distinct entries chosen uniformly among those that are not terrible, for a peer
   * exchange answer. `exclude` (the asker) is never included.
   */
  sample (max: number, exclude?: PeerKey): AddressEntry[] {
    const now = this.#clock.now()
    const k = Math.max(0, Math.floor(max))
    if (k === 0) return []
    // the pool is a scratch array shared by all books (one sample runs at a time): a fresh one
    // per answer was most of the garbage a node with a full book made
    const pool = samplePool
    let size = 0
    for (const entry of this.#entries.values()) {
      if (entry.peer !== exclude && !this.#isTerrible(entry, now)) pool[size++] = entry
    }
    // partial Fisher-Yates
    const n = Math.min(k, size)
    const out: AddressEntry[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const j = i + this.#rng.int(size - i)
      const tmp = pool[i]
      pool[i] = pool[j]
      pool[j] = tmp
      out[i] = view(pool[i])
    }
    pool.fill(undefined as unknown as Entry, 0, size)
    return out
  }

  /** One old `tried` entry that blocks a newer good peer, to test with a feeler. */
  selectTriedCollision (): AddressEntry | undefined {
    if (this.#collisions.size === 0) return undefined
    const peers = [...this.#collisions.keys()]
    if (peers.length === 0) return undefined
    const entry = this.#entries.get(peers[this.#rng.int(peers.length)])
    if (entry == null || entry.table === 'tried') return undefined
    const [bucket, position] = this.#triedSlot(entry)
    const occupant = this.#tried.get(bucket, position)
    return occupant == null ? undefined : view(occupant)
  }

  /**
   * Settle tried-table collisions: the old entry stays if it connected recently; it is evicted
   * (back to `new`) if its test failed, or if it went untested for `testWindowMs`.
   */
  resolveCollisions (): void {
    if (this.#collisions.size === 0) return
    const now = this.#clock.now()
    for (const [peer, since] of [...this.#collisions]) {
      const entry = this.#entries.get(peer)
      if (entry == null || entry.table === 'tried') {
        this.#collisions.delete(peer)
        continue
      }
      const [bucket, position] = this.#triedSlot(entry)
      const old = this.#tried.get(bucket, position)
      if (old == null) {
        this.#makeTried(entry)
        this.#collisions.delete(peer)
        continue
      }
      if (now - old.lastSuccess < this.#o.replacementMs) {
        // the old one still answers: keep it, the newcomer stays in new
        this.#collisions.delete(peer)
      } else if (now - old.lastTry < this.#o.replacementMs) {
        // tested recently and did not answer (else lastSuccess would be recent)
        if (now - old.lastTry > MINUTE) {
          this.#makeTried(entry)
          this.#collisions.delete(peer)
        }
      } else if (now - since > this.#o.testWindowMs) {
        // never tested in time: give the newcomer the slot
        this.#makeTried(entry)
        this.#collisions.delete(peer)
      }
    }
  }

  /** Table sizes and spread. */
  stats (): AddressBookStats {
    const groups = new Set<string>()
    for (const entry of this.#entries.values()) groups.add(entry.group)
    return {
      new: this.#new.size,
      tried: this.#tried.size,
      newBuckets: this.#new.nonEmpty.length,
      triedBuckets: this.#tried.nonEmpty.length,
      groups: groups.size,
      collisions: this.#collisions.size
    }
  }

  /** Whether an entry is worth forgetting (Bitcoin's `IsTerrible`). */
  isTerrible (peer: PeerKey): boolean {
    const entry = this.#entries.get(peer)
    return entry == null || this.#isTerrible(entry, this.#clock.now())
  }

  /** The relative chance of an entry being selected, 0..1 (Bitcoin's `GetChance` plus staleness). */
  chance (peer: PeerKey): number {
    const entry = this.#entries.get(peer)
    return entry == null ? 0 : this.#chance(entry, this.#clock.now())
  }

  #isTerrible (entry: Entry, now: number): boolean {
    if (entry.lastTry > 0 && now - entry.lastTry < MINUTE) return false
    if (entry.seen > now + 10 * MINUTE) return true
    if (now - entry.seen > this.#o.horizonMs) return true
    if (entry.lastSuccess === 0 && entry.attempts >= 3) return true
    if (now - entry.lastSuccess > 7 * DAY && entry.attempts >= 10) return true
    return false
  }

  #chance (entry: Entry, now: number): number {
    let chance = 1
    if (entry.lastTry > 0 && now - entry.lastTry < 10 * MINUTE) chance *= 0.01
    chance *= 0.66 ** Math.min(entry.attempts, 8)
    const stale = now - entry.seen - DAY
    if (stale > 0) chance /= 1 + stale / (7 * DAY)
    return chance
  }

  #cleanAddrs (addrs: readonly string[]): string[] {
    const out: string[] = []
    if (!Array.isArray(addrs)) return out
    for (const addr of addrs) {
      if (out.length >= this.#o.maxAddrsPerPeer) break
      if (typeof addr !== 'string' || !addr.startsWith('/') || addr.length > this.#o.maxAddrLength) continue
      // a relayed address is the relay's, not the peer's: it would put every peer behind one relay
      // in the relay's netgroup, and it lives only as long as a reservation
      if (addr.includes('/p2p-circuit')) continue
      if (!out.includes(addr)) out.push(addr)
    }
    // the book keeps this array: a copy is exactly as long as its addresses, where the array a
    // first push grew holds 17 slots (~150 bytes per peer, most of them empty)
    return out.slice()
  }

  /** The netgroup of the first address that has a known one. */
  #groupOf (addrs: readonly string[]): string {
    for (const addr of addrs) {
      const group = this.netgroup(addr)
      if (group !== UNKNOWN_NETGROUP) return group
    }
    return UNKNOWN_NETGROUP
  }

  #newBucket (group: string, sourceGroup: string): number {
    const o = this.#o
    // the bucket depends on the two netgroups only: a flood of addresses from few netgroups
    // (the very case the tables are for) would hash the same pair again for every address
    const pair = `${group.length}:${group}|${sourceGroup}`
    let bucket = this.#bucketOf.get(pair)
    if (bucket == null) {
      const inner = this.#hash.hash('new-group', group, sourceGroup) % o.newBucketsPerSourceGroup
      bucket = this.#hash.hash('new-bucket', sourceGroup, inner) % o.newBucketCount
      if (this.#bucketOf.size >= MAX_CACHED_PAIRS) this.#bucketOf.clear()
      this.#bucketOf.set(pair, bucket)
    }
    return bucket
  }

  #newPosition (bucket: number, peer: PeerKey): number {
    return this.#hash.hash('position', 'new', bucket, peer) % this.#o.bucketSize
  }

  /** The entry's `tried` slot, hashed once per (peer, netgroup): three keyed hashes are most of a `good`. */
  #triedSlot (entry: Entry): [number, number] {
    const o = this.#o
    if (entry.triedSlot < 0) {
      const inner = this.#hash.hash('tried-peer', entry.peer) % o.triedBucketsPerGroup
      const bucket = this.#hash.hash('tried-bucket', entry.group, inner) % o.triedBucketCount
      const position = this.#hash.hash('position', 'tried', bucket, entry.peer) % o.bucketSize
      entry.triedSlot = bucket * o.bucketSize + position
    }
    return [Math.floor(entry.triedSlot / o.bucketSize), entry.triedSlot % o.bucketSize]
  }

  /** Put a detached entry into its new slot, displacing only a terrible occupant. */
  #placeNew (entry: Entry, now: number): boolean {
    const bucket = this.#newBucket(entry.group, entry.sourceGroup)
    // a bucket whose every slot holds a live entry takes nobody, whatever the slot: no need to
    // hash it (the common case under a flood, when the flooder's buckets are full)
    if (this.#new.isFull(bucket) && !this.#new.some(bucket, occupant => this.#isTerrible(occupant, now))) return false
    const position = this.#newPosition(bucket, entry.peer)
    const occupant = this.#new.get(bucket, position)
    if (occupant != null) {
      if (!this.#isTerrible(occupant, now)) return false
      this.#delete(occupant)
    }
    entry.table = 'new'
    this.#new.put(entry, bucket, position)
    this.#entries.set(entry.peer, entry)
    return true
  }

  /** Move a `new` entry to its tried slot; a previous occupant goes back to `new`. */
  #makeTried (entry: Entry): void {
    const [bucket, position] = this.#triedSlot(entry)
    const old = this.#tried.get(bucket, position)
    this.#new.clear(entry.bucket, entry.position)
    if (old != null) {
      this.#tried.clear(bucket, position)
      const nb = this.#newBucket(old.group, old.sourceGroup)
      const np = this.#newPosition(nb, old.peer)
      const displaced = this.#new.get(nb, np)
      if (displaced != null) this.#delete(displaced)
      old.table = 'new'
      this.#new.put(old, nb, np)
    }
    entry.table = 'tried'
    this.#tried.put(entry, bucket, position)
  }

  /** The peer's confirmed address moved to another netgroup: place it afresh. */
  #regroup (entry: Entry, group: string): void {
    const wasTried = entry.table === 'tried'
    this.#delete(entry)
    entry.group = group
    entry.triedSlot = -1
    if (!this.#placeNew(entry, this.#clock.now())) return
    if (wasTried) {
      const [bucket, position] = this.#triedSlot(entry)
      if (this.#tried.get(bucket, position) == null) this.#makeTried(entry)
    }
  }

  #delete (entry: Entry): void {
    if (entry.table === 'new') this.#new.clear(entry.bucket, entry.position)
    else this.#tried.clear(entry.bucket, entry.position)
    this.#entries.delete(entry.peer)
    this.#collisions.delete(entry.peer)
  }
}

/** {@link AddressBook.sample}'s pool of candidates, cleared after each use. */
const samplePool: Entry[] = []

function view (entry: Entry): AddressEntry {
  return Object.freeze({
    peer: entry.peer,
    addrs: Object.freeze(entry.addrs.slice()),
    group: entry.group,
    sourceGroup: entry.sourceGroup,
    table: entry.table,
    seen: entry.seen,
    lastTry: entry.lastTry,
    lastSuccess: entry.lastSuccess,
    attempts: entry.attempts
  })
}
