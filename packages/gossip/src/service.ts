import { createHash } from 'node:crypto'
import { cryptoRng, scoringOf, systemClock, type CancelTimer, type TimedClock } from '@hearsay/sansio'
import { TypedEventEmitter, serviceCapabilities } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { readFrames } from '@hearsay/sansio/adapter'
import { RateLimiter } from '@libp2p/utils'
import { toString as toHex } from 'uint8arrays'
import { GossipError } from './errors.ts'
import { GossipsubTopics } from './gossipsub.ts'
import { OutboundQueue } from './outbound-queue.ts'
import { TopicRouter, type ValidationResult } from './router.ts'
import { GOSSIP_PROTOCOL, WIRE_DEFAULTS, decodeFrame, encodeSubscriptions, encodeTopicFrame, maxFrameBytes, type GossipWireLimits } from './wire.ts'
import type { Gossip, GossipComponents, GossipEvents, GossipInit, SubscribeOptions, TopicStats, Validator } from './types.ts'
import type { Direction, GossipFrame, GossipMessage, MessageId, PeerKey, PeerReporter, Rng } from '@hearsay/interface'
import type { Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

interface PeerState {
  id: PeerId
  key: PeerKey
  direction: Direction
  topics: Set<string>
  out: OutboundQueue
  outStream?: Stream
  inStream?: Stream
  opening: boolean
  /** streams reopened after a close while still connected; bounded so a hostile peer cannot loop us */
  reopenAttempts: number
  attachedAt: number
  lastRateReport: number
}

const MAX_REOPEN_ATTEMPTS = 8

interface TopicState {
  router: TopicRouter<unknown>
  validate?: Validator
  messageId: (data: Uint8Array) => MessageId
  timers: Set<CancelTimer>
}

const sha256Id = (data: Uint8Array): MessageId => createHash('sha256').update(data).digest('hex')

/**
 * What a router or strategy may say of a frame itself (a decoder's infractions) rather than of
 * its content: the stream it came on is reset, as when the decoder refuses it.
 */
const FRAME_INFRACTIONS: ReadonlySet<string> = new Set(['malformed-frame', 'oversized-frame', 'unexpected-frame'])

/**
 * The libp2p adapter of hearsay gossip: one long-lived stream per peer and direction on
 * `/hearsay/gossip/1.0.0`, a {@link TopicRouter} per subscribed topic, and the embedded
 * gossipsub for `gossipsub()` topics. Bad input becomes an infraction and a reset stream.
 *
 * Streams are opened lazily: to a peer only once there is something to tell it (our
 * subscriptions, a frame), so a host with no topics opens none, and a connection between two
 * such hosts carries no gossip stream at all. A stream, once open, lives as long as its connection.
 */
export class GossipService extends TypedEventEmitter<GossipEvents> implements Gossip, Startable {
  readonly [Symbol.toStringTag] = '@hearsay/gossip'
  readonly [serviceCapabilities]: string[] = ['@hearsay/gossip']

  readonly #components: GossipComponents
  readonly #log: Logger
  readonly #protocol: string
  readonly #wire: GossipWireLimits
  readonly #init: GossipInit
  readonly #clock: TimedClock
  readonly #rng: Rng
  readonly #reporter: PeerReporter
  readonly #rate: RateLimiter
  readonly #topics = new Map<string, TopicState>()
  readonly #peers = new Map<PeerKey, PeerState>()
  readonly #gossipsub: GossipsubTopics | undefined
  #topologyId: string | undefined
  #running = false
  /** the peer whose frame a router is handling, and why that frame breaks the protocol, if it does */
  #receiving: { key: PeerKey, broken?: string } | undefined

  constructor (components: GossipComponents, init: GossipInit = {}) {
    super()
    this.#components = components
    this.#init = init
    this.#log = components.logger.forComponent('hearsay:gossip')
    this.#protocol = init.protocol ?? GOSSIP_PROTOCOL
    this.#wire = { ...WIRE_DEFAULTS, ...init.wire }
    this.#clock = init.clock ?? systemClock
    this.#rng = init.rng ?? cryptoRng()
    this.#reporter = init.reporter ?? scoringOf(components) ?? {
      report: (peer, infraction, detail) => { this.#log('no scoring service: %p misbehaved (%s) %s', peer, infraction, detail ?? '') },
      credit: () => {}
    }
    this.#rate = new RateLimiter({ points: init.maxFramesPerSecond ?? 2000, duration: 1 })
    if (init.gossipsub !== false) {
      this.#gossipsub = new GossipsubTopics(components, {
        options: init.gossipsub ?? {},
        reporter: this.#reporter,
        maxMessageBytes: this.#wire.maxMessageBytes,
        validateTimeoutMs: init.validateTimeoutMs ?? 10_000,
        deliver: message => { this.safeDispatchEvent('message', { detail: message }) },
        log: (format, ...args) => { this.#log(format, ...args) },
        peerProtocol: this.#protocol
      })
    }
  }

  async start (): Promise<void> {
    this.#running = true
    await this.#components.registrar.handle(this.#protocol, (stream, connection) => { this.#onInbound(stream, connection) }, {
      // one stream per direction is the protocol; a second replaces the first
      maxInboundStreams: 2,
      maxOutboundStreams: 2
    })
    this.#topologyId = await this.#components.registrar.register(this.#protocol, {
      onConnect: (peerId, connection) => { this.#onConnect(peerId, connection) },
      onDisconnect: peerId => { this.#onDisconnect(peerId) }
    })
    // libp2p tells a topology only of peers identified after it registered; bootstrap dials
    // begin 10 ms into the host's start, so catch up with any peer identified before this
    for (const connection of this.#components.connectionManager.getConnections()) {
      const peer = await this.#components.peerStore.get(connection.remotePeer).catch(() => undefined)
      if (peer?.protocols.includes(this.#protocol) === true) this.#onConnect(connection.remotePeer, connection)
    }
    this.#gossipsub?.start()
  }

  async stop (): Promise<void> {
    this.#running = false
    await this.#gossipsub?.stop()
    if (this.#topologyId != null) this.#components.registrar.unregister(this.#topologyId)
    await this.#components.registrar.unhandle(this.#protocol)
    for (const topic of this.#topics.values()) this.#cancelTimers(topic)
    for (const peer of this.#peers.values()) this.#dropPeer(peer)
    this.#peers.clear()
  }

  subscribe (topic: string, options: SubscribeOptions): void {
    if (typeof topic !== 'string' || topic === '' || new TextEncoder().encode(topic).byteLength > this.#wire.maxTopicBytes) {
      throw new GossipError(`topic must be a non-empty string of at most ${this.#wire.maxTopicBytes} bytes`)
    }
    if (this.#topics.has(topic) || this.#gossipsub?.has(topic) === true) {
      throw new GossipError(`already subscribed to "${topic}"; unsubscribe first to change its strategy`)
    }
    const strategy = options?.strategy
    if (strategy == null) throw new GossipError('subscribe needs a strategy, e.g. { strategy: flood() }')
    if ('external' in strategy) {
      if (this.#gossipsub == null) throw new GossipError('gossipsub() topics need the embedded gossipsub: do not pass gossip({ gossipsub: false })')
      this.#gossipsub.subscribe(topic, options)
      return
    }
    const idOf = options.messageId
    const state: TopicState = {
      validate: options.validate,
      messageId: idOf == null ? sha256Id : data => toHex(idOf(data), 'base16'),
      timers: new Set(),
      router: undefined as unknown as TopicRouter<unknown>
    }
    state.router = new TopicRouter<unknown>({
      topic,
      spec: strategy,
      clock: this.#clock,
      rng: this.#rng.fork(),
      limits: { ...this.#init.limits, ...options.limits, maxMessageBytes: this.#wire.maxMessageBytes },
      effects: {
        send: (peer, frame) => { this.#send(peer, topic, frame) },
        schedule: (delayMs, timer) => { this.#schedule(state, delayMs, timer) },
        deliver: (message, from) => { this.#deliver(state, message, from) },
        validate: (message, from, phase) => this.#validate(state, message, from, phase),
        report: (peer, infraction, detail) => {
          const receiving = this.#receiving
          if (peer === receiving?.key && FRAME_INFRACTIONS.has(infraction)) receiving.broken = detail ?? infraction
          this.#report(peer, infraction, detail)
        }
      }
    })
    this.#topics.set(topic, state)
    for (const peer of this.#peers.values()) {
      if (peer.topics.has(topic)) state.router.addPeer(peer.key, peer.direction)
    }
    this.#broadcastSubscriptions([{ topic, subscribe: true }])
  }

  unsubscribe (topic: string): void {
    if (this.#gossipsub?.has(topic) === true) {
      this.#gossipsub.unsubscribe(topic)
      return
    }
    const state = this.#topics.get(topic)
    if (state == null) return
    this.#cancelTimers(state)
    this.#topics.delete(topic)
    this.#broadcastSubscriptions([{ topic, subscribe: false }])
  }

  async publish (topic: string, data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<MessageId> {
    options.signal?.throwIfAborted()
    if (!(data instanceof Uint8Array)) throw new GossipError('data must be a Uint8Array')
    if (data.byteLength > this.#wire.maxMessageBytes) {
      throw new GossipError(`message of ${data.byteLength} bytes is over the limit of ${this.#wire.maxMessageBytes}`)
    }
    if (this.#gossipsub?.has(topic) === true) return await this.#gossipsub.publish(topic, data, options)
    const state = this.#topics.get(topic)
    if (state == null) throw new GossipError(`not subscribed to "${topic}": subscribe with a strategy before publishing`)
    const message: GossipMessage = { id: state.messageId(data), topic, data }
    state.router.publish(message)
    return message.id
  }

  getTopics (): string[] {
    return [...this.#topics.keys(), ...(this.#gossipsub?.topics() ?? [])]
  }

  getSubscribers (topic: string): PeerId[] {
    if (this.#gossipsub?.has(topic) === true) return this.#gossipsub.subscribers(topic)
    return [...this.#peers.values()].filter(peer => peer.topics.has(topic)).map(peer => peer.id)
  }

  stats (topic: string): TopicStats | undefined {
    if (this.#gossipsub?.has(topic) === true) return this.#gossipsub.stats(topic)
    const state = this.#topics.get(topic)
    return state?.router.stats()
  }

  // --- peers and streams ---

  #peer (peerId: PeerId, connection: Connection): PeerState {
    const key = peerId.toString()
    let peer = this.#peers.get(key)
    if (peer == null) {
      peer = {
        id: peerId,
        key,
        direction: connection.direction,
        topics: new Set(),
        out: new OutboundQueue(this.#init.maxQueuedBytesPerPeer ?? 16 * 1024 * 1024, bytes => {
          this.#log('dropped a %d byte frame to slow peer %s', bytes, key)
        }),
        opening: false,
        reopenAttempts: 0,
        attachedAt: 0,
        lastRateReport: 0
      }
      this.#peers.set(key, peer)
    }
    return peer
  }

  #onConnect (peerId: PeerId, connection: Connection): void {
    if (!this.#running) return
    const peer = this.#peer(peerId, connection)
    if (this.#wantsStream(peer)) this.#openOutbound(peer, connection)
  }

  /**
   * Whether we have anything to tell `peer`: our subscriptions, or frames waiting. Without, no
   * stream is opened (an idle stream costs both ends memory on every connection).
   */
  #wantsStream (peer: PeerState): boolean {
    return this.#topics.size > 0 || peer.out.waiting > 0
  }

  /** Queue `bytes` for `peer`, opening a stream to it when it has none. */
  #push (peer: PeerState, bytes: Uint8Array): void {
    peer.out.push(bytes)
    // a stream that is open, or closing (its close listener reopens), needs nothing more
    if (peer.outStream != null || peer.opening || !this.#running) return
    const connection = this.#openConnection(peer)
    if (connection != null) this.#openOutbound(peer, connection)
  }

  /** An open connection to `peer`, if any. */
  #openConnection (peer: PeerState): Connection | undefined {
    return this.#components.connectionManager.getConnections(peer.id).find(c => c.status === 'open')
  }

  #openOutbound (peer: PeerState, connection: Connection): void {
    if (peer.out.attached || peer.opening) return
    peer.opening = true
    connection.newStream(this.#protocol).then(stream => {
      peer.opening = false
      if (!this.#running || this.#peers.get(peer.key) !== peer) {
        stream.abort(new Error('gossip stopped'))
        return
      }
      peer.outStream = stream
      peer.attachedAt = this.#clock.now()
      // we never read from our outbound stream; the remote never writes to it
      stream.addEventListener('close', () => { this.#onOutboundClosed(peer, stream) })
      // every stream starts with all our subscriptions, so a peer that forgot us learns them again
      const topics = [...this.#topics.keys()]
      peer.out.attach(stream, topics.length > 0 ? encodeSubscriptions(topics.map(topic => ({ topic, subscribe: true }))) : undefined)
    }, (err: any) => {
      peer.opening = false
      this.#log('could not open a gossip stream to %s: %s', peer.key, err?.message ?? err)
      this.#onOutboundClosed(peer, undefined)
    })
  }

  /**
   * Our stream to a peer ended. Peers often hold two connections (both dialled at once) and
   * libp2p closes one: if another is open, carry on over it; only without one is the peer gone.
   */
  #onOutboundClosed (peer: PeerState, stream: Stream | undefined): void {
    if (stream != null && peer.outStream !== stream) return
    peer.outStream = undefined
    peer.out.detach()
    if (!this.#running || this.#peers.get(peer.key) !== peer) return
    const connection = this.#openConnection(peer)
    if (connection == null) {
      this.#onDisconnect(peer.id)
      return
    }
    // a stream that lived a while was no attack: start counting afresh (never after a failed open)
    if (stream != null && this.#clock.now() - peer.attachedAt > 60_000) peer.reopenAttempts = 0
    if (!this.#wantsStream(peer)) return
    if (peer.reopenAttempts++ >= MAX_REOPEN_ATTEMPTS) {
      this.#log('giving up on a gossip stream to %s', peer.key)
      this.#onDisconnect(peer.id)
      return
    }
    this.#openOutbound(peer, connection)
  }

  #onInbound (stream: Stream, connection: Connection): void {
    if (!this.#running) {
      stream.abort(new Error('gossip stopped'))
      return
    }
    const peer = this.#peer(connection.remotePeer, connection)
    if (peer.inStream != null && peer.inStream !== stream) peer.inStream.abort(new Error('replaced by a newer gossip stream'))
    peer.inStream = stream
    // a peer that opens a stream learns our subscriptions on ours, if we have any
    if (this.#wantsStream(peer)) this.#openOutbound(peer, connection)
    readFrames(stream, {
      maxBytes: maxFrameBytes(this.#wire),
      // decoded in #onBytes, after the rate check
      decode: bytes => ({ ok: true, frame: bytes }),
      onFrame: bytes => { this.#onBytes(peer, bytes) },
      report: (infraction, detail) => { this.#report(peer.key, infraction, `gossip: ${detail}`) },
      // our own failure on a frame that decoded: not the peer's infraction
      onError: err => { this.#log.error('handling a gossip frame from %s failed: %e', peer.key, err) }
    })
  }

  #onBytes (peer: PeerState, bytes: Uint8ArrayList): void {
    if (!this.#rateAllows(peer)) return
    const decoded = decodeFrame(bytes, this.#wire)
    if (!decoded.ok) {
      this.#report(peer.key, decoded.infraction, decoded.detail)
      peer.inStream?.abort(new GossipError(decoded.detail))
      return
    }
    const frame = decoded.frame
    if (frame.subscriptions.length > 0) this.#onSubscriptions(peer, frame.subscriptions)
    if (frame.topic == null || frame.body == null) return
    const state = this.#topics.get(frame.topic)
    // not (or no longer) subscribed: a race with our unsubscribe, not misbehaviour
    if (state == null) return
    const body = frame.body
    let topicFrame: GossipFrame
    if (body.type === 'message') {
      const message: GossipMessage = { id: state.messageId(body.data), topic: frame.topic, data: body.data }
      topicFrame = body.stem ? { type: 'stem', message } : { type: 'message', message, ttl: body.ttl, hops: body.hops }
    } else {
      topicFrame = { type: body.type, ids: body.ids }
    }
    const receiving: { key: PeerKey, broken?: string } = { key: peer.key }
    this.#receiving = receiving
    try {
      state.router.receive(peer.key, topicFrame)
    } finally {
      this.#receiving = undefined
    }
    // an unexpected or oversized frame, as its topic's router saw it: reported, and its stream ends
    if (receiving.broken != null) peer.inStream?.abort(new GossipError(receiving.broken))
  }

  #rateAllows (peer: PeerState): boolean {
    try {
      this.#rate.consume(peer.key, 1)
      return true
    } catch {
      const now = this.#clock.now()
      if (now - peer.lastRateReport >= 1000) {
        peer.lastRateReport = now
        this.#report(peer.key, 'rate-limit-exceeded', `more than ${this.#init.maxFramesPerSecond ?? 2000} gossip frames a second`)
      }
      return false
    }
  }

  #onSubscriptions (peer: PeerState, changes: Array<{ topic: string, subscribe: boolean }>): void {
    const max = this.#init.maxTopicsPerPeer ?? 1000
    const applied: Array<{ topic: string, subscribe: boolean }> = []
    for (const { topic, subscribe } of changes) {
      if (subscribe) {
        if (peer.topics.has(topic)) continue
        if (peer.topics.size >= max) {
          this.#report(peer.key, 'rate-limit-exceeded', `more than ${max} topics`)
          break
        }
        peer.topics.add(topic)
        this.#topics.get(topic)?.router.addPeer(peer.key, peer.direction)
      } else {
        if (!peer.topics.delete(topic)) continue
        this.#topics.get(topic)?.router.removePeer(peer.key)
      }
      applied.push({ topic, subscribe })
    }
    if (applied.length > 0) this.safeDispatchEvent('subscription-change', { detail: { peerId: peer.id, subscriptions: applied } })
  }

  #onDisconnect (peerId: PeerId): void {
    const peer = this.#peers.get(peerId.toString())
    if (peer == null) return
    this.#peers.delete(peer.key)
    for (const topic of peer.topics) this.#topics.get(topic)?.router.removePeer(peer.key)
    this.#dropPeer(peer)
  }

  #dropPeer (peer: PeerState): void {
    peer.out.close()
    void peer.outStream?.close().catch(() => {})
    peer.inStream?.abort(new Error('gossip peer removed'))
  }

  #broadcastSubscriptions (changes: Array<{ topic: string, subscribe: boolean }>): void {
    const bytes = encodeSubscriptions(changes)
    for (const peer of this.#peers.values()) this.#push(peer, bytes)
  }

  // --- router effects ---

  #send (peerKey: PeerKey, topic: string, frame: GossipFrame): void {
    const peer = this.#peers.get(peerKey)
    if (peer != null) this.#push(peer, encodeTopicFrame(topic, frame))
  }

  #schedule (state: TopicState, delayMs: number, timer: unknown): void {
    const cancel = this.#clock.setTimeout(() => {
      state.timers.delete(cancel)
      if (this.#topics.get(state.router.topic) !== state) return
      try {
        state.router.timer(timer)
      } catch (err) {
        this.#log.error('gossip strategy timer of "%s" failed: %e', state.router.topic, err)
      }
    }, delayMs)
    state.timers.add(cancel)
  }

  #cancelTimers (state: TopicState): void {
    for (const cancel of state.timers) cancel()
    state.timers.clear()
  }

  #peerId (key: PeerKey): PeerId {
    return this.#peers.get(key)?.id ?? peerIdFromString(key)
  }

  #deliver (state: TopicState, message: GossipMessage, from: PeerKey): void {
    const fromId = this.#peerId(from)
    this.#reporter.credit(fromId, 'gossip-delivery')
    this.safeDispatchEvent('message', { detail: { ...message, from: fromId, strategy: state.router.strategy } })
  }

  #validate (state: TopicState, message: GossipMessage, from: PeerKey, phase: 'stem' | 'fluff'): ValidationResult | undefined {
    const validate = state.validate
    if (validate == null) return 'accept'
    const timeoutMs = this.#init.validateTimeoutMs ?? 10_000
    const controller = new AbortController()
    const received = { ...message, from: this.#peerId(from), strategy: state.router.strategy, phase }
    let settled = false
    const settle = (result: ValidationResult): void => {
      if (settled) return
      settled = true
      cancelTimeout()
      state.router.validated(message.id, result)
    }
    const cancelTimeout = this.#clock.setTimeout(() => {
      controller.abort(new GossipError(`validator took longer than ${timeoutMs} ms`))
      settle('ignore')
    }, timeoutMs)
    Promise.resolve()
      .then(async () => await validate(received, { signal: controller.signal }))
      .then(result => {
        settle(result === 'accept' || result === 'reject' ? result : 'ignore')
      }, (err: any) => {
        this.#log('validator of "%s" threw: %s', state.router.topic, err?.message ?? err)
        settle('ignore')
      })
    return undefined
  }

  #report (peerKey: PeerKey, infraction: string, detail?: string): void {
    this.#log('%s: %s %s', peerKey, infraction, detail ?? '')
    this.#reporter.report(this.#peerId(peerKey), infraction, detail)
  }
}

