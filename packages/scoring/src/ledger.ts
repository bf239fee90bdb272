/**
 * The scoring ledger: Bitcoin's misbehaviour score as a plain, deterministic state machine.
 * It knows peers only by {@link PeerKey} strings and time only through the injected clock, so
 * the libp2p adapter, the simulator and the unit tests drive the same code. This entry point
 * (`@hearsay/scoring/ledger`) loads no libp2p code.
 *
 * @packageDocumentation
 * @module @hearsay/scoring/ledger
 */
import { BoundedMap } from '@hearsay/sansio'
import type { Clock, InfractionName, PeerKey } from '@hearsay/interface'
import { decay } from './decay.ts'
import { ScoringOptionError } from './errors.ts'
import { MinHeap } from './heap.ts'
import { DEFAULT_INFRACTIONS, MAX_IPS_PER_BAN, MAX_REASON_LENGTH, SCORING_DEFAULTS } from './table.ts'

export { DEFAULT_INFRACTIONS, SCORING_DEFAULTS, MAX_IPS_PER_BAN, MAX_REASON_LENGTH } from './table.ts'
export { ScoringOptionError } from './errors.ts'
export { decay } from './decay.ts'

/** Options of a {@link Ledger}. Every one but `clock` has a default in {@link SCORING_DEFAULTS}. */
export interface LedgerOptions {
  /** Where time comes from; ban times are epoch milliseconds so they can be persisted. */
  clock: Clock
  /** Points at which a peer is banned. @default 100 */
  threshold?: number
  /** Length of an automatic ban, and of a manual one given no duration. @default 24 h */
  banDurationMs?: number
  /** Points and credit halve every `halfLifeMs`; `Infinity` turns decay off. @default 1 h */
  halfLifeMs?: number
  /**
   * Infraction weights, merged over {@link DEFAULT_INFRACTIONS}: override a default or add an
   * application's own names, e.g. `{ 'invalid-vote': 25 }`.
   */
  infractions?: Readonly<Record<string, number>>
  /** Weight of a name found in no table. @default 10 */
  unknownInfractionWeight?: number
  /** Credit per useful act, by reason, e.g. `{ 'verified-piece': 2 }`; other reasons earn 1. */
  credits?: Readonly<Record<string, number>>
  /** Most credit a peer can hold. @default 50 */
  maxCredit?: number
  /** Peers that are never banned, automatically or by hand (their points are still counted). */
  allow?: Iterable<PeerKey>
  /** Most scored peers tracked; past it the one with the smallest current score is forgotten. @default 10 000 */
  maxPeers?: number
  /** Most bans held; past it the ban that would expire first is dropped. @default 100 000 */
  maxBans?: number
  /**
   * From a peer's `banIpAfter`-th ban on, the IP addresses it connected from are banned with it
   * (see {@link Ledger.banIps}). @default Infinity (never)
   */
  banIpAfter?: number
}

/** One ban, as held in memory, persisted, and reported in events. Records are immutable. */
export interface BanRecord {
  readonly peer: PeerKey
  /** Why: the infraction that crossed the threshold, or the caller's reason for a manual ban. */
  readonly reason: string
  /** When the ban started (epoch ms). */
  readonly since: number
  /** When it lifts (epoch ms); `Infinity` for a ban that never does. */
  readonly until: number
  /** How many times this peer has been banned, this ban included. */
  readonly strikes: number
  /** IP addresses refused along with the peer (repeat offenders only); usually empty. */
  readonly ips: readonly string[]
  /** `true` for a ban made with {@link Ledger.ban}, `false` for one earned by points. */
  readonly manual: boolean
}

/** Options of {@link Ledger.ban}. */
export interface BanOptions {
  /** How long; `Infinity` bans for good. @default the ledger's `banDurationMs` */
  durationMs?: number
  /** Why, for logs and events. @default 'banned manually' */
  reason?: string
}

/** What a call that may ban did. */
export interface BanResult {
  /** The ban this call made, if it made one. */
  banned?: BanRecord
  /** A ban dropped to stay under `maxBans`, so its persisted copy can be deleted too. */
  evicted?: BanRecord
}

/** What {@link Ledger.report} did. */
export interface ReportResult extends BanResult {
  /** The peer's points after this report (the points that triggered the ban, if it did). */
  score: number
  /** Points this report added (0 when the peer was already banned). */
  weight: number
}

interface Entry {
  readonly points: number
  readonly credit: number
  /** When `points` and `credit` were last brought up to date. */
  readonly at: number
}

