import { isUnspecified } from './addrs.ts'
import { pick } from '@hearsay/sansio'
import { AddressBook, LOCAL_SOURCE, type AddressBookOptions, type AddressBookStats, type AddressEntry } from './address-book.ts'
import { DiscoveryOptionError } from './errors.ts'
import { selectInboundToEvict, type EvictionOptions, type InboundCandidate } from './eviction.ts'
import { KeyedHash } from './hash.ts'
import { planFeeler, planOutbound } from './outbound.ts'
import type { Anchor } from './anchors.ts'
import type { Netgroup } from './netgroup.ts'
import type { PexRecord } from './pex.ts'
import type { Clock, PeerKey, Rng } from '@hearsay/interface'

/** Defaults of the policy's numbers (and of `DiscoveryInit`'s). */
export const DISCOVERY_DEFAULTS = Object.freeze({
  targetOutbound: 8,
  maxInbound: 64,
  anchors: 2,
  dialIntervalMs: 5_000,
  maxParallelDials: 4,
  dialRetryMs: 10 * 60_000,
  dialTimeoutMs: 10_000,
  // a new outbound peer is asked at once (as Bitcoin asks only then); the round only refreshes,
  // from an outbound peer, and once a network has converged its answers hold addresses already
  // known (a round every 2 min to any connected peer: an idle 1000-host network of the `scale`
  // bench opened 769 PEX streams and sent 26.5 MB a minute)
  pexIntervalMs: 10 * 60_000,
  pexPeerIntervalMs: 60_000,
  // answers come from a sample this old at most (Bitcoin: ~24 h), so that asking again does not
  // scrape the book; a peer answers the same within it, so the round prefers peers not asked as
  // lately, and a peer connected again within it is not asked again
  pexCacheMs: 30 * 60_000,
  pexMaxPeers: 1000,
  pexTimeoutMs: 10_000,
  feelerIntervalMs: 2 * 60_000,
  // a feeler's job is done once the handshake proved who answers at the address (Bitcoin
  // disconnects a feeler right after the version handshake): held open, it was identified both
  // ways, added to both DHT routing tables and pinged, most of an idle 1000-host network's work
  feelerHoldMs: 0
})

/** The policy's numbers, every one resolved. */
export type PolicyNumbers = { -readonly [K in keyof typeof DISCOVERY_DEFAULTS]: number }

/** Most peers remembered by the per-peer PEX rate limiters. */
const MAX_RATE_ENTRIES = 10_000
/** A request up to this much early is still served (clock and network jitter). */
const RATE_TOLERANCE = 0.9
/**
 * The peer-exchange and feeler rounds wait their interval times a factor drawn uniformly from
 * `[1 - ROUND_JITTER, 1 + ROUND_JITTER)` (the mean stays the interval): hosts started together
 * would otherwise feel and ask in lockstep, every one in the same second of every 2 minutes.
 */
export const ROUND_JITTER = 0.5
/**
 * Share of the address book one peer-exchange answer carries at most (Bitcoin's 23 %), so that
 * no single answer, nor the answers of one cache lifetime, hands out the whole book.
 */
export const ANSWER_SHARE = 0.23
/** An answer may always carry this many peers: a young node's small book is given whole. */
export const ANSWER_FLOOR = 64
/**
 * How long an inbound connection past `maxInbound` waits before an inbound peer is evicted for
 * it. Another node's feeler (closed at once after its handshake, or after a short hold) is gone
 * by then, so testing an address of a full node evicts nobody; a connection that stays is
 * answered as at once before, by the same eviction rules. Each connection past the limit has a
 * grace of its own, up to {@link INBOUND_GRACE_SLOTS} at once; past them one is answered at once.
 */
export const INBOUND_GRACE_MS = 5_000
/**
 * Most inbound connections past `maxInbound` waiting out {@link INBOUND_GRACE_MS} at once: never
 * more than this many past the limit, for at most that long. (With one, a feeler gone within
 * milliseconds still held the only grace for 5 s, and any connection in that time, a second
 * feeler included, had an honest inbound peer evicted at once.)
 */
export const INBOUND_GRACE_SLOTS = 4

/** The sample every answer is cut from: used until `expires`, or until the book has doubled since `bookSize`. */
interface AnswerCache {
  /** each peer's addresses, and when the book last heard of it; `cap` + 1 of them at most */
  records: Array<{ peer: PeerKey, addrs: string[], seen: number }>
  /** most peers one answer carries */
  cap: number
  expires: number
  bookSize: number
}

/** Options of a {@link DiscoveryPolicy}. */
export interface DiscoveryPolicyOptions extends Partial<PolicyNumbers> {
  /** Time source (epoch ms). The policy sets no timers: it says when it is next due ({@link DiscoveryPolicy.nextDue}). */
  clock: Clock
  /** Randomness: selection, the bucket key, the eviction key, whom to ask. */
  rng: Rng
  /** The node's own key: never dialled, asked or stored. */
  self: PeerKey
  /** Most peers one answer carries, whatever is asked (the protocol's limit). @default 1000 */
  maxAnswerPeers?: number
  /** Maps an address to its netgroup. @default /16 for IPv4, /32 for IPv6 */
  netgroup?: Netgroup
  /** Address book sizes and times. */
  addressBook?: Partial<Omit<AddressBookOptions, 'clock' | 'rng' | 'netgroup' | 'self'>>
  /** How many inbound peers each eviction rule protects. */
  eviction?: Omit<EvictionOptions, 'groupRank'>
  /**
   * Whether another part of the node wants a connection to `peer` kept (the service answers
   * from libp2p's `keep-alive` tags: the bootstrap list's peers, and a plain kad-dht's closest peers). A feeler to such a
   * peer is left open when its hold ends, rather than closed for libp2p to dial again at once;
   * it becomes an outbound connection if a slot is free in a netgroup no outbound peer holds, and
   * otherwise never counts as one. @default never
   */
  keep?: (peer: PeerKey) => boolean
}

