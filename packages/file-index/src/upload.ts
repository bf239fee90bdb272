import { Uint8ArrayList } from 'uint8arraylist'
import { Bitfield } from './bitfield.ts'
import { PieceSession, type ServedFile } from './session.ts'
import { readFrames } from '@hearsay/sansio/adapter'
import { decodeFrame, encodeFrame, encodePieceFrame, type PieceMessage, type PieceRange } from './wire.ts'
import type { LocalFileState } from './local.ts'
import type { Library } from './library.ts'
import type { TransferContext } from './transfer.ts'
import type { PeerId, Stream } from '@libp2p/interface'
import type { InfractionName } from '@hearsay/interface'

/** Bytes of piece frames sent together when several requests are ready (see `#serve`). */
const SEND_BATCH_BYTES = 1024 * 1024

/**
 * The provider side of one stream of `/hearsay/pieces/1.0.0`: a hello names the file; we
 * answer with the manifest (if asked) and our bitfield, then serve requests in order, one at
 * a time, respecting backpressure and the upload throttle, and announce pieces we gain.
 */
export class UploadSession {
  readonly peer: PeerId
  readonly stream: Stream
  readonly #ctx: TransferContext
  readonly #library: Library
  readonly #ended: (session: UploadSession) => void
  readonly #session = new PieceSession('provider')
  #file: LocalFileState | undefined
  #queue: PieceRange[] = []
  #serving = false
  #closed = false
  #onStored: ((index: number) => void) | undefined

