import type {
  Clock, Direction, GossipFrame, GossipMessage, GossipStrategy, HopInfo, InfractionName, MessageId,
  PeerKey, Rng, StrategyContext, StrategySpec
} from '@hearsay/interface'
import { MessageCache } from './message-cache.ts'
import { BoundedMap } from '@hearsay/sansio'
import { SeenCache } from './seen-cache.ts'

/** What an application's validator says of a message. `reject` is an infraction; `ignore` is not. */
export type ValidationResult = 'accept' | 'ignore' | 'reject'

/** What a {@link TopicRouter} asks its environment to do. */
export interface RouterEffects<Timer = unknown> {
  /** Send `frame` to `peer` (queue it; never block the router). */
  send(peer: PeerKey, frame: GossipFrame): void
  /** Call {@link TopicRouter.timer} with `timer` after `delayMs`. */
  schedule(delayMs: number, timer: Timer): void
  /** Hand a new valid message to the application. */
  deliver(message: GossipMessage, from: PeerKey): void
  /**
   * Validate `message` from `from`: return the result when it is known at once, or return
   * `undefined` and call {@link TopicRouter.validated} (now or later).
   * Until then the id counts as seen, so copies from other peers are duplicates. `phase` says
   * whether it came in a public `message` frame or a private Dandelion `stem` frame.
   */
  validate(message: GossipMessage, from: PeerKey, phase: 'stem' | 'fluff'): ValidationResult | undefined
  /** Report misbehaviour of `peer` (to `@hearsay/scoring` in a node). */
  report(peer: PeerKey, infraction: InfractionName, detail?: string): void
}

/** Limits of one topic's router. Every one bounds memory a remote peer can make us spend. */
export interface RouterLimits {
  /** Largest payload accepted or published, in bytes. @default 1 MiB */
  maxMessageBytes: number
  /** How long a message id is remembered as seen. @default 10 min */
  seenTtlMs: number
  /** Most message ids remembered as seen. @default 100 000 */
  seenMax: number
  /** How long a public message is kept to answer requests. @default 2 min */
  cacheTtlMs: number
  /** Most payload bytes kept to answer requests. @default 32 MiB */
  cacheMaxBytes: number
  /** Most messages waiting for the validator, in all. @default 1024 */
  maxPendingValidations: number
  /** Most messages from one peer waiting for the validator. @default 256 */
  maxPendingPerPeer: number
  /** Most validated stem-phase messages held private. @default 10 000 */
  maxStemPool: number
}

/** Defaults of {@link RouterLimits}. */
export const ROUTER_DEFAULTS: Readonly<RouterLimits> = Object.freeze({
  maxMessageBytes: 1024 * 1024,
  seenTtlMs: 10 * 60_000,
  seenMax: 100_000,
  cacheTtlMs: 2 * 60_000,
  cacheMaxBytes: 32 * 1024 * 1024,
  maxPendingValidations: 1024,
  maxPendingPerPeer: 256,
  maxStemPool: 10_000
})

/** Counters of one topic on one node. Payload bytes only: frame overhead is not counted. */
export interface TopicStats {
  /** Name of the topic's strategy. */
  strategy: string
  /** Subscribed peers. */
  peers: number
  /** Messages this node published. */
  published: number
  /** Message and stem frames received, duplicates included. */
  received: number
  /** Received messages this node already knew. */
  duplicates: number
  /** Messages handed to the application. */
  delivered: number
  /** Messages the validator rejected (each an infraction of the sender). */
  rejected: number
  /** Messages the validator ignored. */
  ignored: number
  /** Messages dropped because too many were waiting for the validator. */
  dropped: number
  /** Message and stem frames sent. */
  sent: number
  /** Payload bytes received in message and stem frames. */
  bytesIn: number
  /** Payload bytes sent in message and stem frames. */
  bytesOut: number
  /** Ids received in announce frames. */
  announcedIn: number
  /** Ids sent in announce frames. */
  announcedOut: number
  /** Ids received in request frames. */
  requestedIn: number
  /** Ids sent in request frames. */
  requestedOut: number
  /** Requested messages answered from the cache. */
  served: number
  /**
   * Stem-phase messages this node made public because their embargo timer fired before a public
   * copy arrived (Dandelion): each a stem that died on its way. Among honest nodes, 0.
   */
  embargoes: number
}

interface Pending {
  message: GossipMessage
  from: PeerKey
  type: 'message' | 'stem'
  hop: HopInfo
}

interface Stemmed {
  message: GossipMessage
  /** `undefined` for this node's own messages */
  from?: PeerKey
}

