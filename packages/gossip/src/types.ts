import type { RouterLimits, TopicStats, ValidationResult } from './router.ts'
import type { GossipWireLimits } from './wire.ts'
import type { TimedClock } from '@hearsay/sansio'
import type { GossipMessage, MessageId, PeerReporter, Rng, StrategySpec } from '@hearsay/interface'
import type { GossipsubOpts } from '@libp2p/gossipsub'
import type { AbortOptions, ComponentLogger, PeerId, PeerStore, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

/** The `gossipsub()` strategy: the topic is carried by `@libp2p/gossipsub` instead of a hearsay core. */
export interface GossipsubSpec {
  readonly name: 'gossipsub'
  readonly external: 'gossipsub'
}

/** Any strategy `subscribe` accepts. */
export type Strategy = StrategySpec | GossipsubSpec

/** A message as the application receives it. */
export interface ReceivedMessage extends GossipMessage {
  /** The peer it came from (not necessarily its publisher: messages carry no author). */
  from: PeerId
  /** Name of the topic's strategy. */
  strategy: string
}

/** A message as the validator sees it: also in Dandelion's private stem phase. */
export interface ValidatedMessage extends ReceivedMessage {
  /**
   * `stem`: it arrived privately in Dandelion's stem phase and, if accepted, is relayed on but
   * not delivered yet; `fluff`: it arrived publicly and, if accepted, is delivered.
   */
  phase: 'stem' | 'fluff'
}

/**
 * The application's judgement of a received message, before it is relayed. Each message is
 * judged once, in the first phase it arrives in.
 */
export type Validator = (message: ValidatedMessage, options: AbortOptions) => ValidationResult | Promise<ValidationResult>

/** Options of {@link Gossip.subscribe}. */
export interface SubscribeOptions {
  /** How the topic's messages travel. `flood()`, `gnutella()`, `diffusion()`, `dandelion()`, `announce()` or `gossipsub()`. */
  strategy: Strategy
  /**
   * Judge each received message before it is delivered or relayed: `accept`, `ignore` (drop
   * quietly) or `reject` (drop and report the sender to scoring). A validator that throws or
   * takes longer than `validateTimeoutMs` counts as `ignore`.
   *
   * @default accept everything
   */
  validate?: Validator
  /**
   * The message id of a payload. Every node of the topic must use the same function.
   *
   * @default SHA-256 of the payload
   */
  messageId?: (data: Uint8Array) => Uint8Array
  /** Per-topic overrides of the router's limits (seen cache, request cache, validation queue). */
  limits?: Partial<RouterLimits>
}

/** Detail of the `message` event. */
export type GossipMessageEvent = ReceivedMessage

/** Events of {@link Gossip}. */
export interface GossipEvents {
  /** A new valid message on a subscribed topic. */
  message: CustomEvent<GossipMessageEvent>
  /** A peer subscribed to or unsubscribed from topics. */
  'subscription-change': CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>
}

/** The gossip service on a node (`node.services.gossip`). */
export interface Gossip extends TypedEventTarget<GossipEvents> {
  /** Start receiving and relaying `topic` with the given strategy. */
  subscribe(topic: string, options: SubscribeOptions): void
  /** Stop receiving and relaying `topic`; pending timers of its strategy are dropped. */
  unsubscribe(topic: string): void
  /**
   * Publish `data` on a subscribed topic. Resolves to the message id; publishing the same
   * payload again is a no-op that resolves to the same id.
   *
   * @throws {@link GossipError} when the topic is not subscribed or the payload is too large
   */
  publish(topic: string, data: Uint8Array, options?: AbortOptions): Promise<MessageId>
  /** Topics this node is subscribed to. */
  getTopics(): string[]
  /** Connected peers subscribed to `topic`. */
  getSubscribers(topic: string): PeerId[]
  /** Counters of a subscribed topic. */
  stats(topic: string): TopicStats | undefined
}

/** Options of the {@link gossip} service. */
export interface GossipInit {
  /** @default '/hearsay/gossip/1.0.0' */
  protocol?: string
  /** Wire limits; `maxMessageBytes` is also every topic's payload limit. */
  wire?: Partial<GossipWireLimits>
  /** Default router limits of every topic. */
  limits?: Partial<RouterLimits>
  /**
   * Frames one peer may send per second; beyond it frames are dropped and the peer reported
   * (`rate-limit-exceeded`, at most once a second).
   *
   * @default 2000
   */
  maxFramesPerSecond?: number
  /** Topics one peer may be subscribed to, as far as we track. @default 1000 */
  maxTopicsPerPeer?: number
  /** Bytes queued for a slow peer before frames to it are dropped. @default 16 MiB */
  maxQueuedBytesPerPeer?: number
  /** Longest a validator may take; then the message counts as ignored. @default 10 000 */
  validateTimeoutMs?: number
  /** Where misbehaviour is reported. @default the host's `scoring` service, if there is one */
  reporter?: PeerReporter
  /**
   * Options of the embedded `@libp2p/gossipsub` router used by `gossipsub()` topics, or `false`
   * to leave it out. hearsay sets unsigned messages with SHA-256 ids, so that its ids equal
   * the other strategies'.
   *
   * @default {}
   */
  gossipsub?: Partial<GossipsubOpts> | false
  /** Clock and timers of the strategies. @default the system clock */
  clock?: TimedClock
  /** Randomness of the strategies. @default a cryptographically seeded generator */
  rng?: Rng
}

/** What the gossip service takes from libp2p. */
export interface GossipComponents {
  peerId: PeerId
  privateKey: PrivateKey
  peerStore: PeerStore
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
  /** The host's scoring service, when it runs one under this name. */
  scoring?: PeerReporter
}

export type { TopicStats, ValidationResult, RouterLimits, MessageId }
