import { cryptoRng, pick, scoringOf, systemClock, type CancelTimer, type TimedClock } from '@hearsay/sansio'
import { TypedEventEmitter, peerDiscoverySymbol, serviceCapabilities } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { Key } from 'interface-datastore'
import { AddressBook, LOCAL_SOURCE, type AddressEntry } from './address-book.ts'
import { addrString, isUnspecified, usableAddrs } from './addrs.ts'
import { decodeAnchors, encodeAnchors, type Anchor } from './anchors.ts'
import { DiscoveryOptionError } from './errors.ts'
import { selectInboundToEvict, type InboundCandidate } from './eviction.ts'
import { KeyedHash } from './hash.ts'
import { planFeeler, planOutbound } from './outbound.ts'
import {
  PEX_LIMITS, PEX_PROTOCOL, boundedLength, decodePexFrame, encodePexRequest, encodePexResponse, readPexPeers, type PexLimits
} from './pex.ts'
import type { Discovery, DiscoveryComponents, DiscoveryInit, DiscoveryStats } from './types.ts'
import type { InfractionName, PeerKey, PeerReporter, Rng } from '@hearsay/interface'
import type {
  AbortOptions, Connection, IdentifyResult, Logger, PeerDiscoveryEvents, PeerId, PeerInfo, Stream
} from '@libp2p/interface'

/** Where anchors are saved in the node's datastore. */
export const DEFAULT_ANCHORS_KEY = '/hearsay/discovery/anchors'

/** Defaults of {@link DiscoveryInit}'s numbers. */
export const DISCOVERY_DEFAULTS = Object.freeze({
  targetOutbound: 8,
  maxInbound: 64,
  anchors: 2,
  dialIntervalMs: 5_000,
  maxParallelDials: 4,
  dialRetryMs: 10 * 60_000,
  dialTimeoutMs: 10_000,
  pexIntervalMs: 30_000,
  pexPeerIntervalMs: 60_000,
  pexMaxPeers: 1000,
  pexTimeoutMs: 10_000,
  feelerIntervalMs: 2 * 60_000,
  feelerHoldMs: 2_000
})

/** Most peers remembered by the per-peer PEX rate limiters. */
const MAX_RATE_ENTRIES = 10_000
/** A request up to this much early is still served (clock and network jitter). */
const RATE_TOLERANCE = 0.9

type Numbers = { -readonly [K in keyof typeof DISCOVERY_DEFAULTS]: number }

/**
 * The libp2p adapter around an {@link AddressBook}: feeds it from identify, the peer store,
 * connections and peer exchange; runs the dial loop, feelers and the PEX timer; evicts inbound
 * peers by diversity; saves and redials anchors; serves `/hearsay/pex/1.0.0`.
 */
class DiscoveryService extends TypedEventEmitter<PeerDiscoveryEvents> implements Discovery {
  readonly [Symbol.toStringTag] = '@hearsay/discovery'
  readonly [serviceCapabilities]: string[] = ['@libp2p/peer-discovery', '@hearsay/discovery']
  readonly [peerDiscoverySymbol] = this

  readonly addressBook: AddressBook
  readonly #components: DiscoveryComponents
  readonly #init: DiscoveryInit
  readonly #log: Logger
  readonly #clock: TimedClock
  readonly #rng: Rng
  readonly #o: Numbers
  readonly #limits: PexLimits
  readonly #self: PeerKey
  readonly #groupHash: KeyedHash
  readonly #anchorsKey: Key
  #reporter: PeerReporter | undefined
  #running = false
  #stopping = false
  #abort = new AbortController()
  readonly #timers = new Set<CancelTimer>()
  readonly #dialing = new Map<PeerKey, string>()
  readonly #feelers = new Set<PeerKey>()
  readonly #lastServed = new Map<PeerKey, number>()
  readonly #lastAsked = new Map<PeerKey, number>()
  #loadedAnchors: Anchor[] = []
  #savedAnchors = ''
  readonly #counters = { served: 0, asked: 0, learned: 0 }

