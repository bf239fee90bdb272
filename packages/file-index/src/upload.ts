import { Bitfield } from './bitfield.ts'
import { PieceSession, type ServedFile } from './session.ts'
import { readFrames } from '@hearsay/sansio/adapter'
import { decodeFrame, encodeFrame, type PieceMessage, type PieceRange, type PieceWireLimits } from './wire.ts'
import type { LocalFileState } from './local.ts'
import type { FileStore } from './store.ts'
import type { Throttle } from './throttle.ts'
import type { Logger, PeerId, Stream } from '@libp2p/interface'
import type { InfractionName } from '@hearsay/interface'

/** What an upload session needs from the service. */
export interface UploadContext {
  store: FileStore
  wire: PieceWireLimits
  maxQueuedRequests: number
  throttle?: Throttle
  log: Logger
  file(id: string): LocalFileState | undefined
  report(peer: PeerId, infraction: InfractionName, detail: string): void
  uploaded(bytes: number): void
  ended(session: UploadSession): void
}

/**
 * The provider side of one stream of `/hearsay/pieces/1.0.0`: a hello names the file; we
 * answer with the manifest (if asked) and our bitfield, then serve requests in order, one at
 * a time, respecting backpressure and the upload throttle, and announce pieces we gain.
 */
export class UploadSession {
  readonly peer: PeerId
  readonly stream: Stream
  readonly #ctx: UploadContext
  readonly #session = new PieceSession('provider')
  #file: LocalFileState | undefined
  #queue: PieceRange[] = []
  #serving = false
  #closed = false
  #onStored: ((index: number) => void) | undefined

  constructor (peer: PeerId, stream: Stream, ctx: UploadContext) {
    this.peer = peer
    this.stream = stream
    this.#ctx = ctx
    readFrames(stream, {
      maxBytes: ctx.wire.maxControlFrameBytes,
      decode: bytes => decodeFrame(bytes, ctx.wire),
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
    const action = this.#session.fromDownloader(message, served, this.#queue.length, { maxRequestBytes: this.#ctx.wire.maxRequestBytes, maxQueuedRequests: this.#ctx.maxQueuedRequests })
    switch (action.type) {
      case 'fail': this.#fail(action.infraction, action.detail); return
      case 'reject':
        if (action.report != null) this.#ctx.report(this.peer, action.report.infraction, action.report.detail)
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
    const file = this.#ctx.file(id)
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
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const range = this.#queue[0]
        const file = this.#file as LocalFileState
        const piece = await file.readPiece(this.#ctx.store, range.index)
        // a cancel may have removed it while we read
        if (this.#queue[0] !== range) continue
        this.#queue.shift()
        if (this.#closed) return
        if (piece == null) {
          this.#send({ type: 'reject', reason: 'not-found', range })
          continue
        }
        await this.#ctx.throttle?.take(range.length)
        if (this.#closed) return
        const data = piece.subarray(range.offset, range.offset + range.length)
        if (this.stream.status !== 'open') return
        const ok = this.stream.send(encodeFrame({ type: 'piece', index: range.index, offset: range.offset, data }))
        this.#ctx.uploaded(range.length)
        if (!ok) await this.stream.onDrain()
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
    this.#ctx.report(this.peer, infraction, detail)
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
    this.#ctx.ended(this)
  }
}