/** One connection, as the policy is told of it. */
export interface ConnectionInfo {
  /** The connection's id, unique among the node's connections. */
  id: string
  /** The remote peer. */
  peer: PeerKey
  /** Who dialled. */
  direction: 'inbound' | 'outbound'
  /** The remote address as a multiaddr string without `/p2p`, if it has one. */
  addr?: string
  /** When it opened (epoch ms). */
  openedAt: number
  /** Round-trip time in ms, if measured. */
  latencyMs?: number
}

/** How a dial the policy asked for ended. */
export type DialOutcome =
  /** connected; the connection's id (so that a feeler can be closed) */
  | { connection: string }
  /** no connection (refused, timed out, unreachable) */
  | 'failed'
  /** the peer id or an address could not even be parsed: the entry is forgotten */
  | 'unusable'

/** What a {@link DiscoveryPolicy} asks its environment to do. */
export type DiscoveryAction =
  /** Connect to `peer` at `addrs` (multiaddr strings without `/p2p`), then report {@link DiscoveryPolicy.dialed}. */
  | { type: 'dial', peer: PeerKey, addrs: readonly string[], feeler: boolean }
  /** Ask `peer` for up to `max` addresses, then report {@link DiscoveryPolicy.answered} or {@link DiscoveryPolicy.askFailed}. */
  | { type: 'ask', peer: PeerKey, max: number }
  /** Close connection `connection` to `peer`: a feeler that has done its job, or an inbound peer evicted. */
  | { type: 'close', connection: string, peer: PeerKey, reason: 'feeler' | 'evict' }
  /** Store these anchors, to be handed back to {@link DiscoveryPolicy.start} after a restart. */
  | { type: 'save-anchors', anchors: Anchor[] }

/** The policy's view of connections and counters, for `stats()`. */
export interface PolicyStats extends AddressBookStats {
  /** Outbound connections counted toward the target: distinct netgroups, feelers excluded. */
  outbound: number
  /** The target for `outbound`. */
  targetOutbound: number
  /** Inbound connections. */
  inbound: number
  /** Outbound connections per netgroup (feelers excluded). */
  outboundByGroup: Record<string, number>
  /** Inbound connections per netgroup. */
  inboundByGroup: Record<string, number>
  /** Peer ids of the anchors handed to {@link DiscoveryPolicy.start} (dialled first). */
  anchors: string[]
  /** Dials in progress. */
  dialing: number
  /** Peer-exchange requests answered and made since start, and the peers they taught us. */
  pex: { served: number, asked: number, learned: number }
  /** Dials asked for since start: to fill outbound slots (anchors included), feelers, and those that failed. */
  dials: { outbound: number, feeler: number, failed: number }
  /** Connections closed by the policy since start: feelers done, inbound peers evicted. */
  closes: { feeler: number, evict: number }
  /**
   * Feelers left open since start, because another part of the node keeps their peer
   * ({@link DiscoveryPolicyOptions.keep}); with an outbound slot free in a netgroup no outbound
   * peer holds, such a feeler becomes an outbound connection.
   */
  feelersKept: number
}

interface Tracked extends ConnectionInfo {
  group: string
}

/**
 * Resolve and check the policy's numbers.
 *
 * @throws {@link DiscoveryOptionError} naming the first unusable one
 */
export function policyNumbers (init: Partial<Record<keyof PolicyNumbers, unknown>>): PolicyNumbers {
  const o: PolicyNumbers = { ...DISCOVERY_DEFAULTS }
  for (const name of Object.keys(DISCOVERY_DEFAULTS) as Array<keyof PolicyNumbers>) {
    const value = init[name]
    if (value == null) continue
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new DiscoveryOptionError(name, 'expected a number >= 0')
    }
    if (!name.endsWith('Ms') && Number.isFinite(value) && !Number.isInteger(value)) throw new DiscoveryOptionError(name, 'expected an integer')
    o[name] = value
  }
  for (const name of ['dialIntervalMs', 'pexIntervalMs', 'dialTimeoutMs', 'pexTimeoutMs'] as const) {
    if (o[name] <= 0 || !Number.isFinite(o[name])) throw new DiscoveryOptionError(name, 'expected a finite number > 0')
  }
  return o
}

/**
 * Discovery's whole policy as a sans-IO state machine: when to dial, whom to ask, when to feel,
 * whom to evict and what to save as anchors. It owns the {@link AddressBook} and knows the node's
 * connections only from the events it is given; it answers with {@link DiscoveryAction}s and
 * never reads the wall clock or global randomness. The libp2p service turns actions into dials,
 * streams and datastore writes; the simulator into virtual-time events; unit tests read them.
 *
 * Events in: {@link start}, {@link connected}, {@link disconnected}, {@link identified},
 * {@link discovered}, {@link dialed}, {@link answered} / {@link askFailed}, {@link serve},
 * {@link tick} (call it at {@link nextDue}), {@link stopping}.
 *
 * The loops are those of the service before it: a dial round every `dialIntervalMs` (planned by
 * {@link planOutbound}: one outbound connection per netgroup; a dial that connects below the
 * target starts the next at once, within `maxParallelDials` in flight), a peer-exchange round every
 * `pexIntervalMs` (a random outbound peer, preferring those not asked within `pexCacheMs`: as in
 * Bitcoin, a new outbound peer is asked at once and inbound peers never; answers are cut from a
 * sample of the book kept `pexCacheMs`, see {@link serve}; brought forward when the node is below
 * its outbound target with nothing left to dial, one question at a time to a peer not asked
 * within `pexPeerIntervalMs`, and not again after a question that taught nothing), a feeler every
 * `feelerIntervalMs` ({@link planFeeler}), closed as soon as its dial has connected, or after
 * `feelerHoldMs` (or left open when `keep` says another part of the node wants its peer); past
 * `maxInbound` an inbound peer is evicted, after {@link INBOUND_GRACE_MS} if the limit is still
 * passed then ({@link INBOUND_GRACE_SLOTS} connections at most wait so); each round starts its
 * interval again when its dial or question has ended. The peer-exchange and feeler intervals are
 * jittered by {@link ROUND_JITTER} (drawn from the seeded `rng`), so that hosts started together
 * do not act in lockstep. Anchors are dialled first, and the rounds start once their dials have ended.
 */
