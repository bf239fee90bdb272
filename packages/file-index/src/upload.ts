import { Bitfield } from './bitfield.ts'
import { parseFileId } from './manifest.ts'
import { readFrames } from '@hearsay/sansio/adapter'
import { decodeFrame, encodeFrame, type PieceMessage, type PieceRange, type PieceWireLimits } from './wire.ts'
import { CID } from 'multiformats/cid'
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
    switch (message.type) {
      case 'hello': this.#onHello(message.file, message.wantManifest); return
      case 'request': this.#onRequest(message); return
      case 'cancel': {
        const at = this.#queue.findIndex(r => r.index === message.index && r.offset === message.offset && r.length === message.length)
        if (at !== -1) this.#queue.splice(at, 1)
        return
      }
      default:
        this.#fail('unexpected-frame', `a downloader sent a ${message.type} frame`)
    }
  }

  #onHello (fileBytes: Uint8Array, wantManifest: boolean): void {
    if (this.#file != null) {
      this.#fail('unexpected-frame', 'a second hello on one stream')
      return
    }
    let id: string
    try {
      id = parseFileId(CID.decode(fileBytes)).toString()
    } catch (err: any) {
      this.#fail('malformed-frame', `hello names no file id: ${err?.message ?? err}`)
      return
    }
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

  #onRequest (range: PieceRange): void {
    const file = this.#file
    if (file == null) {
      this.#fail('unexpected-frame', 'a request before hello')
      return
    }
    const pieces = file.manifest.pieces.length
    if (range.index >= pieces || range.offset + range.length > file.pieceLength(range.index)) {
      this.#ctx.report(this.peer, 'malformed-frame', `request ${range.index}:${range.offset}+${range.length} outside the file`)
      this.#send({ type: 'reject', reason: 'invalid', range })
      return
    }
    if (range.length > this.#ctx.wire.maxRequestBytes) {
      this.#send({ type: 'reject', reason: 'too-large', range })
      return
    }
    if (!file.have.get(range.index)) {
      this.#send({ type: 'reject', reason: 'not-found', range })
      return
    }
    if (this.#queue.length >= this.#ctx.maxQueuedRequests) {
      this.#send({ type: 'reject', reason: 'busy', range, retryAfterMs: 500 })
      return
    }
    this.#queue.push(range)
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
