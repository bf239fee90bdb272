import type { FileIndexComponents, FileIndexStats } from './types.ts'
import type { PickerOptions } from './picker.ts'
import type { Throttle } from './throttle.ts'
import type { PieceWireLimits } from './wire.ts'
import type { PeerReporter, Rng } from '@hearsay/interface'
import type { TimedClock } from '@hearsay/sansio'
import type { Logger } from '@libp2p/interface'

/** The piece transfer's settings, resolved once from {@link FileIndexInit}. */
export interface TransferSettings {
  /** The protocol id of the piece transfer. */
  protocol: string
  /** Bounds of its frames. */
  wire: PieceWireLimits
  /** Options of every download's {@link PiecePicker}. */
  picker: Partial<PickerOptions>
  /** Providers one download talks to at once. */
  maxPeers: number
  /** Pieces being written at once per download. */
  maxPendingWrites: number
  /** Requests queued per upload session. */
  maxQueuedRequests: number
  /** Upload bandwidth shared by every session, if limited. */
  throttle?: Throttle
  /** Pieces go over limited (relayed) connections too. */
  overRelay?: boolean
}

/**
 * What downloads and uploads need besides the {@link Library}: the node's libp2p parts, the
 * settings, clock and randomness, where misbehaviour is reported and the counters they add to.
 */
export interface TransferContext {
  /** The libp2p components a download dials and looks up providers with. */
  components: Pick<FileIndexComponents, 'peerId' | 'connectionManager' | 'peerStore' | 'contentRouting'>
  /** The settings. */
  settings: TransferSettings
  /** Time and timers. */
  clock: TimedClock
  /** Randomness (each download forks it). */
  rng: Rng
  /** The service's log. */
  log: Logger
  /** Where misbehaviour is reported and verified pieces credited; never throws. */
  reporter: PeerReporter
  /** The service's counters, added to in place. */
  stats: FileIndexStats
}