  constructor (components: DiscoveryComponents, init: DiscoveryInit) {
    super()
    this.#components = components
    this.#init = init
    this.#log = components.logger.forComponent('hearsay:discovery')
    this.#clock = init.clock ?? systemClock
    this.#rng = init.rng ?? cryptoRng()
    this.#o = checkNumbers(init)
    this.#limits = { ...PEX_LIMITS, ...init.limits }
    this.#self = components.peerId.toString()
    this.#anchorsKey = new Key(init.anchorsKey ?? DEFAULT_ANCHORS_KEY)
    this.#groupHash = new KeyedHash(KeyedHash.randomKey(this.#rng))
    this.addressBook = new AddressBook({
      ...init.addressBook,
      clock: this.#clock,
      rng: this.#rng.fork(),
      netgroup: init.netgroup,
      self: this.#self
    })
  }

  async start (): Promise<void> {
    this.#running = true
    this.#stopping = false
    this.#abort = new AbortController()
    this.#reporter = this.#init.reporter ?? scoringOf(this.#components)
    await this.#components.registrar.handle(PEX_PROTOCOL, this.#onPexStream, {
      maxInboundStreams: this.#limits.maxInboundStreamsPerPeer,
      maxOutboundStreams: this.#limits.maxInboundStreamsPerPeer
    })
    const events = this.#components.events
    events.addEventListener('connection:open', this.#onConnectionOpen)
    events.addEventListener('peer:identify', this.#onIdentify)
    events.addEventListener('peer:discovery', this.#onPeerDiscovery)
  }

  afterStart (): void {
    if (!this.#running) return
    void this.#begin().catch(err => { this.#log.error('could not start the dial loop - %e', err) })
  }

  async beforeStop (): Promise<void> {
    // connections are still open here: the anchors are the outbound peers of this moment
    this.#stopping = true
    await this.#saveAnchors()
  }

  async stop (): Promise<void> {
    this.#running = false
    this.#stopping = true
    this.#abort.abort()
    for (const cancel of this.#timers) cancel()
    this.#timers.clear()
    const events = this.#components.events
    events.removeEventListener('connection:open', this.#onConnectionOpen)
    events.removeEventListener('peer:identify', this.#onIdentify)
    events.removeEventListener('peer:discovery', this.#onPeerDiscovery)
    await this.#components.registrar.unhandle(PEX_PROTOCOL).catch(() => {})
  }

  stats (): DiscoveryStats {
    const { outboundByGroup, inboundByGroup, inbound } = this.#connectionGroups()
    return {
      ...this.addressBook.stats(),
      outbound: Object.keys(outboundByGroup).length,
      targetOutbound: this.#o.targetOutbound,
      inbound,
      outboundByGroup,
      inboundByGroup,
      anchors: this.#loadedAnchors.map(a => a.peer),
      dialing: this.#dialing.size,
      pex: { ...this.#counters }
    }
  }

  async exchange (peer: PeerId, options: AbortOptions = {}): Promise<number> {
    return this.#ask(peer, options)
  }

  // ---- start-up ---------------------------------------------------------------------------

  async #begin (): Promise<void> {
    await this.#seedFromPeerStore()
    const anchors = await this.#loadAnchors()
    // anchors first: dialled before anything else, and the loop starts once they settle
    await Promise.all(anchors.map(async anchor => {
      this.addressBook.add(anchor.peer, anchor.addrs, { group: LOCAL_SOURCE }, { confirmed: true })
      const entry = this.addressBook.get(anchor.peer)
      if (entry != null) await this.#dial(entry, false)
    }))
    if (!this.#running) return
    this.#every(this.#o.dialIntervalMs, async () => { await this.#dialRound() }, 0)
    this.#every(this.#o.pexIntervalMs, async () => { await this.#pexRound() })
    if (this.#o.feelerIntervalMs > 0) this.#every(this.#o.feelerIntervalMs, async () => { await this.#feelerRound() })
  }

  async #seedFromPeerStore (): Promise<void> {
    try {
      const peers = await this.#components.peerStore.all({ signal: this.#abort.signal })
      for (const peer of peers) {
        const addrs = peer.addresses.map(a => addrString(a.multiaddr)).filter(a => a != null)
        this.addressBook.add(peer.id.toString(), addrs, { group: LOCAL_SOURCE })
      }
    } catch (err) {
      this.#log('could not read the peer store - %e', err)
    }
  }

  async #loadAnchors (): Promise<Anchor[]> {
    try {
      const bytes = await this.#components.datastore.get(this.#anchorsKey, { signal: this.#abort.signal })
      this.#loadedAnchors = decodeAnchors(bytes).filter(a => a.peer !== this.#self && isPeerId(a.peer))
      this.#log('loaded %d anchor(s)', this.#loadedAnchors.length)
    } catch (err: any) {
      if (err?.name !== 'NotFoundError') this.#log('could not read anchors - %e', err)
      this.#loadedAnchors = []
    }
    return this.#loadedAnchors
  }

  /** Save the longest-standing outbound peers, unless there are none (never erase on the way down). */
  async #saveAnchors (): Promise<void> {
    if (this.#o.anchors === 0) return
    try {
      const outbound = this.#components.connectionManager.getConnections()
        .filter(c => c.direction === 'outbound' && c.status === 'open' && !this.#feelers.has(c.remotePeer.toString()))
        .sort((a, b) => a.timeline.open - b.timeline.open)
      const anchors: Anchor[] = []
      for (const connection of outbound) {
        if (anchors.length >= this.#o.anchors) break
        const peer = connection.remotePeer.toString()
        if (anchors.some(a => a.peer === peer)) continue
        const addrs = [addrString(connection.remoteAddr), ...(this.addressBook.get(peer)?.addrs ?? [])]
          .filter((a, i, all): a is string => a != null && all.indexOf(a) === i)
        if (addrs.length > 0) anchors.push({ peer, addrs })
      }
      if (anchors.length === 0) return
      const text = JSON.stringify(anchors)
      if (text === this.#savedAnchors) return
      await this.#components.datastore.put(this.#anchorsKey, encodeAnchors(anchors))
      this.#savedAnchors = text
    } catch (err) {
      this.#log('could not save anchors - %e', err)
    }
  }

  // ---- loops ------------------------------------------------------------------------------

  /** Run `task` now + `firstDelayMs`, then every `intervalMs` after it finishes, until stop. */
  #every (intervalMs: number, task: () => Promise<void>, firstDelayMs = intervalMs): void {
    const run = (delay: number): void => {
      if (!this.#running) return
      const cancel = this.#clock.setTimeout(() => {
        this.#timers.delete(cancel)
        if (!this.#running) return
        task()
          .catch(err => { this.#log.error('periodic task failed - %e', err) })
          .finally(() => { run(intervalMs) })
      }, delay)
      this.#timers.add(cancel)
    }
    run(firstDelayMs)
  }

  async #dialRound (): Promise<void> {
    const { outboundGroups } = this.#connectionGroups()
    for (const group of this.#dialing.values()) outboundGroups.add(group)
    const connected = this.#connectedPeers()
    const plan = planOutbound(this.addressBook, {
      target: this.#o.targetOutbound,
      outboundGroups,
      skip: peer => peer === this.#self || connected.has(peer) || this.#dialing.has(peer),
      retryMs: this.#o.dialRetryMs,
      now: this.#clock.now(),
      maxDials: this.#o.maxParallelDials
    })
    for (const entry of plan) void this.#dial(entry, false).catch(err => { this.#log.error('dial failed - %e', err) })
    this.addressBook.resolveCollisions()
    if (!this.#stopping) await this.#saveAnchors()
  }

  async #pexRound (): Promise<void> {
    const now = this.#clock.now()
    const candidates = [...this.#connectedPeers()].filter(peer => {
      const last = this.#lastAsked.get(peer)
      return last == null || now - last >= this.#o.pexPeerIntervalMs
    })
    const peer = pick(this.#rng, candidates)
    if (peer == null) return
    await this.#ask(peerIdFromString(peer), {}).catch(err => { this.#log('peer exchange with %s failed - %e', peer, err) })
  }

  async #feelerRound (): Promise<void> {
    const { outboundGroups } = this.#connectionGroups()
    for (const group of this.#dialing.values()) outboundGroups.add(group)
    const connected = this.#connectedPeers()
    const entry = planFeeler(this.addressBook, {
      outboundGroups,
      skip: peer => peer === this.#self || connected.has(peer) || this.#dialing.has(peer),
      retryMs: this.#o.dialRetryMs,
      now: this.#clock.now()
    })
    if (entry != null) await this.#dial(entry, true)
  }

  /** Dial one selected entry; record the outcome in the book. Never throws. */
  async #dial (entry: AddressEntry, feeler: boolean): Promise<void> {
    if (this.#dialing.has(entry.peer) || !this.#running) return
    let peerId: PeerId
    let addrs: Multiaddr[]
    try {
      peerId = peerIdFromString(entry.peer)
      addrs = entry.addrs.map(a => multiaddr(a).encapsulate(`/p2p/${entry.peer}`))
    } catch {
      this.addressBook.remove(entry.peer)
      return
    }
    this.#dialing.set(entry.peer, entry.group)
    if (feeler) this.#feelers.add(entry.peer)
    this.safeDispatchEvent<PeerInfo>('peer', { detail: { id: peerId, multiaddrs: addrs } })
    try {
      const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.dialTimeoutMs)])
      const connection = await this.#components.connectionManager.openConnection(addrs, { signal })
      this.addressBook.good(entry.peer)
      this.#log('%s %p connected (%s)', feeler ? 'feeler' : 'outbound', peerId, entry.group)
      if (feeler) this.#after(this.#o.feelerHoldMs, () => { this.#closeFeeler(entry.peer, connection) })
      else this.#feelers.delete(entry.peer)
    } catch (err) {
      this.#feelers.delete(entry.peer)
      if (!this.#running) return
      this.addressBook.attempt(entry.peer, true)
      this.#log('dial to %p failed - %e', peerId, err)
    } finally {
      this.#dialing.delete(entry.peer)
    }
  }

  #closeFeeler (peer: PeerKey, connection: Connection): void {
    if (!this.#feelers.delete(peer)) return
    // a feeler only tests reachability (as Bitcoin's, it disconnects after the handshake): kept,
    // it would become an outbound connection outside the one-per-netgroup rule
    if (connection.status !== 'open') return
    connection.close({ signal: AbortSignal.timeout(1000) }).catch(err => { connection.abort(err) })
  }

  #after (delayMs: number, callback: () => void): void {
    const cancel = this.#clock.setTimeout(() => {
      this.#timers.delete(cancel)
      if (this.#running) callback()
    }, delayMs)
    this.#timers.add(cancel)
  }

  // ---- connections ------------------------------------------------------------------------

  #connectedPeers (): Set<PeerKey> {
    const peers = new Set<PeerKey>()
    for (const connection of this.#components.connectionManager.getConnections()) {
      if (connection.status === 'open') peers.add(connection.remotePeer.toString())
    }
    return peers
  }

  #connectionGroups (): { outboundGroups: Set<string>, outboundByGroup: Record<string, number>, inboundByGroup: Record<string, number>, inbound: number } {
    const outboundByGroup: Record<string, number> = {}
    const inboundByGroup: Record<string, number> = {}
    let inbound = 0
    for (const connection of this.#components.connectionManager.getConnections()) {
      if (connection.status !== 'open') continue
      const group = this.addressBook.netgroup(connection.remoteAddr.toString())
      if (connection.direction === 'outbound') {
        if (this.#feelers.has(connection.remotePeer.toString())) continue
        outboundByGroup[group] = (outboundByGroup[group] ?? 0) + 1
      } else {
        inbound++
        inboundByGroup[group] = (inboundByGroup[group] ?? 0) + 1
      }
    }
    return { outboundGroups: new Set(Object.keys(outboundByGroup)), outboundByGroup, inboundByGroup, inbound }
  }

  readonly #onConnectionOpen = (event: CustomEvent<Connection>): void => {
    try {
      const connection = event.detail
      const peer = connection.remotePeer.toString()
      if (connection.direction === 'outbound') {
        // an outbound connection reached the peer at this address: it is good
        const addr = addrString(connection.remoteAddr)
        if (addr != null && !this.addressBook.has(peer)) {
          this.addressBook.add(peer, [addr], { addr }, { confirmed: true })
        }
        this.addressBook.good(peer)
        // Bitcoin asks every new outbound peer for addresses once
        if (!this.#feelers.has(peer)) {
          this.#after(0, () => { void this.#ask(connection.remotePeer, {}).catch(err => { this.#log('peer exchange with %p failed - %e', connection.remotePeer, err) }) })
        }
      } else {
        this.#limitInbound(connection)
      }
    } catch (err) {
      this.#log.error('could not handle a new connection - %e', err)
    }
  }

  /** Past `maxInbound`, evict one inbound peer by diversity, or refuse the newcomer. */
  #limitInbound (newcomer: Connection): void {
    const inbound = this.#components.connectionManager.getConnections()
      .filter(c => c.direction === 'inbound' && c.status === 'open')
    if (inbound.length <= this.#o.maxInbound) return
    const candidates: InboundCandidate[] = inbound
      .filter(c => c.id !== newcomer.id)
      .map(c => ({
        peer: c.id,
        group: this.addressBook.netgroup(c.remoteAddr.toString()),
        connectedAt: c.timeline.open,
        latencyMs: c.rtt
      }))
    const victimId = selectInboundToEvict(candidates, {
      ...this.#init.eviction,
      groupRank: group => this.#groupHash.hash('evict', group)
    })
    const victim = inbound.find(c => c.id === victimId) ?? newcomer
    this.#log('inbound slots full (%d > %d): closing %p from %a', inbound.length, this.#o.maxInbound, victim.remotePeer, victim.remoteAddr)
    victim.close().catch(err => { victim.abort(err) })
  }

  readonly #onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    try {
      const { peerId, listenAddrs, connection } = event.detail
      const peer = peerId.toString()
      if (peer === this.#self) return
      const addrs = usableAddrs(listenAddrs)
      if (addrs.length === 0) return
      // the peer's own announcement, over an authenticated connection
      this.addressBook.add(peer, addrs, { addr: connection.remoteAddr.toString() }, { confirmed: true })
      this.addressBook.connected(peer)
    } catch (err) {
      this.#log.error('could not record identified addresses - %e', err)
    }
  }

  readonly #onPeerDiscovery = (event: CustomEvent<PeerInfo>): void => {
    try {
      const peer = event.detail.id.toString()
      if (peer === this.#self || this.addressBook.has(peer)) return
      const addrs = usableAddrs(event.detail.multiaddrs)
      // learned by another module (bootstrap list, DHT, mDNS): no peer of ours vouched for it
      this.addressBook.add(peer, addrs, { group: LOCAL_SOURCE })
    } catch (err) {
      this.#log.error('could not record a discovered peer - %e', err)
    }
  }

  // ---- peer exchange ----------------------------------------------------------------------

  #report (peer: PeerId, infraction: InfractionName, detail: string): void {
    this.#log('%p: %s - %s', peer, infraction, detail)
    try {
      this.#reporter?.report(peer, infraction, detail)
    } catch {
      // a reporter must never break the protocol
    }
  }

  /** Serve one request: one frame in, one answer out, then close. Bad input never escapes. */
  readonly #onPexStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer
    const key = peer.toString()
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.pexTimeoutMs)])
    try {
      const lp = lpStream(stream, { maxDataLength: this.#limits.maxFrameBytes, maxBufferSize: this.#limits.maxFrameBytes + 16, lengthDecoder: boundedLength(this.#limits.maxFrameBytes) })
      let bytes
      try {
        bytes = await lp.read({ signal })
      } catch (err: any) {
        this.#readFailed(peer, err)
        // an asker writes its request in one go: a stream closed before one whole frame is no accident
        if (err?.name === 'UnexpectedEOFError') this.#report(peer, 'malformed-frame', `a stream closed before one whole request: ${String(err.message)}`)
        stream.abort(err)
        return
      }
      const decoded = decodePexFrame(bytes, this.#limits)
      if (!decoded.ok) {
        this.#report(peer, decoded.infraction, decoded.detail)
        stream.abort(new Error(decoded.detail))
        return
      }
      const request = decoded.frame.request
      if (request == null) {
        this.#report(peer, 'unrequested-data', 'a peer-exchange answer that was never asked for')
        stream.abort(new Error('unrequested answer'))
        return
      }
      const now = this.#clock.now()
      const last = this.#lastServed.get(key)
      if (last != null && now - last < this.#o.pexPeerIntervalMs * RATE_TOLERANCE) {
        this.#report(peer, 'rate-limit-exceeded', `peer exchange again after ${now - last} ms`)
        stream.abort(new Error('rate limit exceeded'))
        return
      }
      remember(this.#lastServed, key, now)
      const max = Math.min(request.max, this.#limits.maxPeers)
      const records = this.addressBook.sample(max, key).map(e => ({
        peer: e.peer,
        addrs: [...e.addrs],
        ageMs: Math.max(0, now - e.seen)
      }))
      await lp.write(encodePexResponse(records, this.#limits), { signal })
      this.#counters.served++
      await stream.close({ signal })
    } catch (err: any) {
      this.#log('peer exchange with %p ended - %e', peer, err)
      stream.abort(err)
    }
  }

  #readFailed (peer: PeerId, err: any): void {
    const name = String(err?.name ?? '')
    if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') {
      this.#report(peer, 'oversized-frame', String(err.message))
    } else if (name === 'InvalidMessageLengthError') {
      this.#report(peer, 'malformed-frame', String(err.message))
    } else if (name === 'StreamBufferError') {
      this.#report(peer, 'oversized-frame', String(err.message))
    }
  }

  /** Ask one peer for addresses; add what it tells us. */
  async #ask (peer: PeerId, options: AbortOptions): Promise<number> {
    const key = peer.toString()
    if (key === this.#self || !this.#running) return 0
    const now = this.#clock.now()
    const last = this.#lastAsked.get(key)
    if (last != null && now - last < this.#o.pexPeerIntervalMs) return 0
    remember(this.#lastAsked, key, now)
    const max = Math.min(this.#o.pexMaxPeers, this.#limits.maxPeers)
    const signal = AbortSignal.any([
      this.#abort.signal, AbortSignal.timeout(this.#o.pexTimeoutMs), ...(options.signal != null ? [options.signal] : [])
    ])
    const stream = await this.#components.connectionManager.openStream(peer, PEX_PROTOCOL, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: this.#limits.maxFrameBytes, maxBufferSize: this.#limits.maxFrameBytes + 16, lengthDecoder: boundedLength(this.#limits.maxFrameBytes) })
      await lp.write(encodePexRequest(max), { signal })
      let bytes
      try {
        bytes = await lp.read({ signal })
      } catch (err: any) {
        this.#readFailed(peer, err)
        throw err
      }
      const decoded = decodePexFrame(bytes, this.#limits)
      if (!decoded.ok) {
        this.#report(peer, decoded.infraction, decoded.detail)
        stream.abort(new Error(decoded.detail))
        return 0
      }
      const response = decoded.frame.response
      if (response == null) {
        this.#report(peer, 'unexpected-frame', 'a request where an answer was due')
        stream.abort(new Error('unexpected request'))
        return 0
      }
      if (response.peers.length > max) {
        this.#report(peer, 'unrequested-data', `answered ${response.peers.length} peers, asked for ${max}`)
        stream.abort(new Error('answer larger than asked'))
        return 0
      }
      await stream.close({ signal }).catch(() => {})
      const answer = readPexPeers(response.peers, this.#self, this.#limits)
      if (answer.invalid > 0) this.#report(peer, 'invalid-message', `${answer.invalid} unreadable peer(s) in a peer-exchange answer`)
      const source = this.#components.connectionManager.getConnections(peer)[0]?.remoteAddr.toString()
      let added = 0
      for (const record of answer.records) {
        const addrs = record.addrs.filter(a => !isUnspecified(a))
        if (this.addressBook.add(record.peer, addrs, source != null ? { addr: source } : {}, { ageMs: record.ageMs })) added++
      }
      this.#counters.asked++
      this.#counters.learned += added
      if (added > 0) this.#reporter?.credit(peer, 'pex-addresses')
      this.#log('%p told us of %d peer(s), %d new', peer, answer.records.length, added)
      return added
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }
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

function isPeerId (key: string): boolean {
  try {
    peerIdFromString(key)
    return true
  } catch {
    return false
  }
}

function checkNumbers (init: DiscoveryInit): Numbers {
  const o: Numbers = { ...DISCOVERY_DEFAULTS }
  for (const name of Object.keys(DISCOVERY_DEFAULTS) as Array<keyof Numbers>) {
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
 * The discovery service: peer exchange (`/hearsay/pex/1.0.0`) and an eclipse-resistant address
 * book that keeps `targetOutbound` outbound connections in distinct netgroups. It is also a
 * libp2p peer-discovery module: libp2p picks up its `peer` events. Use one per node:
 *
 * ```ts
 * const node = await createLibp2p({ services: { discovery: discovery({ targetOutbound: 8 }) } })
 * node.services.discovery.stats()
 * ```
 *
 * @throws {@link DiscoveryOptionError} for unusable options, at once rather than when the node starts
 */
export function discovery (init: DiscoveryInit = {}): (components: DiscoveryComponents) => Discovery {
  checkNumbers(init)
  return (components) => new DiscoveryService(components, init)
}
