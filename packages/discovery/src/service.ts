import { cryptoRng, scoringOf, systemClock, type CancelTimer, type TimedClock } from '@hearsay/sansio'
import { KEEP_ALIVE, TypedEventEmitter, peerDiscoverySymbol, serviceCapabilities } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { isPeerId, streamToConnected } from '@hearsay/sansio/adapter'
import { lpStream } from '@libp2p/utils'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { Key } from 'interface-datastore'
import { decodeAnchors, encodeAnchors, type Anchor } from './anchors.ts'
import {
  PEX_LIMITS, PEX_PROTOCOL, boundedLength, decodePexFrame, encodePexRequest, encodePexResponse, readPexPeers, type PexLimits
} from './pex.ts'
import { addrString, usableAddrs } from './addrs.ts'
import { DiscoveryPolicy, policyNumbers, type DialOutcome, type DiscoveryAction } from './policy.ts'
import type { AddressBook } from './address-book.ts'
import type { Discovery, DiscoveryComponents, DiscoveryInit, DiscoveryStats } from './types.ts'
import type { InfractionName, PeerKey, PeerReporter } from '@hearsay/interface'
import type {
  AbortOptions, Connection, IdentifyResult, Logger, Peer, PeerDiscoveryEvents, PeerId, PeerInfo, PeerUpdate, Stream
} from '@libp2p/interface'

/** Whether some part of the node asked libp2p to keep `peer` connected (a `keep-alive` tag: the bootstrap list's, or a plain kad-dht's closest peers). */
const keptAlive = (peer: Peer): boolean => [...peer.tags.keys()].some(tag => tag.startsWith(KEEP_ALIVE))

/** Why a feeler connection is dropped: it has done its job. */
class FeelerDoneError extends Error {
  override name = 'FeelerDoneError'
  constructor () {
    super('feeler done: the peer answered at this address')
  }
}

/** Where anchors are saved in the node's datastore. */
export const DEFAULT_ANCHORS_KEY = '/hearsay/discovery/anchors'

/**
 * The libp2p adapter around a {@link DiscoveryPolicy}: turns identify, the peer store,
 * connection events and peer-exchange streams into the policy's events, and its actions into
 * dials, questions, closed connections and datastore writes; serves `/hearsay/pex/1.0.0`.
 */
class DiscoveryService extends TypedEventEmitter<PeerDiscoveryEvents> implements Discovery {
  readonly [Symbol.toStringTag] = '@hearsay/discovery'
  readonly [serviceCapabilities]: string[] = ['@libp2p/peer-discovery', '@hearsay/discovery']
  readonly [peerDiscoverySymbol] = this

  readonly #components: DiscoveryComponents
  readonly #init: DiscoveryInit
  readonly #log: Logger
  readonly #clock: TimedClock
  readonly #policy: DiscoveryPolicy
  readonly #limits: PexLimits
  readonly #self: PeerKey
  readonly #anchorsKey: Key
  #reporter: PeerReporter | undefined
  #abort = new AbortController()
  #timer: { at: number, cancel: CancelTimer } | undefined
  /** peers with a keep-alive tag, from the peer store's updates: feelers to them are not closed */
  readonly #keptAlive = new Set<PeerKey>()