export class DiscoveryPolicy {
  /** The address book the policy feeds and selects from. */
  readonly book: AddressBook
  /** The resolved numbers. */
  readonly options: Readonly<PolicyNumbers>
  readonly #clock: Clock
  readonly #rng: Rng
  /** draws the rounds' jitter, apart from `#rng` so that jitter does not shift its selections */
  readonly #jitterRng: Rng
  readonly #self: PeerKey
  readonly #maxAnswer: number
  readonly #groupHash: KeyedHash
  readonly #eviction: Omit<EvictionOptions, 'groupRank'>
  readonly #connections = new Map<string, Tracked>()
  /** the outbound ones among them (feelers included), in the same order: the rounds read only these */
  readonly #outbound = new Map<string, Tracked>()
  #inbound = 0
  /** open connections per peer */
  readonly #peers = new Map<PeerKey, number>()
  /** dials in progress, with the netgroup each will fill */
  readonly #dialing = new Map<PeerKey, string>()
  readonly #feelers = new Set<PeerKey>()
  /** feelers past their hold, left open for another part of the node or being closed: still feelers (never outbound) until they close */
  readonly #heldFeelers = new Set<PeerKey>()
  readonly #keep: ((peer: PeerKey) => boolean) | undefined
  readonly #lastServed = new Map<PeerKey, number>()
  #answerCache: AnswerCache | undefined
  readonly #lastAsked = new Map<PeerKey, number>()
  /** feelers to close: peer → [due time, connection id] */
  readonly #feelerCloses = new Map<PeerKey, [number, string]>()
  /** inbound connections past `maxInbound` waiting out {@link INBOUND_GRACE_MS} → when it ends */
  readonly #graces = new Map<string, number>()
  /** inbound connections closed by eviction and not yet gone: they no longer count */
  readonly #evicting = new Set<string>()
  #anchorDials = new Set<PeerKey>()
  #loadedAnchors: Anchor[] = []
  /** the anchors last saved, unless that failed */
  #savedAnchors: readonly Anchor[] = []
  #running = false
  #stopping = false
  #dialDue = Infinity
  #pexDue = Infinity
  #feelerDue = Infinity
  /** the peer asked by the current PEX round, or the feeler dialled by the current feeler round */
  #pexRound: PeerKey | undefined
  #feelerRound: PeerKey | undefined
  /** the current PEX round was brought forward by a starved dial round (see #askWhenStarved) */
  #starvedRound = false
  /** starved questions that taught nothing in a row: the next waits longer (see #askWhenStarved) */
  #starvedMisses = 0
  /** no starved question before this (epoch ms) */
  #starvedUntil = 0
  #counters = { served: 0, asked: 0, learned: 0 }
  #dialCounters = { outbound: 0, feeler: 0, failed: 0 }
  #closeCounters = { feeler: 0, evict: 0 }
  #feelersKept = 0

  /** @throws {@link DiscoveryOptionError} or `AddressBookOptionError` for unusable options */
  constructor (options: DiscoveryPolicyOptions) {
    this.options = Object.freeze(policyNumbers(options))
    this.#clock = options.clock
    this.#rng = options.rng
    this.#self = options.self
    this.#maxAnswer = options.maxAnswerPeers ?? 1000
    this.#eviction = options.eviction ?? {}
    this.#keep = options.keep
    this.#groupHash = new KeyedHash(KeyedHash.randomKey(this.#rng))
    this.book = new AddressBook({
      ...options.addressBook,
      clock: this.#clock,
      rng: this.#rng.fork(),
      netgroup: options.netgroup,
      self: this.#self
    })
    this.#jitterRng = this.#rng.fork()
  }

  /** Whether the policy runs (between {@link start} and {@link stop}). */
  get running (): boolean {
    return this.#running
  }

  // ---- life cycle -------------------------------------------------------------------------