/** Options of {@link TopicRouter}. */
export interface TopicRouterInit<Timer> {
  topic: string
  spec: StrategySpec<Timer>
  clock: Clock
  rng: Rng
  effects: RouterEffects<Timer>
  limits?: Partial<RouterLimits>
}

/**
 * The sans-IO core every strategy shares: one topic on one node. It drops duplicates and
 * oversized payloads, runs messages past the application's validator, keeps the seen set,
 * the request cache and the private stem pool, counts everything, and hands each new valid
 * message to the topic's {@link GossipStrategy} exactly once.
 */
export class TopicRouter<Timer = unknown> {
  readonly topic: string
  readonly limits: Readonly<RouterLimits>
  readonly #spec: StrategySpec<Timer>
  readonly #strategy: GossipStrategy<Timer>
  readonly #effects: RouterEffects<Timer>
  readonly #peers = new Map<PeerKey, Direction>()
  readonly #seen: SeenCache<MessageId>
  readonly #cache: MessageCache
  readonly #stemPool: BoundedMap<MessageId, Stemmed>
  readonly #pending = new Map<MessageId, Pending>()
  readonly #pendingPerPeer = new Map<PeerKey, number>()
  // counters (see TopicStats) and the limits read on every frame are fields of the router itself:
  // at 100k simulated nodes, every separate object a frame touches is a cache miss
  #published = 0
  #received = 0
  #duplicates = 0
  #delivered = 0
  #rejected = 0
  #ignored = 0
  #dropped = 0
  #sent = 0
  #bytesIn = 0
  #bytesOut = 0
  #announcedIn = 0
  #announcedOut = 0
  #requestedIn = 0
  #requestedOut = 0
  #served = 0
  readonly #maxMessageBytes: number
  readonly #maxPending: number
  readonly #maxPendingPerPeer: number
  /** the id being handed to RouterEffects.validate, and an answer given through `validated` meanwhile */
  #validating: MessageId | undefined
  #answered: ValidationResult | undefined

  /**
   * What the strategy sees of its router. A class with methods on its prototype rather than an
   * object of closures: a call from the strategy then touches one small object, not a function
   * object and its scope per method per router (memory latency is what a relay costs when a
   * process holds 100k routers). Declared in the router's body, so it can reach its private parts.
   */
  static readonly #Context = class RouterContext<T> implements StrategyContext<T> {
    readonly #router: TopicRouter<T>
    readonly clock: Clock
    readonly rng: Rng

    constructor (router: TopicRouter<T>, clock: Clock, rng: Rng) {
      this.#router = router
      this.clock = clock
      this.rng = rng
    }

    peers (): ReadonlyMap<PeerKey, Direction> {
      return this.#router.#peers
    }

    send (peer: PeerKey, frame: GossipFrame): void {
      this.#router.#send(peer, frame)
    }

    schedule (delayMs: number, timer: T): void {
      this.#router.#effects.schedule(delayMs, timer)
    }

    has (id: MessageId): boolean {
      return this.#router.has(id)
    }

    fluff (message: GossipMessage): void {
      this.#router.#fluff(message)
    }

