import type { PickerOptions } from './picker.ts'
import type { PieceWireLimits } from './wire.ts'
import type { SearchComponents, SearchInit, SearchOptions, SearchResult } from './search/index.ts'
import type { TimedClock } from '@hearsay/sansio'
import type { PeerReporter, Rng } from '@hearsay/interface'
import type { Libp2pEvents, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ProgressEvent, ProgressOptions } from 'progress-events'

/** What the file index takes from libp2p. */
export interface FileIndexComponents extends SearchComponents {
  peerStore: PeerStore
  /** The node's events: a new direct connection lets a download retry a peer it reached only over a relay. */
  events: TypedEventTarget<Libp2pEvents>
}

/** Options of {@link fileIndex}. */
export interface FileIndexInit {
  /** Directory of the piece and manifest store; memory when absent. */
  dataDir?: string
  /** Piece size of added files. @default 256 KiB (doubled for files whose manifest would exceed 4 MiB) */
  pieceSize?: number
  /** Re-provide every complete file on the DHT this often (kad-dht records live 48 h). @default 12 h */
  reprovideIntervalMs?: number
  /** Delay of the first provide of the files found in the store at start. @default 5000 */
  initialProvideDelayMs?: number
  /** Peers served at once, across all files. @default 32 */
  uploadSlots?: number
  /** Sessions (files) one peer may download from us at once. @default 4 */
  uploadSlotsPerPeer?: number
  /** Requests one session may queue with us; more are answered busy. @default 128 */
  maxQueuedRequests?: number
  /** Cap on upload throughput, bytes per second, across all peers. @default unlimited */
  uploadBytesPerSecond?: number
  /** Wire limits of `/hearsay/pieces/1.0.0`. */
  wire?: Partial<PieceWireLimits>
  /** Piece picker tuning. */
  picker?: Partial<PickerOptions>
  /**
   * Serve and fetch pieces over limited (relayed) connections too. Off by default: a relay carries
   * a file for someone else, and circuit relay v2's default limits (128 KiB and 2 minutes per
   * connection) end such a transfer early anyway. Turn it on with a relay of your own that allows
   * more; a direct connection, when there is one, is still taken first. Off, a download that
   * reaches a provider only over a relay tries it again as soon as a direct connection to it opens.
   *
   * @default false
   */
  overRelay?: boolean
  /** Most peers a download opens sessions with. @default 16 */
  maxPeersPerDownload?: number
  /** Received pieces a download may hold in memory, waiting for the store, before it pauses requests. @default 32 */
  maxPendingWrites?: number
  /** Options of the search backends (`files.search`). */
  search?: SearchInit
  /** Where bad pieces and protocol violations are reported; the host's `scoring` service by default. */
  reporter?: PeerReporter
  /** Protocol id. @default '/hearsay/pieces/1.0.0' */
  protocol?: string
  /** For tests. */
  clock?: TimedClock
  rng?: Rng
}

/** Progress of {@link FileIndex.add}. */
export type AddProgressEvents =
  | ProgressEvent<'files:add:progress', { bytes: number, size: number, pieces: number }>
  | ProgressEvent<'files:add:done', { id: string, name: string, size: number, pieces: number }>

/** Options of {@link FileIndex.add}. */
export interface AddOptions extends ProgressOptions<AddProgressEvents> {
  /** The file's name; the path's base name by default, `''` for bytes. */
  name?: string
  /** Overrides the service's piece size. */
  pieceSize?: number
  /** Provide the file on the DHT. @default true */
  provide?: boolean
  signal?: AbortSignal
}

/** Progress detail of a download. */
export interface GetProgress {
  id: string
  piecesDone: number
  pieces: number
  bytesDone: number
  bytes: number
  /** Bytes per second since the download started (pieces fetched this time only). */
  rate: number
  /** Peers downloading from now. */
  peers: number
}

/** Progress of {@link FileIndex.get}. */
export type GetProgressEvents =
  | ProgressEvent<'files:get:manifest', { id: string, name: string, size: number, pieces: number, from: string }>
  | ProgressEvent<'files:get:peer', { id: string, peer: string, pieces: number }>
  | ProgressEvent<'files:get:progress', GetProgress>
  | ProgressEvent<'files:get:bad-piece', { id: string, peer: string, index: number }>
  | ProgressEvent<'files:get:done', GetResult>

/** Options of {@link FileIndex.get}. */
export interface GetOptions extends ProgressOptions<GetProgressEvents> {
  /** Write the file here (atomically: a temporary file in the same directory, then a rename). */
  out?: string
  signal?: AbortSignal
  /** Give up when no peer has sent the manifest for this long. @default 60000 */
  manifestTimeoutMs?: number
  /** Give up when no piece arrived from anyone for this long. @default 120000 */
  idleTimeoutMs?: number
  /** Look the file's providers up on the DHT. @default true */
  dht?: boolean
}

/** What {@link FileIndex.get} returns. */
export interface GetResult {
  id: string
  name: string
  size: number
  pieces: number
  /** The written file, when `out` was given. */
  path?: string
  /** Pieces fetched from peers by this call (0 when the file was already complete). */
  piecesFetched: number
  /** Bytes of piece data received from each peer by this call, by PeerId string. */
  fromPeers: Record<string, number>
  /** Piece bytes received more than once (endgame races). */
  duplicateBytes: number
}

/** A file in the local store. */
export interface LocalFile {
  id: string
  name: string
  size: number
  pieceSize: number
  pieces: number
  /** Pieces held and verified. */
  piecesHave: number
  complete: boolean
}

/** Upload and download counters, for benchmarks and monitoring. */
export interface FileIndexStats {
  uploadedBytes: number
  uploadedPieces: number
  downloadedBytes: number
  duplicateBytes: number
  badPieces: number
  activeUploads: number
}

/** The file index service (`node.services.files`). */
export interface FileIndex extends Startable {
  /** Add a file (a path, read in pieces, or bytes) to the store and provide it; resolves to its id. */
  add(pathOrBytes: string | Uint8Array, options?: AddOptions): Promise<string>
  /** Download a file (or find it complete locally) and optionally write it to `out`. */
  get(id: string, options?: GetOptions): Promise<GetResult>
  /** Read a complete local file's bytes (verifying every piece). */
  cat(id: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  /** Forget a file: its manifest and the pieces no other local file uses; stop providing it. */
  remove(id: string): Promise<void>
  /** The local files, complete and partial. */
  list(): LocalFile[]
  /** Provide a complete local file on the DHT now. */
  provide(id: string, options?: { signal?: AbortSignal }): Promise<void>
  /** Search the network for files by words of their names. */
  search(words: string, options?: SearchOptions): Promise<SearchResult[]>
  /** Upload, download and duplicate byte counters, bad pieces and active uploads. */
  stats(): FileIndexStats
}
