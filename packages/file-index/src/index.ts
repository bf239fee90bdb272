/**
 * `@hearsay/file-index`: BitTorrent's trackerless design on libp2p. Files are split into
 * pieces with SHA-256 hashes in a content-addressed manifest whose CID is the file id; the
 * DHT maps a file id to the peers that provide it; downloads pull different pieces from
 * different peers at once over `/hearsay/pieces/1.0.0`, verifying every piece. Search over
 * three designs (DHT keywords, flooding, a central index) behind `files.search`.
 *
 * @packageDocumentation
 */
import { FileIndexService } from './service.ts'
import type { FileIndex, FileIndexComponents, FileIndexInit } from './types.ts'

/**
 * The file index service factory, for `services: { files: fileIndex({ dataDir }) }` of a
 * libp2p node with a DHT (content routing). Reports misbehaviour to the node's `scoring`
 * service when it has one.
 */
export function fileIndex (init: FileIndexInit = {}): (components: FileIndexComponents) => FileIndex {
  return components => new FileIndexService(components, init)
}

export { FileIndexError, InvalidManifestError, NotFoundError } from './errors.ts'
export { Bitfield } from './bitfield.ts'
export {
  DEFAULT_PIECE_SIZE, MIN_PIECE_SIZE, MAX_PIECE_SIZE, MAX_MANIFEST_BYTES, MAX_NAME_BYTES,
  encodeManifest, decodeManifest, manifestCid, pieceCid, parseFileId, manifestOf, choosePieceSize, pieceCount, pieceLength, sha256
} from './manifest.ts'
export type { FileManifest } from './manifest.ts'
export { PiecePicker, PICKER_DEFAULTS } from './picker.ts'
export { PieceSession } from './session.ts'
export type { SessionAction, ServedFile, ServeLimits } from './session.ts'
export type { PickerOptions, PickerAction, PickerProgress, Received } from './picker.ts'
export { PIECES_PROTOCOL, PIECE_WIRE_DEFAULTS, encodeFrame, decodeFrame, decodePieceFrame, frameDecoder, FrameDecoder, maxResponseFrameBytes } from './wire.ts'
export type { PieceMessage, PieceRange, PieceWireLimits, RejectReason } from './wire.ts'
export { Throttle } from './throttle.ts'
export type {
  FileIndex, FileIndexInit, FileIndexComponents, FileIndexStats, AddOptions, AddProgressEvents,
  GetOptions, GetProgress, GetProgressEvents, GetResult, LocalFile
} from './types.ts'
export { QUERY_PROTOCOL, FLOOD_PROTOCOL, INDEX_PROTOCOL, SearchError, NoCentralIndexError } from './search/index.ts'
export type { SearchOptions, SearchResult, SearchVia, SearchInit, CatalogEntry, CentralSearchOptions, DhtSearchOptions, FloodSearchOptions, SearchWireLimits } from './search/index.ts'