  constructor (components: DiscoveryComponents, init: DiscoveryInit) {
    super()
    this.#components = components
    this.#init = init
    this.#log = components.logger.forComponent('hearsay:discovery')
    this.#clock = init.clock ?? systemClock
    this.#limits = { ...PEX_LIMITS, ...init.limits }
    this.#self = components.peerId.toString()
    this.#anchorsKey = new Key(init.anchorsKey ?? DEFAULT_ANCHORS_KEY)
    this.#policy = new DiscoveryPolicy({
      ...policyNumbers(init),
      clock: this.#clock,
      rng: init.rng ?? cryptoRng(),
      self: this.#self,
      maxAnswerPeers: this.#limits.maxPeers,
      netgroup: init.netgroup,
      addressBook: init.addressBook,
      eviction: init.eviction,
      keep: peer => this.#keptAlive.has(peer)
    })
  }

  get addressBook (): AddressBook {
    return this.#policy.book
  }

  async start (): Promise<void> {
    this.#abort = new AbortController()
    this.#reporter = this.#init.reporter ?? scoringOf(this.#components)
    await this.#components.registrar.handle(PEX_PROTOCOL, this.#onPexStream, {
      maxInboundStreams: this.#limits.maxInboundStreamsPerPeer,
      maxOutboundStreams: this.#limits.maxInboundStreamsPerPeer
    })
    const events = this.#components.events
    events.addEventListener('connection:open', this.#onConnectionOpen)
    events.addEventListener('connection:close', this.#onConnectionClose)
    events.addEventListener('peer:identify', this.#onIdentify)
    events.addEventListener('peer:discovery', this.#onPeerDiscovery)
    events.addEventListener('peer:update', this.#onPeerUpdate)
  }

  afterStart (): void {
    if (this.#abort.signal.aborted) return
    void this.#begin().catch(err => { this.#log.error('could not start discovery - %e', err) })
  }

  async beforeStop (): Promise<void> {
    // connections are still open here: the anchors are the outbound peers of this moment
    await this.#run(this.#policy.stopping())
  }

  async stop (): Promise<void> {
    this.#policy.stop()
    this.#abort.abort()
    this.#timer?.cancel()
    this.#timer = undefined
    const events = this.#components.events
    events.removeEventListener('connection:open', this.#onConnectionOpen)
    events.removeEventListener('connection:close', this.#onConnectionClose)
    events.removeEventListener('peer:identify', this.#onIdentify)
    events.removeEventListener('peer:discovery', this.#onPeerDiscovery)
    events.removeEventListener('peer:update', this.#onPeerUpdate)
    this.#keptAlive.clear()
    await this.#components.registrar.unhandle(PEX_PROTOCOL).catch(() => {})
  }

  stats (): DiscoveryStats {
    return this.#policy.stats()
  }

  async exchange (peer: PeerId, options: AbortOptions = {}): Promise<number> {
    const max = this.#policy.askNow(peer.toString())
    if (max == null) return 0
    return this.#ask(peer, max, options, true)
  }

  // ---- start-up ---------------------------------------------------------------------------

  async #begin (): Promise<void> {
    const seeds = await this.#readPeerStore()
    const anchors = await this.#loadAnchors()
    if (this.#abort.signal.aborted) return
    // anchors first: dialled before anything else, and the rounds start once they settle
    void this.#run(this.#policy.start(seeds, anchors))
    // connections opened while libp2p started (the bootstrap list's) are the policy's to count
    // too: outbound ones hold outbound slots and may become anchors
    for (const connection of this.#components.connectionManager.getConnections()) {
      if (connection.status === 'open') this.#opened(connection)
    }
  }

  async #readPeerStore (): Promise<Array<{ peer: PeerKey, addrs: string[] }>> {
    try {
      const peers = await this.#components.peerStore.all({ signal: this.#abort.signal })
      for (const peer of peers) if (keptAlive(peer)) this.#keptAlive.add(peer.id.toString())
      return peers.map(peer => ({ peer: peer.id.toString(), addrs: peer.addresses.map(a => addrString(a.multiaddr)).filter(a => a != null) }))
    } catch (err) {
      this.#log('could not read the peer store - %e', err)
      return []
    }
  }

  async #loadAnchors (): Promise<Anchor[]> {
    try {
      const bytes = await this.#components.datastore.get(this.#anchorsKey, { signal: this.#abort.signal })
      const anchors = decodeAnchors(bytes).filter(a => a.peer !== this.#self && isPeerId(a.peer))
      this.#log('loaded %d anchor(s)', anchors.length)
      return anchors
    } catch (err: any) {
      if (err?.name !== 'NotFoundError') this.#log('could not read anchors - %e', err)
      return []
    }
  }

  // ---- actions ----------------------------------------------------------------------------

  /** Carry out the policy's actions (never throws), then wake up when it is next due. */
  async #run (actions: DiscoveryAction[]): Promise<void> {
    const pending: Array<Promise<void>> = []
    try {
      for (const action of actions) {
        if (action.type === 'dial') void this.#dial(action.peer, action.addrs)
        else if (action.type === 'ask') void this.#askRound(action.peer, action.max)
        else if (action.type === 'close') this.#close(action.connection, action.reason)
        else pending.push(this.#saveAnchors(action.anchors))
      }
      this.#arm()
    } catch (err) {
      this.#log.error('could not carry out an action - %e', err)
    }
    await Promise.all(pending)
  }

  /** One timer, at the policy's next due time. */
  #arm (): void {
    const due = this.#policy.nextDue()
    if (due === this.#timer?.at) return
    this.#timer?.cancel()
    this.#timer = undefined
    if (due == null || this.#abort.signal.aborted) return
    const cancel = this.#clock.setTimeout(() => {
      this.#timer = undefined
      let actions: DiscoveryAction[]
      try {
        actions = this.#policy.tick()
      } catch (err) {
        // try again a dial interval later rather than at once, forever
        this.#log.error('a discovery round failed - %e', err)
        const retry = this.#clock.setTimeout(() => { this.#timer = undefined; this.#arm() }, this.#policy.options.dialIntervalMs)
        this.#timer = { at: Number.NaN, cancel: retry }
        return
      }
      void this.#run(actions)
    }, due - this.#clock.now())
    this.#timer = { at: due, cancel }
  }

  async #saveAnchors (anchors: Anchor[]): Promise<void> {
    try {
      await this.#components.datastore.put(this.#anchorsKey, encodeAnchors(anchors))
    } catch (err) {
      this.#policy.saveFailed()
      this.#log('could not save anchors - %e', err)
    }
  }

  /** Dial one selected peer; tell the policy how it went. Never throws. */
  async #dial (peer: PeerKey, addrStrings: readonly string[]): Promise<void> {
    let peerId: PeerId
    let addrs: Multiaddr[]
    try {
      peerId = peerIdFromString(peer)
      addrs = addrStrings.map(a => multiaddr(a).encapsulate(`/p2p/${peer}`))
    } catch {
      await this.#run(this.#policy.dialed(peer, 'unusable'))
      return
    }
    this.safeDispatchEvent<PeerInfo>('peer', { detail: { id: peerId, multiaddrs: addrs } })
    let outcome: DialOutcome
    try {
      const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#policy.options.dialTimeoutMs)])
      const connection = await this.#components.connectionManager.openConnection(addrs, { signal })
      this.#log('%p connected', peerId)
      outcome = { connection: connection.id }
    } catch (err) {
      this.#log('dial to %p failed - %e', peerId, err)
      outcome = 'failed'
    }
    await this.#run(this.#policy.dialed(peer, outcome))
  }

  #close (id: string, reason: 'feeler' | 'evict'): void {
    const connection = this.#components.connectionManager.getConnections().find(c => c.id === id)
    if (connection == null || connection.status !== 'open') return
    this.#log('closing %s connection to %p from %a', reason, connection.remotePeer, connection.remoteAddr)
    // a feeler is dropped, as Bitcoin drops its socket after the handshake: closed gracefully, it
    // would wait for the identify streams both ends opened on it, and feed both DHT routing tables
    if (reason === 'feeler') {
      connection.abort(new FeelerDoneError())
      return
    }
    connection.close().catch(err => { connection.abort(err) })
  }

  async #askRound (peer: PeerKey, max: number): Promise<void> {
    try {
      // the policy asks only peers we are connected to: never dial for it (see streamToConnected)
      await this.#ask(peerIdFromString(peer), max, {}, false)
    } catch (err) {
      this.#log('peer exchange with %s failed - %e', peer, err)
    }
  }

  // ---- events -----------------------------------------------------------------------------

  readonly #onConnectionOpen = (event: CustomEvent<Connection>): void => { this.#opened(event.detail) }

  #opened (connection: Connection): void {
    try {
      if (connection.direction === 'inbound') {
        // inbound eviction protects the fastest peers: give the policy the latest round-trip times
        for (const c of this.#components.connectionManager.getConnections()) {
          if (c.direction === 'inbound' && c.rtt != null) this.#policy.measured(c.id, c.rtt)
        }
      }
      void this.#run(this.#policy.connected({
        id: connection.id,
        peer: connection.remotePeer.toString(),
        direction: connection.direction,
        addr: addrString(connection.remoteAddr),
        openedAt: connection.timeline.open,
        latencyMs: connection.rtt
      }))
    } catch (err) {
      this.#log.error('could not handle a new connection - %e', err)
    }
  }

  readonly #onConnectionClose = (event: CustomEvent<Connection>): void => {
    try {
      this.#policy.disconnected(event.detail.id)
    } catch (err) {
      this.#log.error('could not handle a closed connection - %e', err)
    }
  }

  readonly #onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    try {
      const { peerId, listenAddrs, connection } = event.detail
      // the peer's own announcement, over an authenticated connection
      this.#policy.identified(peerId.toString(), usableAddrs(listenAddrs), connection.remoteAddr.toString())
    } catch (err) {
      this.#log.error('could not record identified addresses - %e', err)
    }
  }

  readonly #onPeerUpdate = (event: CustomEvent<PeerUpdate>): void => {
    const { peer } = event.detail
    if (keptAlive(peer)) this.#keptAlive.add(peer.id.toString())
    else this.#keptAlive.delete(peer.id.toString())
  }

  readonly #onPeerDiscovery = (event: CustomEvent<PeerInfo>): void => {
    try {
      this.#policy.discovered(event.detail.id.toString(), usableAddrs(event.detail.multiaddrs))
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
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#policy.options.pexTimeoutMs)])
    try {
      const lp = lpStream(stream, { maxDataLength: this.#limits.maxFrameBytes, maxBufferSize: this.#limits.maxFrameBytes + 16, lengthDecoder: boundedLength(this.#limits.maxFrameBytes) })
      let bytes
      try {
        bytes = await lp.read({ signal })
      } catch (err: any) {
        this.#readFailed(peer, err)
        // an asker writes its request in one go: a stream it closed before one whole frame is no
        // accident; one reset (the asker gave up) or ended by its connection going away is
        if (err?.name === 'UnexpectedEOFError' && connection.status === 'open' && stream.status !== 'reset' && stream.status !== 'aborted') {
          this.#report(peer, 'malformed-frame', `a stream closed before one whole request: ${String(err.message)}`)
        }
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
      const answer = this.#policy.serve(peer.toString(), request.max)
      if ('tooSoonMs' in answer) {
        this.#report(peer, 'rate-limit-exceeded', `peer exchange again after ${answer.tooSoonMs} ms`)
        stream.abort(new Error('rate limit exceeded'))
        return
      }
      await lp.write(encodePexResponse(answer.records, this.#limits), { signal })
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

  /** Ask one peer for up to `max` addresses; the policy adds what it tells us. */
  async #ask (peer: PeerId, max: number, options: AbortOptions, dial: boolean): Promise<number> {
    const key = peer.toString()
    try {
      const added = await this.#askStream(peer, max, options, dial)
      return added
    } finally {
      // answered() already ended the round when the peer answered; this ends it otherwise
      this.#policy.askFailed(key)
      this.#arm()
    }
  }

  async #askStream (peer: PeerId, max: number, options: AbortOptions, dial: boolean): Promise<number> {
    const signal = AbortSignal.any([
      this.#abort.signal, AbortSignal.timeout(this.#policy.options.pexTimeoutMs), ...(options.signal != null ? [options.signal] : [])
    ])
    const stream = dial
      ? await this.#components.connectionManager.openStream(peer, PEX_PROTOCOL, { signal })
      : await streamToConnected(this.#components.connectionManager, peer, PEX_PROTOCOL, { signal })
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
      const added = this.#policy.answered(peer.toString(), answer.records)
      if (added > 0) this.#reporter?.credit(peer, 'pex-addresses')
      this.#log('%p told us of %d peer(s), %d new', peer, answer.records.length, added)
      return added
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }
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
  policyNumbers(init)
  return (components) => new DiscoveryService(components, init)
}