  /**
   * Serve `peer` on `stream` from `library`.
   *
   * @param peer - the downloader
   * @param stream - its `/hearsay/pieces/1.0.0` stream
   * @param library - the files served
   * @param ctx - settings, throttle, reporter and counters
   * @param ended - called once when the session ends
   */
  constructor (peer: PeerId, stream: Stream, library: Library, ctx: TransferContext, ended: (session: UploadSession) => void = () => {}) {
    this.peer = peer
    this.stream = stream
    this.#ctx = ctx
    this.#library = library
    this.#ended = ended
    readFrames(stream, {
      maxBytes: ctx.settings.wire.maxControlFrameBytes,
      decode: bytes => decodeFrame(bytes, ctx.settings.wire),
      onFrame: message => { this.#onMessage(message) },
      report: (infraction, detail) => { this.#fail(infraction, detail) },
      onError: err => {
        ctx.log.error('handling a frame from %p failed: %e', peer, err)
        this.close()
      },
      // the downloader is done with this file: finish our side too
      onEnd: () => { this.close() },
      stopped: () => this.#closed
    })
    stream.addEventListener('close', () => { this.#end() })
  }

  /** Refuse the session (too many), then close. */
  refuse (retryAfterMs: number): void {
    this.#send({ type: 'reject', reason: 'busy', retryAfterMs })
    this.#closeSoon()
  }

  close (): void {
    this.#end()
    void this.stream.close().catch(() => {})
  }

  #onMessage (message: PieceMessage): void {
    const file = this.#file
    const served: ServedFile | undefined = file == null ? undefined : { pieces: file.manifest.pieces.length, pieceLength: i => file.pieceLength(i), has: i => file.have.get(i) }
    const action = this.#session.fromDownloader(message, served, this.#queue.length, { maxRequestBytes: this.#ctx.settings.wire.maxRequestBytes, maxQueuedRequests: this.#ctx.settings.maxQueuedRequests })
    switch (action.type) {
      case 'fail': this.#fail(action.infraction, action.detail); return
      case 'reject':
        if (action.report != null) this.#ctx.reporter.report(this.peer, action.report.infraction, action.report.detail)
        this.#send({ type: 'reject', reason: action.reason, range: action.range, ...(action.retryAfterMs != null ? { retryAfterMs: action.retryAfterMs } : {}) })
        return
    }
    if (message.type === 'hello') this.#onHello(action.file as string, message.wantManifest)
    else if (message.type === 'request') this.#enqueue(message)
    else if (message.type === 'cancel') {
      const at = this.#queue.findIndex(r => r.index === message.index && r.offset === message.offset && r.length === message.length)
      if (at !== -1) this.#queue.splice(at, 1)
    }
  }

  #onHello (id: string, wantManifest: boolean): void {
    const file = this.#library.file(id)
    if (file == null) {
      this.#send({ type: 'reject', reason: 'not-found' })
      this.#closeSoon()
      return
    }
    this.#file = file
    if (wantManifest) this.#send({ type: 'manifest', manifest: file.manifestBytes })
    this.#send({ type: 'bitfield', bits: new Bitfield(file.have.length, file.have.bytes).bytes })
    this.#onStored = index => { this.#send({ type: 'have', index }) }
    file.listeners.add(this.#onStored)
  }

  #enqueue (range: PieceRange): void {
    this.#queue.push({ index: range.index, offset: range.offset, length: range.length })
    if (!this.#serving) void this.#serve()
  }

  async #serve (): Promise<void> {
    this.#serving = true
    // the pieces ready now go out in one send (up to SEND_BATCH_BYTES): the muxer makes one frame
    // of them, which the encryption cuts into full-size messages, where a send per piece ended
    // each piece with a short message (and its header, tag and socket writes) of its own
    let batch = new Uint8ArrayList()
    /** Send the batch and wait while the stream is full; false once the stream is no longer open. */
    const flush = async (): Promise<boolean> => {
      if (batch.byteLength === 0) return true
      if (this.stream.status !== 'open') return false
      const frames = batch
      batch = new Uint8ArrayList()
      if (!this.stream.send(frames)) await this.stream.onDrain()
      return true
    }
    try {
      while (!this.#closed && (this.#queue.length > 0 || batch.byteLength > 0)) {
        // nothing more to read now: send what is ready (requests that come meanwhile are served next)
        if (this.#queue.length === 0) {
          if (!await flush()) return
          continue
        }
        const range = this.#queue[0]
        const file = this.#file as LocalFileState
        const piece = await file.readPiece(this.#library.store, range.index)
        // a cancel may have removed it while we read
        if (this.#queue[0] !== range) continue
        this.#queue.shift()
        if (this.#closed) return
        if (piece == null) {
          if (!await flush()) return
          this.#send({ type: 'reject', reason: 'not-found', range })
          continue
        }
        const throttle = this.#ctx.settings.throttle
        // what the throttle holds back waits alone: the pieces before it go now
        if (throttle != null && !await flush()) return
        await throttle?.take(range.length)
        if (this.#closed) return
        // the stored chunks as they are: a piece is never joined to be sent (nor listed anew when
        // the request is the whole piece, as a downloader's requests are)
        const data = range.offset === 0 && range.length === piece.byteLength ? piece : piece.sublist(range.offset, range.offset + range.length)
        batch.append(encodePieceFrame(range.index, range.offset, data))
        this.#ctx.stats.uploadedBytes += range.length
        this.#ctx.stats.uploadedPieces++
        if (batch.byteLength >= SEND_BATCH_BYTES && !await flush()) return
      }
    } catch (err: any) {
      this.#ctx.log('upload to %p ended: %s', this.peer, err?.message ?? err)
      this.#end()
    } finally {
      this.#serving = false
    }
  }

  #send (message: PieceMessage): void {
    if (this.#closed || this.stream.status !== 'open') return
    try {
      this.stream.send(encodeFrame(message))
    } catch (err: any) {
      this.#ctx.log('send to %p failed: %s', this.peer, err?.message ?? err)
    }
  }

  #fail (infraction: InfractionName, detail: string): void {
    this.#ctx.reporter.report(this.peer, infraction, detail)
    this.#end()
    this.stream.abort(new Error(detail))
  }

  #closeSoon (): void {
    this.#end()
    void this.stream.close().catch(() => {})
  }

  #end (): void {
    if (this.#closed) return
    this.#closed = true
    this.#queue = []
    if (this.#onStored != null) this.#file?.listeners.delete(this.#onStored)
    this.#ended(this)
  }
}
