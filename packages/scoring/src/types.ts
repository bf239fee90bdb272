import type { LedgerOptions } from './ledger.ts'
import type { PeerReporter, InfractionName } from '@hearsay/interface'
import type { TimedClock } from '@hearsay/sansio'
import type {
  AbortOptions, ComponentLogger, Connection, ConnectionGater, Libp2pEvents, PeerId, PeerStore,
  TypedEventTarget
} from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** Options of {@link scoring}: the ledger's options plus the adapter's own. */
export interface ScoringInit extends Omit<LedgerOptions, 'clock' | 'allow'> {
  /** Peers that are never banned, as PeerIds or their strings. @default [] */
  allow?: Iterable<PeerId | string>
  /** Clock and timers; tests may pass a `ManualClock`. @default systemClock */
  clock?: TimedClock
  /** Name of the peer-store tag holding each connected peer's reputation. @default 'hearsay-score' */
  tagName?: string
  /** Tag writes are batched over this many ms. @default 1000 */
  tagDebounceMs?: number
  /** Datastore key prefix under which bans are persisted. @default '/hearsay/scoring/bans' */
  datastorePrefix?: string
  /** How long a banned peer's connections may take to close gracefully before they are aborted. @default 500 */
  closeTimeoutMs?: number
}

/** The subset of libp2p's connection manager that scoring uses. */
export interface ScoringConnectionManager {
  /** Open connections, all or to `peerId`. */
  getConnections(peerId?: PeerId): Connection[]
  /** Close every connection to `peer` (a banned peer). */
  closeConnections(peer: PeerId, options?: AbortOptions): Promise<void>
}

/** What the scoring service takes from the libp2p node. */
export interface ScoringComponents {
  peerId: PeerId
  peerStore: PeerStore
  connectionManager: ScoringConnectionManager
  datastore: Datastore
  logger: ComponentLogger
  events: TypedEventTarget<Libp2pEvents>
}

/** A ban as the service reports it. */
export interface Ban {
  peerId: PeerId
  /** Why: the infraction that crossed the threshold, or the reason given to `ban()`. */
  reason: string
  /** When the ban started (epoch ms). */
  since: number
  /** When it lifts (epoch ms); `Infinity` if never. */
  until: number
  /** How many times this peer has been banned, this ban included. */
  strikes: number
  /** IP addresses refused along with the peer (repeat offenders, when `banIpAfter` is set). */
  ips: string[]
  /** Made by `ban()` rather than earned by points. */
  manual: boolean
}

/** Detail of a `peer:unbanned` event. */
export interface PeerUnbanned {
  peerId: PeerId
  /** `expired`: its time ran out; `unbanned`: `unban()` was called; `evicted`: dropped to stay under `maxBans`. */
  reason: 'expired' | 'unbanned' | 'evicted'
  /** The ban that was lifted. */
  ban: Ban
}

/** Events of the scoring service. */
export interface ScoringEvents {
  /** A peer was banned (by points or by hand); its connections are being closed. */
  'peer:banned': CustomEvent<Ban>
  /** A ban was lifted; the peer may connect again. */
  'peer:unbanned': CustomEvent<PeerUnbanned>
}

/** Options of {@link Scoring.ban}. */
export interface ScoringBanOptions extends AbortOptions {
  /** How long; `Infinity` for good. @default the service's `banDurationMs` (24 h) */
  durationMs?: number
  /** Why, for logs and events. @default 'banned manually' */
  reason?: string
}

/**
 * The scoring service: one reputation per peer across every protocol on the node. Protocols
 * see it only as a {@link PeerReporter}; applications also read scores and manage bans.
 * Scores are local knowledge and are never sent to other peers.
 */
export interface Scoring extends PeerReporter, TypedEventTarget<ScoringEvents> {
  /** Record an infraction (see the infraction table); never throws. */
  report(peer: PeerId, infraction: InfractionName, detail?: string): void
  /** Record useful behaviour; raises the peer's reputation, never offsets points. Never throws. */
  credit(peer: PeerId, reason: string): void
  /** The peer's misbehaviour points now (decayed); 0 for unknown or banned peers. */
  score(peer: PeerId): number
  /** The peer's reputation 0..100 (50 neutral, 0 banned), as written to its peer-store tag. */
  reputation(peer: PeerId): number
  /** Whether the peer is banned now. */
  isBanned(peer: PeerId): boolean
  /**
   * Ban a peer by hand: close its connections, refuse it, persist the ban. Resolves with the
   * ban once it is persisted, or `undefined` for an allow-listed peer.
   */
  ban(peer: PeerId, options?: ScoringBanOptions): Promise<Ban | undefined>
  /** Lift a peer's ban; resolves `true` if it was banned, once the persisted copy is gone. */
  unban(peer: PeerId, options?: AbortOptions): Promise<boolean>
  /** Every ban in force, oldest first. */
  list(): Ban[]
  /** The infraction table in effect: name → points. */
  infractions(): Record<string, number>
}

/**
 * What {@link scoring} returns: a libp2p service factory that also carries the connection gater
 * enforcing its bans, to be passed as `connectionGater` to `createLibp2p`.
 */
export interface ScoringFactory {
  (components: ScoringComponents): Scoring
  /** Refuses banned peers; refuses nothing until the service is created and started. */
  readonly connectionGater: ConnectionGater
}