    report (peer: PeerKey, infraction: InfractionName, detail?: string): void {
      this.#router.#effects.report(peer, infraction, detail)
    }
  }

  /** A router for `init.topic` running the strategy `init.spec`, answering through `init.effects`. */
  constructor (init: TopicRouterInit<Timer>) {
    this.topic = init.topic
    this.limits = Object.freeze({ ...ROUTER_DEFAULTS, ...init.limits })
    this.#stemPool = new BoundedMap(this.limits.maxStemPool)
    this.#maxMessageBytes = this.limits.maxMessageBytes
    this.#maxPending = this.limits.maxPendingValidations
    this.#maxPendingPerPeer = this.limits.maxPendingPerPeer
    this.#spec = init.spec
    this.#effects = init.effects
    this.#seen = new SeenCache(this.limits.seenTtlMs, this.limits.seenMax, init.clock)
    this.#cache = new MessageCache(this.limits.cacheTtlMs, this.limits.cacheMaxBytes, init.clock)
    const context = new TopicRouter.#Context(this, init.clock, init.rng)
    this.#strategy = init.spec.create(context)
  }

  /** The strategy's name. */
  get strategy (): string {
    return this.#spec.name
  }

  /** Whether `id` is known: seen, published, pending validation or in the stem pool. */
  has (id: MessageId): boolean {
    return this.#seen.has(id) || this.#pending.has(id) || this.#stemPool.has(id)
  }

  /** A peer subscribed to the topic (on a connection in `direction`); adding it again is a no-op. */
  addPeer (peer: PeerKey, direction: Direction): void {
    if (this.#peers.get(peer) === direction) return
    if (this.#peers.has(peer)) this.#strategy.removePeer(peer)
    this.#peers.set(peer, direction)
    this.#strategy.addPeer(peer, direction)
  }

  /** A peer unsubscribed or disconnected; the strategy forgets it. */
  removePeer (peer: PeerKey): void {
    if (!this.#peers.delete(peer)) return
    this.#strategy.removePeer(peer)
  }

  /**
   * Publish a message of this node. Returns false, doing nothing, when the id is already known
   * (a repeated publish is idempotent).
   *
   * @throws RangeError when the payload is over `maxMessageBytes`
   */
  publish (message: GossipMessage): boolean {
    if (message.data.byteLength > this.limits.maxMessageBytes) {
      throw new RangeError(`message of ${message.data.byteLength} bytes is over the limit of ${this.limits.maxMessageBytes}`)
    }
    if (this.has(message.id)) return false
    this.#seen.add(message.id)
    this.#published++
    if (this.#spec.stems === true) {
      this.#holdStem(message.id, { message })
    } else {
      this.#cache.put(message)
    }
    this.#strategy.publish(message)
    return true
  }

  /** A decoded frame of this topic arrived from `peer`. */
  receive (peer: PeerKey, frame: GossipFrame): void {
    switch (frame.type) {
      case 'message':
        // the frame carries ttl and hops itself: no copy per received frame
        this.#receiveMessage(peer, frame.message, frame)
        return
      case 'stem':
        if (this.#spec.stems !== true || this.#strategy.onStem == null) {
          this.#effects.report(peer, 'unexpected-frame', `stem frame on topic "${this.topic}" relayed by ${this.#spec.name}`)
          return
        }
        this.#receiveStem(peer, frame.message)
        return
      case 'announce':
        if (this.#strategy.onAnnounce == null) {
          this.#effects.report(peer, 'unexpected-frame', `announce frame on topic "${this.topic}" relayed by ${this.#spec.name}`)
          return
        }
        this.#announcedIn += frame.ids.length
        this.#strategy.onAnnounce(peer, frame.ids)
        return
      case 'request':
        this.#serve(peer, frame.ids)
        return
      case 'notfound':
      case 'prune': {
        // frames only some strategies take: the others report them
        const strategy = this.#strategy
        const hook = frame.type === 'notfound' ? strategy.onNotFound?.bind(strategy) : strategy.onPrune?.bind(strategy)
        if (hook == null) {
          this.#effects.report(peer, 'unexpected-frame', `${frame.type} frame on topic "${this.topic}" relayed by ${this.#spec.name}`)
          return
        }
        hook(peer, frame.ids)
      }
    }
  }

  /** The validator's later answer for a message {@link RouterEffects.validate} returned `undefined` for. */
  validated (id: MessageId, result: ValidationResult): void {
    if (id === this.#validating) {
      // answered from inside RouterEffects.validate: taken as if it had been returned
      this.#answered = result
      return
    }
    const pending = this.#pending.get(id)
    if (pending == null) return
    this.#pending.delete(id)
    this.#release(pending.from)
    this.#conclude(pending, result)
  }

  /** A timer scheduled through {@link RouterEffects.schedule} fired. */
  timer (timer: Timer): void {
    this.#strategy.timer(timer)
  }

  /** A copy of the counters. */
  stats (): TopicStats {
    return {
      strategy: this.#spec.name,
      peers: this.#peers.size,
      published: this.#published, received: this.#received, duplicates: this.#duplicates, delivered: this.#delivered, rejected: this.#rejected, ignored: this.#ignored, dropped: this.#dropped,
      sent: this.#sent, bytesIn: this.#bytesIn, bytesOut: this.#bytesOut, announcedIn: this.#announcedIn, announcedOut: this.#announcedOut, requestedIn: this.#requestedIn, requestedOut: this.#requestedOut, served: this.#served,
      embargoes: this.#strategy.embargoes?.() ?? 0
    }
  }

  #receiveMessage (peer: PeerKey, message: GossipMessage, hop: HopInfo): void {
    if (!this.#accountIn(peer, message)) return
    const stemmed = this.#stemPool.get(message.id)
    if (stemmed != null) {
      // seen privately in the stem phase and validated then; now it is public
      this.#stemPool.delete(message.id)
      this.#makePublic(message, peer, stemmed.from == null)
      this.#strategy.onMessage(message, peer, hop)
      return
    }
    if (this.#seen.has(message.id) || this.#pending.has(message.id)) {
      this.#duplicates++
      this.#strategy.onDuplicate?.(message.id, peer, 'message')
      return
    }
    this.#startValidation({ message, from: peer, type: 'message', hop })
  }

  #receiveStem (peer: PeerKey, message: GossipMessage): void {
    if (!this.#accountIn(peer, message)) return
    if (this.has(message.id)) {
      this.#duplicates++
      this.#strategy.onDuplicate?.(message.id, peer, 'stem')
      return
    }
    this.#startValidation({ message, from: peer, type: 'stem', hop: {} })
  }

  /** Count an incoming payload; false (after reporting) when it is over the size limit. */
  #accountIn (peer: PeerKey, message: GossipMessage): boolean {
    this.#received++
    this.#bytesIn += message.data.byteLength
    if (message.data.byteLength > this.#maxMessageBytes) {
      this.#effects.report(peer, 'oversized-frame', `message of ${message.data.byteLength} bytes on "${this.topic}"`)
      return false
    }
    return true
  }

  #startValidation (pending: Pending): void {
    // with nothing waiting for the validator (always, when it answers at once) no peer has any
    const perPeer = this.#pending.size === 0 ? 0 : this.#pendingPerPeer.get(pending.from) ?? 0
    if (this.#pending.size >= this.#maxPending || perPeer >= this.#maxPendingPerPeer) {
      // not marked seen: another copy may arrive once the validator has caught up
      this.#dropped++
      this.#strategy.onRefused?.(pending.message.id, pending.from)
      return
    }
    const id = pending.message.id
    this.#seen.add(id)
    this.#validating = id
    this.#answered = undefined
    let result: ValidationResult | undefined
    try {
      result = this.#effects.validate(pending.message, pending.from, pending.type === 'stem' ? 'stem' : 'fluff') ?? this.#answered
    } finally {
      this.#validating = undefined
    }
    if (result !== undefined) {
      // answered at once (no validator, or a synchronous one): no bookkeeping of the wait
      this.#conclude(pending, result)
      return
    }
    this.#pending.set(pending.message.id, pending)
    this.#pendingPerPeer.set(pending.from, perPeer + 1)
  }

  /** Act on a validator's answer. */
  #conclude (pending: Pending, result: ValidationResult): void {
    const id = pending.message.id
    if (result === 'reject') {
      this.#rejected++
      this.#effects.report(pending.from, 'invalid-message', `validator rejected ${id.slice(0, 16)} on "${this.topic}"`)
      this.#strategy.onRefused?.(id, pending.from)
      return
    }
    if (result === 'ignore') {
      this.#ignored++
      this.#strategy.onRefused?.(id, pending.from)
      return
    }
    if (pending.type === 'stem') {
      this.#holdStem(id, { message: pending.message, from: pending.from })
      this.#strategy.onStem?.(pending.message, pending.from)
      return
    }
    this.#makePublic(pending.message, pending.from)
    this.#strategy.onMessage(pending.message, pending.from, pending.hop)
  }

  #release (peer: PeerKey): void {
    const count = (this.#pendingPerPeer.get(peer) ?? 1) - 1
    if (count <= 0) this.#pendingPerPeer.delete(peer)
    else this.#pendingPerPeer.set(peer, count)
  }

  #makePublic (message: GossipMessage, from: PeerKey, own = false): void {
    // the id may have left the seen set while a validator ran (age, or many newer ids)
    this.#seen.add(message.id)
    this.#cache.put(message)
    if (own) return
    this.#delivered++
    this.#effects.deliver(message, from)
  }

  #holdStem (id: MessageId, stemmed: Stemmed): void {
    this.#stemPool.set(id, stemmed)
  }

  #fluff (message: GossipMessage): void {
    const stemmed = this.#stemPool.get(message.id)
    if (stemmed == null) {
      if (this.#cache.get(message.id) == null) this.#cache.put(message)
      return
    }
    this.#stemPool.delete(message.id)
    if (stemmed.from == null) this.#makePublic(message, '', true)
    else this.#makePublic(message, stemmed.from)
  }

  #serve (peer: PeerKey, ids: MessageId[]): void {
    this.#requestedIn += ids.length
    let missing: MessageId[] | undefined
    for (const id of ids) {
      const message = this.#cache.get(id)
      if (message == null) {
        (missing ??= []).push(id)
        continue
      }
      this.#served++
      this.#send(peer, { type: 'message', message })
    }
    this.#strategy.onRequest?.(peer, missing ?? [])
  }

  #send (peer: PeerKey, frame: GossipFrame): void {
    switch (frame.type) {
      case 'message':
      case 'stem':
        this.#sent++
        this.#bytesOut += frame.message.data.byteLength
        break
      case 'announce':
        this.#announcedOut += frame.ids.length
        break
      case 'request':
        this.#requestedOut += frame.ids.length
    }
    this.#effects.send(peer, frame)
  }
}
