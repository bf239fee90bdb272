import type { TimedClock } from '@hearsay/sansio'
import type { InfractionName, PeerKey, Rng } from '@hearsay/interface'
import type { ComponentLogger, ContentRouting, Logger, PeerId, PeerStore } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { SearchWireLimits, WireEntry } from './wire.ts'

/** What every backend gets from {@link FileSearch}. */
export interface BackendContext {
  self: PeerId
  selfKey: PeerKey
  registrar: Registrar
  connectionManager: ConnectionManager
  contentRouting: ContentRouting
  /** Absent in some tests: then late-start catch-up is skipped. */
  peerStore?: PeerStore
  logger: ComponentLogger
  log: Logger
  clock: TimedClock
  rng: Rng
  limits: SearchWireLimits
  /** Report misbehaviour; never throws. */
  report(peer: PeerId | PeerKey, infraction: InfractionName, detail?: string): void
  credit(peer: PeerId, reason: string): void
  /** This node's files matching every one of `words` (keywords), at most `limit`. */
  match(words: string[], limit: number): WireEntry[]
  /** This node's files, as far as they fit the wire limits. */
  entries(): WireEntry[]
  /** Aborted when the service stops. */
  readonly signal: AbortSignal
}