/** An eviction candidate; stale once the peer's entry is no longer `entry`. */
interface EntryNode {
  readonly rank: number
  readonly at: number
  readonly peer: PeerKey
  readonly entry: Entry
}

/** An expiry candidate; stale once the peer's ban is no longer `record`. */
interface BanNode {
  readonly until: number
  readonly peer: PeerKey
  readonly record: BanRecord
}

/** Neutral reputation: the tag value of a peer with no points and no credit. */
const NEUTRAL = 50

/**
 * Per-peer misbehaviour points with exponential decay, a threshold that bans, bans that expire,
 * and credit for useful behaviour. Decay is computed lazily from the clock (no per-peer timers);
 * the owner asks {@link Ledger.nextExpiry} when to call {@link Ledger.expire}. Memory is bounded
 * by `maxPeers` scored peers and `maxBans` bans, held apart so that a flood of new peers can
 * never push a ban out.
 */
export class Ledger {
  readonly #clock: Clock
  readonly #threshold: number
  readonly #banDurationMs: number
  readonly #halfLifeMs: number
  readonly #weights: Map<string, number>
  readonly #unknownWeight: number
  readonly #credits: Map<string, number>
  readonly #maxCredit: number
  readonly #allow: Set<PeerKey>
  readonly #maxPeers: number
  readonly #maxBans: number
  readonly #banIpAfter: number

  readonly #peers = new Map<PeerKey, Entry>()
  readonly #evictionOrder = new MinHeap<EntryNode>((a, b) => a.rank < b.rank || (a.rank === b.rank && a.at < b.at))
  readonly #bans = new Map<PeerKey, BanRecord>()
  readonly #expiryOrder = new MinHeap<BanNode>((a, b) => a.until < b.until)
  /** Times each peer was banned; outlives the bans themselves so repeat offenders are known. */
  readonly #strikes: BoundedMap<PeerKey, number>
  /** Banned IP → the peers whose bans list it. */
  readonly #ips = new Map<string, Set<PeerKey>>()

  /** A ledger with `options` over the defaults; throws `ScoringOptionError` for an unusable one. */
  constructor (options: LedgerOptions) {
    if (options?.clock == null || typeof options.clock.now !== 'function') {
      throw new ScoringOptionError('clock', 'a clock with now() is required')
    }
    this.#clock = options.clock
    this.#threshold = positive('threshold', options.threshold ?? SCORING_DEFAULTS.threshold, false)
    this.#banDurationMs = positive('banDurationMs', options.banDurationMs ?? SCORING_DEFAULTS.banDurationMs, true)
    this.#halfLifeMs = positive('halfLifeMs', options.halfLifeMs ?? SCORING_DEFAULTS.halfLifeMs, true)
    this.#unknownWeight = weight('unknownInfractionWeight', options.unknownInfractionWeight ?? SCORING_DEFAULTS.unknownInfractionWeight)
    this.#maxCredit = weight('maxCredit', options.maxCredit ?? SCORING_DEFAULTS.maxCredit)
    this.#maxPeers = count('maxPeers', options.maxPeers ?? SCORING_DEFAULTS.maxPeers)
    this.#maxBans = count('maxBans', options.maxBans ?? SCORING_DEFAULTS.maxBans)
    this.#strikes = new BoundedMap(this.#maxBans)
    const banIpAfter = options.banIpAfter ?? SCORING_DEFAULTS.banIpAfter
    this.#banIpAfter = banIpAfter === Number.POSITIVE_INFINITY ? banIpAfter : count('banIpAfter', banIpAfter)

    // Maps, not objects, so that names like "constructor" are plain names
    this.#weights = new Map(Object.entries(DEFAULT_INFRACTIONS))
    for (const [name, value] of Object.entries(options.infractions ?? {})) {
      this.#weights.set(name, weight(`infractions.${name}`, value))
    }
    this.#credits = new Map()
    for (const [reason, value] of Object.entries(options.credits ?? {})) {
      this.#credits.set(reason, weight(`credits.${reason}`, value))
    }
    this.#allow = new Set(options.allow ?? [])
  }

  /** Points at which a peer is banned. */
  get threshold (): number {
    return this.#threshold
  }

  /** How many scored peers are tracked (banned peers are counted by {@link Ledger.banCount}). */
  get peerCount (): number {
    return this.#peers.size
  }

  /** How many bans are held, including expired ones {@link Ledger.expire} has not yet removed. */
  get banCount (): number {
    return this.#bans.size
  }

