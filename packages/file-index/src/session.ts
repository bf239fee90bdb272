import { CID } from 'multiformats/cid'
import { Bitfield } from './bitfield.ts'
import { parseFileId } from './manifest.ts'
import type { PieceMessage, PieceRange, RejectReason } from './wire.ts'
import type { InfractionName } from '@hearsay/interface'

/** What the adapter does with one frame of `/hearsay/pieces/1.0.0`, as a {@link PieceSession} decides it. */
export type SessionAction =
  /** Go on: the frame fits the session (a hello's file id is parsed). */
  | { type: 'accept', file?: string }
  /** The peer broke the protocol: report it, abort the stream, forget the peer. */
  | { type: 'fail', infraction: InfractionName, detail: string }
  /** Answer a request with a reject and go on; `report` when the request itself was the peer's fault. */
  | { type: 'reject', reason: RejectReason, range: PieceRange, retryAfterMs?: number, report?: { infraction: InfractionName, detail: string } }

/** What a provider's session knows of the file it serves. */
export interface ServedFile {
  /** Pieces in the file. */
  readonly pieces: number
  /** Bytes of piece `index`. */
  pieceLength(index: number): number
  /** Whether piece `index` is held here. */
  has(index: number): boolean
}

/** Bounds a provider's session enforces. */
export interface ServeLimits {
  /** Largest request served. */
  maxRequestBytes: number
  /** Most requests queued per session. */
  maxQueuedRequests: number
}

const fail = (infraction: InfractionName, detail: string): SessionAction => ({ type: 'fail', infraction, detail })
const ACCEPT: SessionAction = Object.freeze({ type: 'accept' })

/**
 * The handshake of one `/hearsay/pieces/1.0.0` stream, without I/O: which frame may come
 * when, from whom. The downloader's side (`role: 'downloader'`) checks a provider's frames:
 * one bitfield (held until the manifest tells the piece count), haves within the file, no
 * piece before the session is set up. The provider's side (`role: 'provider'`) checks a
 * downloader's: one hello naming a file id, requests only after it and within the file.
 * Each call returns a {@link SessionAction}; the adapter carries it out. Beside the
 * {@link PiecePicker}, which decides what to request.
 */
export class PieceSession {
  /** Which side of the stream this session is. */
  readonly role: 'downloader' | 'provider'
  #bitfield = false
  #heldBits: Uint8Array | undefined
  #joined = false
  #hello = false

  /**
   * A session at the start of its stream.
   *
   * @param role - `downloader` (checks a provider's frames) or `provider` (checks a downloader's)
   */
  constructor (role: 'downloader' | 'provider') {
    this.role = role
  }

  /** Downloader: the provider's bitfield has joined the download (its pieces are known). */
  get joined (): boolean {
    return this.#joined
  }

  /** Downloader: a bitfield that came before the manifest, waiting for {@link PieceSession.join}. */
  get heldBits (): Uint8Array | undefined {
    return this.#heldBits
  }

  /**
   * Downloader: check a provider's frame. `pieces` is the file's piece count once the
   * manifest is known. A bitfield that fits joins the session (see {@link PieceSession.joined});
   * one before the manifest is held.
   */
  fromProvider (message: PieceMessage, pieces: number | undefined): SessionAction {
    switch (message.type) {
      case 'manifest':
      case 'reject':
        return ACCEPT
      case 'bitfield':
        if (this.#bitfield) return fail('unexpected-frame', 'a second bitfield')
        this.#bitfield = true
        if (pieces == null) {
          this.#heldBits = message.bits
          return ACCEPT
        }
        return this.join(pieces, message.bits)
      case 'have':
        if (pieces != null && message.index >= pieces) return fail('malformed-frame', `have ${message.index} of ${pieces} pieces`)
        if (this.#heldBits != null && message.index < this.#heldBits.byteLength * 8) this.#heldBits[message.index >> 3] |= 0x80 >> (message.index & 7)
        return ACCEPT
      case 'piece':
        return this.#joined && pieces != null ? ACCEPT : fail('unrequested-data', 'a piece before the session was set up')
      default:
        return fail('unexpected-frame', `a provider sent a ${message.type} frame`)
    }
  }

  /** Downloader: the manifest is known; the held (or given) bitfield joins if it fits `pieces`. */
  join (pieces: number, bits = this.#heldBits): SessionAction {
    this.#heldBits = undefined
    if (bits == null) return ACCEPT
    if (!Bitfield.isValid(pieces, bits)) return fail('malformed-frame', `bitfield of ${bits.byteLength} bytes for ${pieces} pieces`)
    this.#joined = true
    return ACCEPT
  }

  /**
   * Provider: check a downloader's frame. A hello comes back with its file id; a request is
   * checked against `file` (the one the hello named, once found), `queued` requests and `limits`.
   */
  fromDownloader (message: PieceMessage, file?: ServedFile, queued = 0, limits?: ServeLimits): SessionAction {
    switch (message.type) {
      case 'hello': {
        if (this.#hello) return fail('unexpected-frame', 'a second hello on one stream')
        this.#hello = true
        try {
          return { type: 'accept', file: parseFileId(CID.decode(message.file)).toString() }
        } catch (err: any) {
          return fail('malformed-frame', `hello names no file id: ${err?.message ?? err}`)
        }
      }
      case 'request': {
        if (!this.#hello || file == null) return fail('unexpected-frame', 'a request before hello')
        const range: PieceRange = { index: message.index, offset: message.offset, length: message.length }
        if (range.index >= file.pieces || range.offset + range.length > file.pieceLength(range.index)) {
          return { type: 'reject', reason: 'invalid', range, report: { infraction: 'malformed-frame', detail: `request ${range.index}:${range.offset}+${range.length} outside the file` } }
        }
        if (limits != null && range.length > limits.maxRequestBytes) return { type: 'reject', reason: 'too-large', range }
        if (!file.has(range.index)) return { type: 'reject', reason: 'not-found', range }
        if (limits != null && queued >= limits.maxQueuedRequests) return { type: 'reject', reason: 'busy', range, retryAfterMs: 500 }
        return ACCEPT
      }
      case 'cancel':
        return ACCEPT
      default:
        return fail('unexpected-frame', `a downloader sent a ${message.type} frame`)
    }
  }
}
