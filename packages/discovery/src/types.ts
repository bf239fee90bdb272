import type { AddressBook, AddressBookOptions } from './address-book.ts'
import type { PolicyStats } from './policy.ts'
import type { EvictionOptions } from './eviction.ts'
import type { Netgroup } from './netgroup.ts'
import type { PexLimits } from './pex.ts'
import type { PeerReporter, Rng } from '@hearsay/interface'
import type { TimedClock } from '@hearsay/sansio'
import type {
  AbortOptions, ComponentLogger, Libp2pEvents, PeerDiscoveryEvents, PeerDiscoveryProvider, PeerId, PeerStore,
  Startable, TypedEventTarget
} from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Datastore } from 'interface-datastore'

/** Options of {@link discovery}. Every one has a default, chosen for the real network. */
export interface DiscoveryInit {
  /** Outbound connections to keep, each in a different netgroup. @default 8 */
  targetOutbound?: number
  /**
   * Most inbound connections; past it one is evicted by diversity (or the newcomer refused). A
   * connection past it waits `INBOUND_GRACE_MS` (5 s) first, in case it is another node's feeler,
   * which is gone by then; up to `INBOUND_GRACE_SLOTS` (4) wait at once, any other is answered at
   * once. @default 64
   */
  maxInbound?: number
  /** Outbound peers saved as anchors and dialled first after a restart. @default 2 */
  anchors?: number
  /** How often the dial loop checks the outbound count. @default 5000 */
  dialIntervalMs?: number
  /**
   * Most dials started per round of the dial loop; a dial that connects below the target starts
   * the next one at once, as long as fewer than this many are in flight. @default 4
   */
  maxParallelDials?: number
  /**
   * Do not redial an address tried more recently than this; one whose dials failed waits
   * `FAILED_RETRY_MS` (1 min) doubled per failure in a row, at most this. @default 600_000 (10 min)
   */
  dialRetryMs?: number
  /** Give up a dial after this long. @default 10_000 */
  dialTimeoutMs?: number
  /**
   * How often a random outbound peer is asked for addresses, one not asked within `pexCacheMs` if
   * there is one (a new outbound peer is asked at once; inbound peers never are); each wait is
   * this times a random factor in [0.5, 1.5), so hosts started together do not ask in lockstep.
   * @default 600_000
   */
  pexIntervalMs?: number
  /**
   * Least time between two peer-exchange requests to or from one peer: we ask a peer at most this
   * often, and serve a peer at most this often (a request sooner is a `rate-limit-exceeded`).
   * @default 60_000
   */
  pexPeerIntervalMs?: number
  /**
   * How long answers are cut from one sample of the address book (at most 23 % of it, never fewer
   * than 64 peers; a book that small is given whole, as it is), each lifetime 0.5–1.5 times this;
   * drawn again sooner when the book has doubled. Every asker within a lifetime gets the same
   * peers, so the book cannot be scraped by asking again; the PEX round prefers peers not asked
   * within it, and a peer connected again within it is not asked again. `0`: a fresh sample per answer.
   * @default 1_800_000 (30 min)
   */
  pexCacheMs?: number
  /** How many peers to ask for per request (at most `limits.maxPeers`). @default 1000 */
  pexMaxPeers?: number
  /** A peer-exchange exchange must finish within this long. @default 10_000 */
  pexTimeoutMs?: number
  /**
   * How often a feeler tests a `new` address (or a tried collision), on average: each wait is
   * this times a random factor in [0.5, 1.5). `0` turns feelers off. @default 120_000
   */
  feelerIntervalMs?: number
  /**
   * How long a feeler connection is kept before it is dropped. `0`: at once, as soon as its dial
   * has connected — the handshake proved who answers at the address, and a feeler held open is
   * identified both ways and joins both ends' DHT routing tables for nothing. @default 0
   */
  feelerHoldMs?: number
  /** Protocol limits (answer size, frame size). @default {@link PEX_LIMITS} */
  limits?: Partial<PexLimits>
  /** Maps an address to its netgroup. @default /16 for IPv4, /32 for IPv6 */
  netgroup?: Netgroup
  /** Address book sizes and times (bucket counts, horizon, ...). */
  addressBook?: Partial<Omit<AddressBookOptions, 'clock' | 'rng' | 'netgroup' | 'self'>>
  /** How many inbound peers each eviction rule protects. */
  eviction?: Omit<EvictionOptions, 'groupRank'>
  /** Where misbehaviour is reported. @default the node's `scoring` service if any, else only logged */
  reporter?: PeerReporter
  /** Datastore key of the saved anchors. @default '/hearsay/discovery/anchors' */
  anchorsKey?: string
  /** Clock and timers. @default systemClock */
  clock?: TimedClock
  /** Randomness (selection, bucket key). @default cryptoRng() */
  rng?: Rng
}

/** The libp2p components the discovery service uses. */
export interface DiscoveryComponents {
  peerId: PeerId
  peerStore: PeerStore
  connectionManager: ConnectionManager
  registrar: Registrar
  datastore: Datastore
  logger: ComponentLogger
  events: TypedEventTarget<Libp2pEvents>
  /** The scoring service, when the node runs one under the name `scoring`. */
  scoring?: PeerReporter
}

/** What {@link Discovery.stats} reports: the policy's view of the book, the connections and the counters. */
export type DiscoveryStats = PolicyStats

/**
 * The discovery service: keeps the node connected to `targetOutbound` peers in distinct
 * netgroups, learns addresses by peer exchange, and is a libp2p peer-discovery module
 * (`peer` events for every address it selects to dial).
 */
export interface Discovery extends TypedEventTarget<PeerDiscoveryEvents>, PeerDiscoveryProvider, Startable {
  /** The address book (read it; the service feeds it). */
  readonly addressBook: AddressBook
  /** Sizes of the tables, connection counts by netgroup, anchors. */
  stats(): DiscoveryStats
  /**
   * Ask `peer` (connected or dialable) for addresses now, bypassing the PEX timer but not the
   * per-peer interval. Resolves with how many peers were new to the address book.
   */
  exchange(peer: PeerId, options?: AbortOptions): Promise<number>
}