  /**
   * Start: `seeds` (peers the node already knew, e.g. from its peer store) go into the book,
   * and `anchors` (saved by a `save-anchors` action before a restart) are dialled first.
   * Connection state from an earlier run is forgotten; the book is kept.
   */
  start (seeds: ReadonlyArray<{ peer: PeerKey, addrs: readonly string[] }> = [], anchors: readonly Anchor[] = []): DiscoveryAction[] {
    this.#reset()
    this.#running = true
    for (const seed of seeds) this.book.add(seed.peer, seed.addrs, { group: LOCAL_SOURCE })
    this.#loadedAnchors = anchors.filter(a => a.peer !== this.#self)
    const actions: DiscoveryAction[] = []
    for (const anchor of this.#loadedAnchors) {
      this.book.add(anchor.peer, anchor.addrs, { group: LOCAL_SOURCE }, { confirmed: true })
      const entry = this.book.get(anchor.peer)
      if (entry != null && this.#dial(entry, false, actions)) this.#anchorDials.add(anchor.peer)
    }
    if (this.#anchorDials.size === 0) this.#startRounds()
    return actions
  }

  /**
   * The node is about to stop, its connections still open: save anchors now (never erase them).
   * From here no round runs and nothing is dialled or asked: the other services stop in the
   * meantime and every connection is about to close (a dial round due then dialled peers only to
   * drop them, and kept the node busy on its way down).
   */
  stopping (): DiscoveryAction[] {
    this.#stopping = true
    const actions: DiscoveryAction[] = []
    if (this.#running) this.#saveAnchors(actions)
    return actions
  }

  /** Stop: no more actions until the next {@link start}. */
  stop (): void {
    this.#running = false
    this.#stopping = true
    this.#dialDue = this.#pexDue = this.#feelerDue = Infinity
  }

  /** A `save-anchors` action could not be carried out: the next round tries again. */
  saveFailed (): void {
    this.#savedAnchors = []
  }

  // ---- time -------------------------------------------------------------------------------

  /** When {@link tick} next has something to do (epoch ms), or `undefined` if nothing is pending. */
  nextDue (): number | undefined {
    if (!this.#running || this.#stopping) return undefined
    let due = Math.min(this.#dialDue, this.#pexDue, this.#feelerDue)
    for (const at of this.#graces.values()) if (at < due) due = at
    for (const [at] of this.#feelerCloses.values()) if (at < due) due = at
    return Number.isFinite(due) ? due : undefined
  }

  /** Run whatever is due: feelers to close, an inbound grace that ended, the dial, peer-exchange and feeler rounds. */
  tick (): DiscoveryAction[] {
    const actions: DiscoveryAction[] = []
    if (!this.#running || this.#stopping) return actions
    const now = this.#clock.now()
    if (this.#feelerCloses.size > 0) for (const [peer, [at, connection]] of [...this.#feelerCloses]) {
      if (at <= now) {
        this.#feelerCloses.delete(peer)
        this.#closeFeeler(peer, connection, actions)
      }
    }
    if (this.#graces.size > 0) for (const [id, at] of [...this.#graces]) {
      if (at > now) continue
      this.#graces.delete(id)
      // past the limit by more than the connections still waiting: evict down to it, never the
      // one whose grace ended unless every other is protected
      for (let surplus = this.#surplus(); surplus > 0; surplus--) {
        if (!this.#evictInbound(this.#connections.get(id), actions)) break
      }
    }
    if (this.#dialDue <= now) {
      this.#dialRound(actions)
      this.#dialDue = now + this.options.dialIntervalMs
    }
    if (this.#pexDue <= now) {
      this.#pexDue = Infinity
      this.#pexRound = this.#pexRoundAsk(actions)
      if (this.#pexRound == null) this.#pexDue = now + this.#jittered(this.options.pexIntervalMs)
    }
    if (this.#feelerDue <= now) {
      this.#feelerDue = Infinity
      this.#feelerRound = this.#feelerRoundDial(actions)
      if (this.#feelerRound == null) this.#feelerDue = now + this.#jittered(this.options.feelerIntervalMs)
    }
    return actions
  }

  // ---- connections ------------------------------------------------------------------------

  /**
   * A connection opened. Outbound: the peer is reachable at that address (good), and a new
   * outbound peer that is no feeler is asked for addresses at once, as Bitcoin does. Inbound:
   * past `maxInbound`, one inbound peer is evicted by diversity, or the newcomer refused — after
   * {@link INBOUND_GRACE_MS}, if the limit is still passed then (at once past {@link INBOUND_GRACE_SLOTS}).
   */
  connected (info: ConnectionInfo): DiscoveryAction[] {
    const actions: DiscoveryAction[] = []
    const tracked: Tracked = { ...info, group: this.book.netgroup(info.addr ?? '') }
    if (this.#connections.has(info.id)) return actions
    this.#connections.set(info.id, tracked)
    if (info.direction === 'outbound') this.#outbound.set(info.id, tracked)
    else if (info.direction === 'inbound') this.#inbound++
    this.#peers.set(info.peer, (this.#peers.get(info.peer) ?? 0) + 1)
    if (info.direction === 'outbound') {
      if (info.addr != null && !this.book.has(info.peer)) {
        this.book.add(info.peer, [info.addr], { addr: info.addr }, { confirmed: true })
      }
      this.book.good(info.peer)
      if (!this.#feelers.has(info.peer) && !this.#stopping) this.#askNew(info.peer, actions)
    } else {
      this.#limitInbound(tracked, actions)
    }
    return actions
  }

  /** A connection closed. */
  disconnected (id: string): void {
    const tracked = this.#connections.get(id)
    if (tracked == null) return
    this.#connections.delete(id)
    this.#graces.delete(id)
    this.#evicting.delete(id)
    if (tracked.direction === 'outbound') this.#outbound.delete(id)
    else if (tracked.direction === 'inbound') this.#inbound--
    const left = (this.#peers.get(tracked.peer) ?? 1) - 1
    if (left > 0) this.#peers.set(tracked.peer, left)
    else {
      this.#peers.delete(tracked.peer)
      // a feeler left open or closed has done its job once it closes: the peer may be an outbound one later
      if (this.#heldFeelers.delete(tracked.peer)) this.#feelers.delete(tracked.peer)
    }
  }

  /** A connection's round-trip time was measured (inbound eviction protects the fastest). */
  measured (id: string, latencyMs: number): void {
    const tracked = this.#connections.get(id)
    if (tracked != null && Number.isFinite(latencyMs)) tracked.latencyMs = latencyMs
  }

  /** A peer announced its own addresses over an authenticated connection whose remote address is `via`. */
  identified (peer: PeerKey, addrs: readonly string[], via?: string): void {
    if (peer === this.#self) return
    const usable = addrs.filter(a => !isUnspecified(a))
    if (usable.length === 0) return
    this.book.add(peer, usable, { addr: via }, { confirmed: true })
    this.book.connected(peer)
  }

  /** Another module (bootstrap list, DHT, mDNS) found a peer: no peer of ours vouched for it. */
  discovered (peer: PeerKey, addrs: readonly string[]): void {
    if (peer === this.#self || this.book.has(peer)) return
    this.book.add(peer, addrs.filter(a => !isUnspecified(a)), { group: LOCAL_SOURCE })
  }

  /** A dial from a `dial` action ended. */
  dialed (peer: PeerKey, outcome: DialOutcome): DiscoveryAction[] {
    const actions: DiscoveryAction[] = []
    if (!this.#dialing.delete(peer)) return actions
    const feeler = this.#feelers.has(peer)
    if (outcome === 'unusable') {
      this.#feelers.delete(peer)
      this.book.remove(peer)
    } else if (outcome === 'failed') {
      this.#dialCounters.failed++
      this.#feelers.delete(peer)
      if (this.#running) this.book.attempt(peer, true)
    } else {
      this.book.good(peer)
      if (!feeler) {
        this.#feelers.delete(peer)
        // the next slot is dialled now rather than at the next round: a node filled its slots
        // 4 per 5 s round
        const free = this.options.maxParallelDials - this.#dialing.size
        if (free > 0 && this.#running && !this.#stopping && Number.isFinite(this.#dialDue)) this.#fill(actions, free)
      }
      else if (this.options.feelerHoldMs > 0) this.#feelerCloses.set(peer, [this.#clock.now() + this.options.feelerHoldMs, outcome.connection])
      else this.#closeFeeler(peer, outcome.connection, actions)
    }
    if (this.#feelerRound === peer) {
      this.#feelerRound = undefined
      this.#feelerDue = this.#clock.now() + this.#jittered(this.options.feelerIntervalMs)
    }
    if (this.#anchorDials.delete(peer) && this.#anchorDials.size === 0 && this.#running) this.#startRounds()
    return actions
  }

  // ---- peer exchange ----------------------------------------------------------------------

  /**
   * Ask `peer` now, outside the PEX round but within the per-peer interval.
   *
   * @returns how many addresses to ask for, or `undefined` if `peer` was asked too recently
   */
  askNow (peer: PeerKey): number | undefined {
    if (peer === this.#self || !this.#running) return undefined
    const now = this.#clock.now()
    const last = this.#lastAsked.get(peer)
    if (last != null && now - last < this.options.pexPeerIntervalMs) return undefined
    remember(this.#lastAsked, peer, now)
    return Math.min(this.options.pexMaxPeers, this.#maxAnswer)
  }

  /**
   * `peer` answered a question with `records` (already decoded and bounded by the protocol).
   * Each goes into the book from the netgroup of `peer`'s connection.
   *
   * @returns how many peers were new to the book
   */
  answered (peer: PeerKey, records: readonly PexRecord[]): number {
    const starved = this.#starvedRound && this.#pexRound === peer
    this.#endPexRound(peer)
    const addr = this.#addrOf(peer)
    // the source's netgroup once per answer, not once per record
    const source = addr != null ? { group: this.book.netgroup(addr) } : {}
    let added = 0
    for (const record of records) {
      const addrs = record.addrs.some(isUnspecified) ? record.addrs.filter(a => !isUnspecified(a)) : record.addrs
      if (this.book.add(record.peer, addrs, source, { ageMs: record.ageMs })) added++
    }
    this.#counters.asked++
    this.#counters.learned += added
    if (added > 0) {
      this.#starvedMisses = 0
      this.#starvedUntil = 0
    } else if (starved) {
      this.#starvedUntil = this.#clock.now() + this.#starvedWaitMs()
      this.#starvedMisses++
    }
    return added
  }

  /** A question to `peer` got no usable answer. */
  askFailed (peer: PeerKey): void {
    this.#endPexRound(peer)
  }

  /**
   * `peer` asks us for up to `max` addresses: they come from a sample of at most
   * {@link ANSWER_SHARE} of the book, drawn again every `pexCacheMs` (jittered), so that every
   * asker within one lifetime gets the same peers and the book cannot be scraped by asking again.
   *
   * @returns the answer, or `{ tooSoonMs }` (ms since its last request) when it asks more often than `pexPeerIntervalMs` allows
   */
  serve (peer: PeerKey, max: number): { records: PexRecord[] } | { tooSoonMs: number } {
    const now = this.#clock.now()
    const last = this.#lastServed.get(peer)
    if (last != null && now - last < this.options.pexPeerIntervalMs * RATE_TOLERANCE) return { tooSoonMs: now - last }
    remember(this.#lastServed, peer, now)
    const sample = this.#answerSample(now)
    const n = Math.min(Math.max(0, Math.floor(max)), sample.cap)
    const records: PexRecord[] = []
    for (const cached of sample.records) {
      if (records.length >= n) break
      if (cached.peer !== peer) records.push({ peer: cached.peer, addrs: cached.addrs, ageMs: Math.max(0, now - cached.seen) })
    }
    this.#counters.served++
    return { records }
  }

  /**
   * The sample answers are cut from: at most {@link ANSWER_SHARE} of the book (never fewer than
   * {@link ANSWER_FLOOR}, never more than the protocol's limit), drawn again once `pexCacheMs`
   * (jittered) has passed, or sooner when the book has doubled since (a young node learning its
   * network). Within a lifetime every asker gets the same peers, so asking again learns nothing.
   */
  #answerSample (now: number): AnswerCache {
    const size = this.book.size
    const cache = this.#answerCache
    // a book no larger than one answer is given whole, so always as it is now
    const whole = cache != null && cache.bookSize <= cache.cap
    if (cache != null && now < cache.expires && size < 2 * cache.bookSize && !(whole && size !== cache.bookSize)) return cache
    const cap = Math.min(this.#maxAnswer, Math.max(ANSWER_FLOOR, Math.ceil(ANSWER_SHARE * size)))
    // one more than the cap: the asker, if drawn, is left out of its own answer
    const records = this.book.sample(cap + 1).map(e => ({ peer: e.peer, addrs: Object.freeze([...e.addrs]) as string[], seen: e.seen }))
    this.#answerCache = { records, cap, expires: now + this.#jittered(this.options.pexCacheMs), bookSize: size }
    return this.#answerCache
  }

  // ---- reading ----------------------------------------------------------------------------

  /** Whether `peer` has an open connection. */
  isConnected (peer: PeerKey): boolean {
    return this.#peers.has(peer)
  }

  /** Peers of the open outbound connections that count toward the target (feelers excluded). */
  outboundPeers (): PeerKey[] {
    const out: PeerKey[] = []
    for (const c of this.#outbound.values()) if (!this.#feelers.has(c.peer)) out.push(c.peer)
    return out
  }

  /** Sizes, connections by netgroup, anchors, counters. */
  stats (): PolicyStats {
    const outboundByGroup: Record<string, number> = {}
    const inboundByGroup: Record<string, number> = {}
    let inbound = 0
    for (const c of this.#connections.values()) {
      if (c.direction === 'outbound') {
        if (this.#feelers.has(c.peer)) continue
        outboundByGroup[c.group] = (outboundByGroup[c.group] ?? 0) + 1
      } else {
        inbound++
        inboundByGroup[c.group] = (inboundByGroup[c.group] ?? 0) + 1
      }
    }
    return {
      ...this.book.stats(),
      outbound: Object.keys(outboundByGroup).length,
      targetOutbound: this.options.targetOutbound,
      inbound,
      outboundByGroup,
      inboundByGroup,
      anchors: this.#loadedAnchors.map(a => a.peer),
      dialing: this.#dialing.size,
      pex: { ...this.#counters },
      dials: { ...this.#dialCounters },
      closes: { ...this.#closeCounters },
      feelersKept: this.#feelersKept
    }
  }

  // ---- rounds -----------------------------------------------------------------------------

  #reset (): void {
    this.#connections.clear()
    this.#outbound.clear()
    this.#inbound = 0
    this.#peers.clear()
    this.#dialing.clear()
    this.#feelers.clear()
    this.#feelerCloses.clear()
    this.#graces.clear()
    this.#evicting.clear()
    this.#anchorDials = new Set()
    this.#pexRound = this.#feelerRound = undefined
    this.#starvedRound = false
    this.#starvedMisses = this.#starvedUntil = 0
    this.#stopping = false
    this.#counters = { served: 0, asked: 0, learned: 0 }
    this.#dialCounters = { outbound: 0, feeler: 0, failed: 0 }
    this.#closeCounters = { feeler: 0, evict: 0 }
    this.#feelersKept = 0
    this.#heldFeelers.clear()
  }

  #startRounds (): void {
    const now = this.#clock.now()
    this.#dialDue = now
    this.#pexDue = now + this.#jittered(this.options.pexIntervalMs)
    if (this.options.feelerIntervalMs > 0) this.#feelerDue = now + this.#jittered(this.options.feelerIntervalMs)
  }

  /** `ms` times a factor in `[1 - ROUND_JITTER, 1 + ROUND_JITTER)`. */
  #jittered (ms: number): number {
    return ms * (1 - ROUND_JITTER + 2 * ROUND_JITTER * this.#jitterRng.next())
  }

  /** The open outbound connections that count toward the target (feelers excluded). */
  #counted (): Tracked[] {
    const counted: Tracked[] = []
    for (const c of this.#outbound.values()) if (!this.#feelers.has(c.peer)) counted.push(c)
    return counted
  }

  /** Netgroups holding one of the `counted` connections or a dial in progress. */
  #outboundGroups (counted = this.#counted()): Set<string> {
    const groups = new Set<string>()
    for (const c of counted) groups.add(c.group)
    for (const group of this.#dialing.values()) groups.add(group)
    return groups
  }

  readonly #skip = (peer: PeerKey): boolean => peer === this.#self || this.#peers.has(peer) || this.#dialing.has(peer)

  #dialRound (actions: DiscoveryAction[]): void {
    // read once for the plan and the anchors: dials in progress change neither
    const counted = this.#counted()
    this.#fill(actions, this.options.maxParallelDials, counted)
    this.book.resolveCollisions()
    this.#saveAnchors(actions, counted)
  }

  /** Dial toward the outbound target, at most `maxDials` more; starved, ask instead. */
  #fill (actions: DiscoveryAction[], maxDials: number, counted = this.#counted()): void {
    const outboundGroups = this.#outboundGroups(counted)
    // with every slot filled the plan is empty (and draws nothing): most rounds
    if (outboundGroups.size >= this.options.targetOutbound) return
    const plan = planOutbound(this.book, {
      target: this.options.targetOutbound,
      outboundGroups,
      skip: this.#skip,
      retryMs: this.options.dialRetryMs,
      now: this.#clock.now(),
      maxDials
    })
    for (const entry of plan) this.#dial(entry, false, actions)
    if (plan.length === 0) this.#askWhenStarved(actions)
  }

  /**
   * Below the outbound target with nothing left to dial, the book is what holds the node back
   * (a young network's answers were cut from small books): the next PEX round comes now rather
   * than within `pexIntervalMs` — one question at a time, each to an outbound peer not asked
   * within `pexPeerIntervalMs` (the limit its answerer enforces anyway), so a node starved with
   * five outbound peers hears from all five within a few dial rounds, not one a minute (at 1000
   * hosts that held a tenth of them below target for two minutes). After a question that taught
   * nothing the next waits `pexPeerIntervalMs`, doubled per such question in a row, until some
   * answer adds an address (the regular round asks every `pexIntervalMs` meanwhile): a network
   * smaller than the target is not asked every minute, and a node whose only outbound peer first
   * answered from a sample cut while that peer's book was young hears a sample drawn again once
   * that book has grown. (Asking no more until an answer added an address held 3 of 1000 hosts
   * of the `scale` bench at one outbound peer, their books holding only it and the 3 to 9 peers
   * that had dialled them, for 8 to 9 minutes: until the regular round.)
   */
  #askWhenStarved (actions: DiscoveryAction[]): void {
    if (this.#dialing.size > 0 || this.#pexRound != null || this.#clock.now() < this.#starvedUntil) return
    const peer = this.#pexRoundAsk(actions) ?? this.#askInbound(actions)
    if (peer == null) return
    this.#pexRound = peer
    this.#pexDue = Infinity
    this.#starvedRound = true
  }

  /** How long a starved node waits after its next question that teaches nothing. */
  #starvedWaitMs (): number {
    return this.options.pexPeerIntervalMs * 2 ** Math.min(this.#starvedMisses, 20)
  }

  #pexRoundAsk (actions: DiscoveryAction[]): PeerKey | undefined {
    const now = this.#clock.now()
    // outbound peers only, as Bitcoin asks: an inbound peer chose us, and may be anyone's; those
    // not asked within `pexCacheMs` first (any other would answer from the sample it gave us),
    // else those not asked within `pexPeerIntervalMs` (a young network's books grow faster)
    const fresh: PeerKey[] = []
    const recent: PeerKey[] = []
    for (const c of this.#counted()) {
      const last = this.#lastAsked.get(c.peer)
      const list = last == null || now - last >= this.options.pexCacheMs ? fresh : now - last >= this.options.pexPeerIntervalMs ? recent : undefined
      if (list != null && !list.includes(c.peer)) list.push(c.peer)
    }
    const peer = pick(this.#rng, fresh.length > 0 ? fresh : recent)
    if (peer == null) return undefined
    return this.#ask(peer, actions) ? peer : undefined
  }

  /**
   * With no outbound peer at all, an inbound one is asked: whose dials were all refused (a young
   * network's busy hosts) and whose book holds only the peers that dialled it has no one else to
   * learn from, and sat below its target with inbound peers only (2 of 1000 hosts of the `scale`
   * bench). An inbound peer may be anyone's, so this is the starved node's last resort, never a
   * round's: one question at a time, each peer at most every `pexPeerIntervalMs`.
   */
  #askInbound (actions: DiscoveryAction[]): PeerKey | undefined {
    if (this.#outbound.size > 0) return undefined
    const inbound: PeerKey[] = []
    for (const c of this.#connections.values()) if (c.direction === 'inbound' && !inbound.includes(c.peer)) inbound.push(c.peer)
    const peer = pick(this.#rng, inbound)
    return peer != null && this.#ask(peer, actions) ? peer : undefined
  }

  #feelerRoundDial (actions: DiscoveryAction[]): PeerKey | undefined {
    const entry = planFeeler(this.book, {
      outboundGroups: this.#outboundGroups(),
      skip: this.#skip,
      retryMs: this.options.dialRetryMs,
      now: this.#clock.now()
    })
    return entry != null && this.#dial(entry, true, actions) ? entry.peer : undefined
  }

  #endPexRound (peer: PeerKey): void {
    if (this.#pexRound !== peer) return
    this.#pexRound = undefined
    this.#starvedRound = false
    if (this.#running) this.#pexDue = this.#clock.now() + this.#jittered(this.options.pexIntervalMs)
  }

  #ask (peer: PeerKey, actions: DiscoveryAction[]): boolean {
    const max = this.askNow(peer)
    if (max == null) return false
    actions.push({ type: 'ask', peer, max })
    return true
  }

  /**
   * A new outbound connection: its peer is asked unless it was asked within `pexCacheMs` (a
   * connection opened again soon, as the DHT's are, would get the sample it was given before).
   */
  #askNew (peer: PeerKey, actions: DiscoveryAction[]): void {
    const last = this.#lastAsked.get(peer)
    if (last == null || this.#clock.now() - last >= this.options.pexCacheMs) this.#ask(peer, actions)
  }

  #dial (entry: AddressEntry, feeler: boolean, actions: DiscoveryAction[]): boolean {
    if (this.#dialing.has(entry.peer) || !this.#running) return false
    this.#dialing.set(entry.peer, entry.group)
    if (feeler) this.#feelers.add(entry.peer)
    this.#dialCounters[feeler ? 'feeler' : 'outbound']++
    actions.push({ type: 'dial', peer: entry.peer, addrs: entry.addrs, feeler })
    return true
  }

  #closeFeeler (peer: PeerKey, connection: string, actions: DiscoveryAction[]): void {
    if (!this.#feelers.has(peer)) return
    if (!this.#connections.has(connection)) {
      this.#feelers.delete(peer)
      return
    }
    // another part of the node wants this peer connected (the bootstrap list its peers, a plain
    // kad-dht its closest ones): closing would only make libp2p dial it again at once
    if (this.#keep?.(peer) === true) {
      this.#feelersKept++
      // with a slot free in a netgroup no outbound peer holds, the open connection fills it: the
      // feeler chose its peer outside the netgroups in use, so one outbound per netgroup holds
      const tracked = this.#connections.get(connection)
      const counted = this.#counted()
      const groups = this.#outboundGroups(counted)
      if (tracked?.direction === 'outbound' && groups.size < this.options.targetOutbound && !groups.has(tracked.group)) {
        this.#feelers.delete(peer)
        this.#askNew(peer, actions)
        return
      }
      // else it stays a feeler, never taking an outbound slot, until it closes
      this.#heldFeelers.add(peer)
      return
    }
    // a feeler only tests reachability (as Bitcoin's, it disconnects after the handshake): kept,
    // it would become an outbound connection outside the one-per-netgroup rule; until the
    // connection is gone it is still no outbound peer
    this.#heldFeelers.add(peer)
    this.#closeCounters.feeler++
    actions.push({ type: 'close', connection, peer, reason: 'feeler' })
  }

  /**
   * Past `maxInbound`: a connection waits out {@link INBOUND_GRACE_MS} (a feeler is gone by then),
   * up to {@link INBOUND_GRACE_SLOTS} at once; past them one inbound peer is evicted at once.
   */
  #limitInbound (newcomer: Tracked, actions: DiscoveryAction[]): void {
    if (this.#inbound - this.#evicting.size <= this.options.maxInbound) return
    if (this.#graces.size < INBOUND_GRACE_SLOTS) {
      this.#graces.set(newcomer.id, this.#clock.now() + INBOUND_GRACE_MS)
      return
    }
    this.#evictInbound(newcomer, actions)
  }

  /** Inbound connections past `maxInbound`, those closing and those waiting out a grace aside. */
  #surplus (): number {
    return this.#inbound - this.#evicting.size - this.#graces.size - this.options.maxInbound
  }

  /**
   * Evict one inbound peer by diversity, never `newcomer` (if given) unless every other is protected.
   *
   * @returns whether one was
   */
  #evictInbound (newcomer: Tracked | undefined, actions: DiscoveryAction[]): boolean {
    const inbound: Tracked[] = []
    for (const c of this.#connections.values()) if (c.direction === 'inbound' && !this.#evicting.has(c.id)) inbound.push(c)
    const candidates: InboundCandidate[] = inbound
      .filter(c => c.id !== newcomer?.id)
      .map(c => ({ peer: c.id, group: c.group, connectedAt: c.openedAt, latencyMs: c.latencyMs }))
    const victimId = selectInboundToEvict(candidates, {
      ...this.#eviction,
      groupRank: group => this.#groupHash.hash('evict', group)
    })
    const victim = inbound.find(c => c.id === victimId) ?? newcomer
    if (victim == null || this.#evicting.has(victim.id)) return false
    this.#evicting.add(victim.id)
    // an evicted connection waiting out a grace waits no more
    this.#graces.delete(victim.id)
    this.#closeCounters.evict++
    actions.push({ type: 'close', connection: victim.id, peer: victim.peer, reason: 'evict' })
    return true
  }

  /** The longest-standing outbound peers, unless there are none (never erase on the way down). */
  #saveAnchors (actions: DiscoveryAction[], counted = this.#counted()): void {
    if (this.options.anchors === 0) return
    // every dial round (5 s): the longest-standing peers are picked and compared with the saved
    // anchors in place, and anchors built only when they differ (a copy and a sort of the
    // outbound connections and a copy of each peer's book entry, every round, were ~4 % of what an
    // idle 1000-host network allocated)
    const picked: Tracked[] = []
    while (picked.length < this.options.anchors) {
      let next: Tracked | undefined
      for (const c of counted) {
        // the earliest opened (the first of equals), one per peer, with an address to dial
        if (next != null && c.openedAt >= next.openedAt) continue
        if (holdsPeer(picked, c.peer)) continue
        if (c.addr == null && (this.book.addrsOf(c.peer)?.length ?? 0) === 0) continue
        next = c
      }
      if (next == null) break
      picked.push(next)
    }
    if (picked.length === 0) return
    if (this.#pickedAreSaved(picked)) return
    const anchors: Anchor[] = picked.map(c => ({ peer: c.peer, addrs: anchorAddrs(c.addr, this.book.addrsOf(c.peer) ?? []) }))
    this.#savedAnchors = anchors
    actions.push({ type: 'save-anchors', anchors })
  }

  /** Whether the anchors `picked` would make are the saved ones. */
  #pickedAreSaved (picked: readonly Tracked[]): boolean {
    const saved = this.#savedAnchors
    if (picked.length !== saved.length) return false
    for (let i = 0; i < picked.length; i++) {
      const c = picked[i]
      if (c.peer !== saved[i].peer || !sameMergedAddrs(saved[i].addrs, c.addr, this.book.addrsOf(c.peer) ?? [])) return false
    }
    return true
  }

  /** The remote address of `peer`'s first open connection. */
  #addrOf (peer: PeerKey): string | undefined {
    for (const c of this.#connections.values()) if (c.peer === peer) return c.addr
    return undefined
  }
}

/** Whether one of `list` is a connection to `peer`. */
function holdsPeer (list: readonly Tracked[], peer: PeerKey): boolean {
  for (const c of list) if (c.peer === peer) return true
  return false
}

/** An anchor's addresses: its connection's, then the book's, without missing and repeated ones. */
function anchorAddrs (first: string | undefined, rest: readonly string[]): string[] {
  return [first, ...rest].filter((a, i, all): a is string => a != null && all.indexOf(a) === i)
}

/** Whether `saved` equals `anchorAddrs(first, rest)`, compared in place (no list built). */
function sameMergedAddrs (saved: readonly string[], first: string | undefined, rest: readonly string[]): boolean {
  let k = 0
  for (let j = -1; j < rest.length; j++) {
    const addr = j < 0 ? first : rest[j]
    if (addr == null || (j >= 0 && (addr === first || rest.indexOf(addr) < j))) continue
    if (saved[k++] !== addr) return false
  }
  return k === saved.length
}

/** Insert or refresh `key` at the end of an insertion-ordered map, dropping the oldest past the cap. */
function remember (map: Map<PeerKey, number>, key: PeerKey, value: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > MAX_RATE_ENTRIES) {
    const oldest = map.keys().next().value
    if (oldest != null) map.delete(oldest)
  }
}
