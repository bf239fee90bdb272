import type { InfractionName } from './infraction.ts'
import type { Direction, PeerKey } from './peer.ts'
import type { Clock, Rng } from './time.ts'

/**
 * A message id as cores see it: lowercase hex. By default the SHA-256 of the payload; an
 * application may supply its own id function (the id then names the message on the wire in
 * `announce`/`request` frames).
 */
export type MessageId = string

/** One published message, as strategies and applications see it. */
export interface GossipMessage {
  /** {@link MessageId} of `data` */
  id: MessageId
  topic: string
  data: Uint8Array
}

/**
 * A frame of one topic, as a strategy sends and receives it. The adapter adds the topic and
 * encodes it as protobuf; the simulator hands the object over as it is.
 *
 * - `message`: a full message in the public (fluff) phase; `ttl`/`hops` for TTL strategies
 * - `stem`: a full message in Dandelion's private stem phase
 * - `announce`: "I have these ids" (inv)
 * - `request`: "send me these ids" (getdata); answered with `message` frames from the cache
 * - `notfound`: "I cannot send you these ids you requested" (Bitcoin's notfound): ask someone else
 * - `prune`: "these ids came from you twice: announce payloads to me instead of sending them"
 *   (Plumtree's PRUNE, for `announce()`'s tree; a `request` grafts the link back)
 */
export type GossipFrame =
  | { type: 'message', message: GossipMessage, ttl?: number, hops?: number }
  | { type: 'stem', message: GossipMessage }
  | { type: 'announce', ids: MessageId[] }
  | { type: 'request', ids: MessageId[] }
  | { type: 'notfound', ids: MessageId[] }
  | { type: 'prune', ids: MessageId[] }

/** What a strategy can see and do: one topic on one node. */
export interface StrategyContext<Timer> {
  readonly clock: Clock
  readonly rng: Rng
  /** The peers subscribed to this topic and which side opened the connection to each. */
  peers(): ReadonlyMap<PeerKey, Direction>
  /** Send a frame of this topic to `peer`. */
  send(peer: PeerKey, frame: GossipFrame): void
  /** Call the strategy's `timer(timer)` after `delayMs`. */
  schedule(delayMs: number, timer: Timer): void
  /** Whether this node already knows `id`: received, published, in the stem pool, or rejected. */
  has(id: MessageId): boolean
  /**
   * Make a stem-phase message public: deliver it to the application (unless this node published
   * it) and answer `request`s for it from now on. A no-op for a message already public.
   */
  fluff(message: GossipMessage): void
  /** Report misbehaviour by `peer` to scoring. */
  report(peer: PeerKey, infraction: InfractionName, detail?: string): void
}

/** Hop information a TTL-bounded strategy reads from a received `message` frame. */
export interface HopInfo {
  ttl?: number
  hops?: number
}

/**
 * A relay strategy: the sans-IO state machine that decides where and when a topic's messages
 * go. The router in front of it has already dropped duplicates, enforced sizes and run the
 * application's validator, so every callback sees a new, valid message exactly once.
 *
 * @typeParam Timer - the strategy's own timer payload, handed back to {@link GossipStrategy.timer}
 */
export interface GossipStrategy<Timer = unknown> {
  /** A peer subscribed to the topic (or connected while subscribed). */
  addPeer(peer: PeerKey, direction: Direction): void
  /** A peer unsubscribed or disconnected. */
  removePeer(peer: PeerKey): void
  /** This node published `message`. */
  publish(message: GossipMessage): void
  /** A new, valid message in a `message` frame from `from`; already delivered to the application. */
  onMessage(message: GossipMessage, from: PeerKey, hop: HopInfo): void
  /** A new, valid message in a `stem` frame. Required when the strategy's spec sets `stems`. */
  onStem?(message: GossipMessage, from: PeerKey): void
  /** `from` sent a message this node already knew, as a `message` or a `stem` frame. */
  onDuplicate?(id: MessageId, from: PeerKey, type: 'message' | 'stem'): void
  /** `from` announced ids. Strategies without it make `announce` frames an `unexpected-frame`. */
  onAnnounce?(from: PeerKey, ids: MessageId[]): void
  /**
   * `from` sent a request frame; `ids` are those of its ids the router could not answer from its
   * cache (not public here, or no longer cached), empty when it answered them all. Strategies
   * without it leave such ids unanswered.
   */
  onRequest?(from: PeerKey, ids: MessageId[]): void
  /**
   * `from` answered a request with `notfound`. Strategies without it make `notfound` frames an
   * `unexpected-frame`.
   */
  onNotFound?(from: PeerKey, ids: MessageId[]): void
  /**
   * `from` sent a `prune` frame for ids. Strategies without it make `prune` frames an
   * `unexpected-frame`.
   */
  onPrune?(from: PeerKey, ids: MessageId[]): void
  /**
   * A message from `from` will never reach {@link GossipStrategy.onMessage}: the validator
   * rejected or ignored it, or it was dropped because too many waited for the validator.
   */
  onRefused?(id: MessageId, from: PeerKey): void
  /** A timer the strategy scheduled fired. */
  timer(timer: Timer): void
  /**
   * Stem-phase messages this node made public because their embargo timer fired, i.e. no public
   * copy came back in time: a stem lost on its way (a black hole, a lost frame). Strategies
   * without stems leave it out.
   */
  embargoes?(): number
}

/**
 * A strategy as the application chooses it (`flood()`, `dandelion({ ... })`): a name for stats
 * and a constructor called once per subscribed topic.
 */
export interface StrategySpec<Timer = any> {
  /** Short name used in stats and logs, e.g. `'flood'`. */
  readonly name: string
  /** Whether the strategy sends and accepts `stem` frames (and holds own messages private). */
  readonly stems?: boolean
  /** Build the strategy for one topic. */
  create(context: StrategyContext<Timer>): GossipStrategy<Timer>
}