  /** The points `name` adds: the application's table, then the defaults, then the unknown weight. */
  weight (name: InfractionName): number {
    return this.#weights.get(name) ?? this.#unknownWeight
  }

  /** The whole infraction table in effect, defaults and application entries merged. */
  infractions (): Record<string, number> {
    return Object.fromEntries(this.#weights)
  }

  /** Whether `peer` is on the allow-list. */
  isAllowed (peer: PeerKey): boolean {
    return this.#allow.has(peer)
  }

  /**
   * Record an infraction. Adds its weight to the peer's decayed points and bans the peer when
   * they, rounded to a whole number, reach the threshold (unless it is allow-listed). Reports
   * about a banned peer change nothing: its connections are already being closed.
   */
  report (peer: PeerKey, name: InfractionName, detail?: string): ReportResult {
    const now = this.#clock.now()
    if (this.#activeBan(peer, now) != null) return { score: 0, weight: 0 }
    const added = this.weight(name)
    const current = this.#current(peer, now)
    const points = current.points + added
    // whole points are compared, so the sliver that decays between reports a moment apart
    // cannot spare a peer: four 25-point infractions in a row are a ban under any half-life
    if (Math.round(points) >= this.#threshold && !this.#allow.has(peer)) {
      // a ban wipes the slate: the peer comes back with no points, as in Bitcoin Core
      this.#forget(peer)
      const reason = `reached ${Math.round(points)} points; last infraction ${name}${detail != null && detail !== '' ? `: ${detail}` : ''}`
      return { score: points, weight: added, ...this.#addBan(peer, reason, now, now + this.#banDurationMs, false) }
    }
    if (added > 0 || this.#peers.has(peer)) this.#set(peer, { points, credit: current.credit, at: now })
    return { score: points, weight: added }
  }

  /**
   * Record useful behaviour. Credit raises the peer's reputation (so pruning keeps it) but never
   * offsets points: a peer cannot bank goodwill to pay for an attack. Returns the new credit.
   */
  credit (peer: PeerKey, reason: string): number {
    const now = this.#clock.now()
    if (this.#activeBan(peer, now) != null) return 0
    const current = this.#current(peer, now)
    const credit = Math.min(this.#maxCredit, current.credit + (this.#credits.get(reason) ?? SCORING_DEFAULTS.creditWeight))
    this.#set(peer, { points: current.points, credit, at: now })
    return credit
  }

  /** The peer's misbehaviour points now, decayed; 0 for unknown and banned peers. */
  score (peer: PeerKey): number {
    return this.#current(peer, this.#clock.now()).points
  }

  /** The peer's credit now, decayed. */
  creditOf (peer: PeerKey): number {
    return this.#current(peer, this.#clock.now()).credit
  }

  /**
   * The peer's standing as an integer 0..100, higher is better: 50 for a peer with no history,
   * up by its credit, down in proportion to its points (0 at the threshold), 0 while banned.
   * The libp2p adapter writes it as a peer-store tag, since libp2p prunes low tag values first.
   */
  reputation (peer: PeerKey): number {
    const now = this.#clock.now()
    if (this.#activeBan(peer, now) != null) return 0
    const { points, credit } = this.#current(peer, now)
    const value = NEUTRAL + credit - NEUTRAL * points / this.#threshold
    return Math.max(0, Math.min(100, Math.round(value)))
  }

  /** Whether `peer` is banned now (a ban whose time has passed no longer counts). */
  isBanned (peer: PeerKey): boolean {
    return this.#activeBan(peer, this.#clock.now()) != null
  }

  /** The peer's ban, if it is banned now. */
  getBan (peer: PeerKey): BanRecord | undefined {
    return this.#activeBan(peer, this.#clock.now())
  }

  /** Every ban in force now, oldest first. */
  list (): BanRecord[] {
    const now = this.#clock.now()
    return [...this.#bans.values()].filter(record => record.until > now).sort((a, b) => a.since - b.since)
  }

  /**
   * Ban `peer` by hand; a ban already in force is replaced (its strike is not counted twice).
   * Allow-listed peers are never banned: the result then has no `banned`.
   *
   * @throws {@link ScoringOptionError} if `durationMs` is not a positive number
   */
  ban (peer: PeerKey, options: BanOptions = {}): BanResult {
    const durationMs = positive('durationMs', options.durationMs ?? this.#banDurationMs, true)
    if (this.#allow.has(peer)) return {}
    const now = this.#clock.now()
    this.#forget(peer)
    return this.#addBan(peer, options.reason ?? 'banned manually', now, now + durationMs, true)
  }

  /** Lift the peer's ban; returns it, or `undefined` if there was none. Its strikes are kept. */
  unban (peer: PeerKey): BanRecord | undefined {
    const record = this.#bans.get(peer)
    if (record == null) return undefined
    this.#removeBan(record)
    return record
  }

  /** Remove the bans whose time has come and return them, earliest first. */
  expire (): BanRecord[] {
    const now = this.#clock.now()
    const expired: BanRecord[] = []
    for (;;) {
      const node = this.#expiryOrder.peek()
      if (node == null || node.until > now) break
      this.#expiryOrder.pop()
      if (this.#bans.get(node.peer) !== node.record) continue
      this.#removeBan(node.record)
      expired.push(node.record)
    }
    return expired
  }

  /** When the earliest ban expires (epoch ms), or `undefined` if none ever will. */
  nextExpiry (): number | undefined {
    for (;;) {
      const node = this.#expiryOrder.peek()
      if (node == null) return undefined
      if (this.#bans.get(node.peer) === node.record) return Number.isFinite(node.until) ? node.until : undefined
      this.#expiryOrder.pop()
    }
  }

  /**
   * Put back a ban loaded from storage. Bans already over, on allow-listed peers, or with
   * nonsensical fields are refused (no `banned` in the result).
   */
  restore (record: BanRecord): BanResult {
    const now = this.#clock.now()
    if (!isBanRecord(record) || record.until <= now || this.#allow.has(record.peer)) return {}
    this.#forget(record.peer)
    return this.#addBan(record.peer, record.reason, record.since, record.until, record.manual, record.strikes, record.ips)
  }

  /**
   * Ban the IP addresses `peer` connected from along with it, if it is banned now and is a
   * repeat offender (`strikes >= banIpAfter`). Returns the updated ban, or `undefined` when
   * nothing changed. Only addresses seen on the peer's own connections should be given: an
   * address a peer merely announces could be someone else's.
   */
  banIps (peer: PeerKey, ips: Iterable<string>): BanRecord | undefined {
    const record = this.#activeBan(peer, this.#clock.now())
    if (record == null || record.strikes < this.#banIpAfter) return undefined
    const merged = [...new Set([...record.ips, ...ips])].slice(0, MAX_IPS_PER_BAN)
    if (merged.length === record.ips.length) return undefined
    const updated: BanRecord = { ...record, ips: merged }
    this.#removeBan(record)
    this.#insertBan(updated)
    return updated
  }

  /** Whether connections from or to `ip` are refused because of a repeat offender's ban. */
  isIpBanned (ip: string): boolean {
    const peers = this.#ips.get(ip)
    if (peers == null) return false
    const now = this.#clock.now()
    for (const peer of peers) {
      if (this.#activeBan(peer, now) != null) return true
    }
    return false
  }

  #activeBan (peer: PeerKey, now: number): BanRecord | undefined {
    const record = this.#bans.get(peer)
    return record != null && record.until > now ? record : undefined
  }

  /** The peer's points and credit decayed to `now` (zeros for an unknown peer). */
  #current (peer: PeerKey, now: number): Entry {
    const entry = this.#peers.get(peer)
    if (entry == null) return { points: 0, credit: 0, at: now }
    const elapsed = now - entry.at
    return {
      points: decay(entry.points, elapsed, this.#halfLifeMs),
      credit: decay(entry.credit, elapsed, this.#halfLifeMs),
      at: now
    }
  }

  #set (peer: PeerKey, entry: Entry): void {
    // make room before inserting, so the peer being scored is never the one forgotten
    if (!this.#peers.has(peer)) {
      while (this.#peers.size >= this.#maxPeers) this.#evictOnePeer()
    }
    this.#peers.set(peer, entry)
    this.#evictionOrder.push({ rank: this.#rank(entry), at: entry.at, peer, entry })
    if (this.#evictionOrder.size > 2 * this.#peers.size + 64) {
      this.#evictionOrder.retain(node => this.#peers.get(node.peer) === node.entry)
    }
  }

  /**
   * Order of eviction: the smallest score now goes first. Every score decays by the same
   * factor, so comparing log2(points + credit) + at / halfLife is comparing current scores,
   * a key that never changes while time passes; ties (and zero scores) go oldest first.
   */
  #rank (entry: Entry): number {
    const magnitude = entry.points + entry.credit
    if (!(magnitude > 0)) return Number.NEGATIVE_INFINITY
    return Math.log2(magnitude) + (Number.isFinite(this.#halfLifeMs) ? entry.at / this.#halfLifeMs : 0)
  }

  #evictOnePeer (): void {
    for (;;) {
      const node = this.#evictionOrder.pop()
      if (node == null) return
      if (this.#peers.get(node.peer) === node.entry) {
        this.#peers.delete(node.peer)
        return
      }
    }
  }

  #forget (peer: PeerKey): void {
    // its heap nodes go stale and are skipped or compacted later
    this.#peers.delete(peer)
  }

  #addBan (peer: PeerKey, reason: string, since: number, until: number, manual: boolean,
    restoredStrikes?: number, restoredIps?: readonly string[]): BanResult {
    const existing = this.#bans.get(peer)
    let strikes: number
    if (restoredStrikes != null) {
      strikes = Math.max(restoredStrikes, this.#strikes.get(peer) ?? 0)
    } else if (existing != null && existing.until > this.#clock.now()) {
      strikes = existing.strikes
    } else {
      strikes = (this.#strikes.get(peer) ?? 0) + 1
    }
    this.#recordStrikes(peer, strikes)

    let evicted: BanRecord | undefined
    if (existing != null) {
      this.#removeBan(existing)
    } else if (this.#bans.size >= this.#maxBans) {
      evicted = this.#evictOneBan()
    }
    const record: BanRecord = {
      peer,
      reason: reason.slice(0, MAX_REASON_LENGTH),
      since,
      until,
      strikes,
      ips: (restoredIps ?? existing?.ips ?? []).slice(0, MAX_IPS_PER_BAN),
      manual
    }
    this.#insertBan(record)
    return evicted == null ? { banned: record } : { banned: record, evicted }
  }

  #recordStrikes (peer: PeerKey, strikes: number): void {
    // least recently struck first out, bounded like the bans
    this.#strikes.set(peer, strikes)
  }

  #insertBan (record: BanRecord): void {
    this.#bans.set(record.peer, record)
    this.#expiryOrder.push({ until: record.until, peer: record.peer, record })
    for (const ip of record.ips) {
      let peers = this.#ips.get(ip)
      if (peers == null) this.#ips.set(ip, peers = new Set())
      peers.add(record.peer)
    }
    if (this.#expiryOrder.size > 2 * this.#bans.size + 64) {
      this.#expiryOrder.retain(node => this.#bans.get(node.peer) === node.record)
    }
  }

  #removeBan (record: BanRecord): void {
    if (this.#bans.get(record.peer) === record) this.#bans.delete(record.peer)
    for (const ip of record.ips) {
      const peers = this.#ips.get(ip)
      peers?.delete(record.peer)
      if (peers?.size === 0) this.#ips.delete(ip)
    }
  }

  /** Drop the ban that would expire first: the least harm when the table is full. */
  #evictOneBan (): BanRecord | undefined {
    for (;;) {
      const node = this.#expiryOrder.pop()
      if (node == null) return undefined
      if (this.#bans.get(node.peer) === node.record) {
        this.#removeBan(node.record)
        return node.record
      }
    }
  }
}

/** Whether `value` has the shape and sane values of a {@link BanRecord}. */
export function isBanRecord (value: unknown): value is BanRecord {
  const r = value as BanRecord
  return r != null && typeof r === 'object' &&
    typeof r.peer === 'string' && r.peer !== '' &&
    typeof r.reason === 'string' &&
    Number.isFinite(r.since) &&
    typeof r.until === 'number' && !Number.isNaN(r.until) && r.until > r.since &&
    Number.isInteger(r.strikes) && r.strikes >= 1 &&
    Array.isArray(r.ips) && r.ips.every(ip => typeof ip === 'string') &&
    typeof r.manual === 'boolean'
}

function positive (option: string, value: number, infinityAllowed: boolean): number {
  if (typeof value !== 'number' || !(value > 0) || (!infinityAllowed && !Number.isFinite(value))) {
    throw new ScoringOptionError(option, `expected a positive number${infinityAllowed ? ' or Infinity' : ''}, got ${value}`)
  }
  return value
}

function weight (option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ScoringOptionError(option, `expected a finite number >= 0, got ${value}`)
  }
  return value
}

function count (option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ScoringOptionError(option, `expected an integer >= 1, got ${value}`)
  }
  return value
}
