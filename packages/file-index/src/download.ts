import { CustomProgressEvent } from 'progress-events'
import { Bitfield } from './bitfield.ts'
import { InvalidManifestError, NotFoundError } from './errors.ts'
import { decodeManifest, sha256, type FileManifest } from './manifest.ts'
import { equals } from 'uint8arrays'
import type { LocalFileState } from './local.ts'
import { PieceSession } from './session.ts'
import { PiecePicker, type PickerAction } from './picker.ts'
import { readFrames } from '@hearsay/sansio/adapter'
import { decodeFrame, decodePieceFrame, encodeFrame, maxResponseFrameBytes, type PieceMessage } from './wire.ts'
import type { Library } from './library.ts'
import type { TransferContext } from './transfer.ts'
import type { GetOptions, GetResult } from './types.ts'
import type { InfractionName } from '@hearsay/interface'
import type { CancelTimer } from '@hearsay/sansio'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { Uint8ArrayList } from 'uint8arraylist'

interface FetchSession {
  peer: PeerId
  key: string
  stream?: Stream
  /** the handshake's state: the bitfield, held until the manifest is known; joined */
  handshake: PieceSession
  closed: boolean
}

const TICK_MS = 250

/** Provider lookups of a download: the soonest and the latest the next one comes. */
const LOOKUP_MIN_MS = 1000
const LOOKUP_MAX_MS = 15_000
/** A frame from a provider; a piece's data is read without copying. */
type IncomingFrame = PieceMessage | { type: 'piece', index: number, offset: number, data: Uint8ArrayList }

/**
 * The adapter of one download: finds peers (already connected ones and DHT providers), opens
 * a `/hearsay/pieces/1.0.0` stream to each, verifies the manifest against the id, feeds the
 * {@link PiecePicker} and carries out its requests and cancels, verifies and stores every
 * piece, and reports peers that misbehave.
 */
export class Download {
  readonly #ctx: TransferContext
  readonly #library: Library
  readonly #cid: CID
  readonly #id: string
  readonly #options: GetOptions
  readonly #controller = new AbortController()
  readonly #sessions = new Map<string, FetchSession>()
  /** peers not to contact again before this time */
  readonly #backoff = new Map<string, number>()
  /**
   * Peers whose last session never started for want of an unlimited connection (the dial failed,
   * or the only connection was limited, i.e. relayed, without `overRelay`): a new unlimited
   * connection to one of them ends its back-off.
   */
  readonly #unreached = new Set<string>()
  readonly #fromPeers: Record<string, number> = {}
  readonly #writes = new Set<Promise<void>>()
  readonly #started: number
  #file: LocalFileState | undefined
  #picker: PiecePicker | undefined
  #lastProgress: number
  #piecesFetched = 0
  #bytesFetched = 0
  #duplicateBytes = 0
  #finished = false
  #tick: CancelTimer | undefined
  #resolve!: () => void
  #reject!: (err: Error) => void
  readonly #done: Promise<void>

  /**
   * A download of the file `cid` into `library`, not yet running.
   *
   * @param library - where the file and its pieces go
   * @param ctx - the node's libp2p parts, settings and counters
   * @param cid - the file id
   * @param options - the caller's signal and progress callback
   */
  constructor (library: Library, ctx: TransferContext, cid: CID, options: GetOptions) {
    this.#ctx = ctx
    this.#library = library
    this.#cid = cid
    this.#id = cid.toString()
    this.#options = options
    this.#started = ctx.clock.now()
    this.#lastProgress = this.#started
    this.#done = new Promise<void>((resolve, reject) => { this.#resolve = resolve; this.#reject = reject })
  }

  async run (): Promise<Omit<GetResult, 'path'> & { file: LocalFileState }> {
    const signal = this.#options.signal
    signal?.throwIfAborted()
    const onAbort = (): void => { this.#finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted')) }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const local = this.#library.file(this.#id)
      if (local != null) {
        // resume: pieces on disk count once they hash right
        for (let i = 0; i < local.manifest.pieces.length; i++) {
          if (local.have.get(i) && !local.checked.get(i)) await local.readPiece(this.#library.store, i)
          signal?.throwIfAborted()
        }
        this.#adopted(local)
      }
      if (!this.#finished) {
        this.#schedule()
        this.#discover()
      }
      await this.#done
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.#tick?.()
      this.#controller.abort()
      for (const session of this.#sessions.values()) this.#close(session)
      await Promise.allSettled(this.#writes)
    }
    const file = this.#file as LocalFileState
    return {
      file,
      id: this.#id,
      name: file.manifest.name,
      size: file.manifest.size,
      pieces: file.manifest.pieces.length,
      piecesFetched: this.#piecesFetched,
      fromPeers: { ...this.#fromPeers },
      duplicateBytes: this.#duplicateBytes
    }
  }

  // --- peers ---

  #discover (): void {
    for (const connection of this.#ctx.components.connectionManager.getConnections()) this.#connect(connection.remotePeer)
    if (this.#options.dht === false) return
    const signal = this.#controller.signal
    void (async () => {
      let waitMs = LOOKUP_MIN_MS
      while (!this.#finished) {
        const known = this.#sessions.size
        try {
          for await (const provider of this.#ctx.components.contentRouting.findProviders(this.#cid, { signal })) {
            if (this.#finished) return
            if (provider.id.equals(this.#ctx.components.peerId)) continue
            if (provider.multiaddrs.length > 0) {
              await this.#ctx.components.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs }).catch(() => {})
            }
            this.#connect(provider.id)
          }
        } catch (err: any) {
          if (this.#finished) return
          this.#ctx.log('find providers of %s: %s', this.#id, err?.message ?? err)
        }
        // look again soon while the swarm grows (providers' records reach the DHT one by one, and
        // a download that waited 15 s for its second seeder ran at one seeder's speed meanwhile),
        // then less and less often: at once while nobody serves us, doubling up to 15 s otherwise
        waitMs = this.#sessions.size > known || this.#joinedCount() === 0 ? LOOKUP_MIN_MS : Math.min(2 * waitMs, LOOKUP_MAX_MS)
        await this.#sleep(waitMs)
      }
    })()
  }

  async #sleep (ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const cancel = this.#ctx.clock.setTimeout(() => { this.#controller.signal.removeEventListener('abort', done); resolve() }, ms)
      const done = (): void => { cancel(); resolve() }
      this.#controller.signal.addEventListener('abort', done, { once: true })
    })
  }

  #joinedCount (): number {
    let n = 0
    for (const s of this.#sessions.values()) if (s.handshake.joined) n++
    return n
  }

  #connect (peer: PeerId): void {
    const key = peer.toString()
    if (this.#finished || peer.equals(this.#ctx.components.peerId) || this.#sessions.has(key)) return
    if (this.#sessions.size >= this.#ctx.settings.maxPeers) return
    if ((this.#backoff.get(key) ?? 0) > this.#ctx.clock.now()) return
    const session: FetchSession = { peer, key, handshake: new PieceSession('downloader'), closed: false }
    this.#sessions.set(key, session)
    let connection: Connection | undefined
    void (async () => {
      const signal = this.#controller.signal
      connection = await this.#open(peer, signal)
      const stream = await connection.newStream(this.#ctx.settings.protocol, { signal, runOnLimitedConnection: this.#ctx.settings.overRelay })
      if (session.closed || this.#finished) {
        stream.abort(new Error('download over'))
        return
      }
      session.stream = stream
      readFrames<IncomingFrame>(stream, {
        maxBytes: maxResponseFrameBytes(this.#ctx.settings.wire),
        decode: bytes => {
          // pieces, nearly all the bytes, are read without copying their data
          const piece = decodePieceFrame(bytes, this.#ctx.settings.wire)
          return piece != null ? { ok: true, frame: { type: 'piece', ...piece } } : decodeFrame(bytes, this.#ctx.settings.wire)
        },
        onFrame: message => { this.#onMessage(session, message) },
        report: (infraction, detail) => { this.#misbehaved(session, infraction, detail) },
        onError: err => {
          // our bug, not the peer's misbehaviour
          this.#ctx.log.error('handling a frame from %p failed: %e', session.peer, err)
          this.#close(session)
          this.#drop(session, 10_000)
        },
        stopped: () => session.closed
      })
      stream.addEventListener('close', () => { this.#drop(session, 5000) })
      this.#send(session, { type: 'hello', file: this.#cid.bytes, wantManifest: this.#file == null })
    })().catch((err: any) => {
      this.#ctx.log('no piece session with %p: %s', peer, err?.message ?? err)
      this.#drop(session, 10_000)
      if (connection == null || connection.limits != null) this.#unreachable(peer)
    })
  }

  /**
   * A connection pieces may cross. When the only ones open are limited (relayed) and pieces may not
   * cross them, only the peer's direct addresses are dialled: libp2p's `openConnection(peer)` would
   * set up another circuit through the relay as well, only to close it as a duplicate.
   */
  async #open (peer: PeerId, signal: AbortSignal): Promise<Connection> {
    const { connectionManager, peerStore } = this.#ctx.components
    const open = connectionManager.getConnections(peer).filter(c => c.status === 'open')
    if (this.#ctx.settings.overRelay || open.length === 0 || open.some(c => c.limits == null)) {
      return await connectionManager.openConnection(peer, { signal })
    }
    const known = await peerStore.get(peer, { signal }).then(p => p.addresses.map(a => a.multiaddr), () => [])
    const direct = known.filter(a => !a.toString().includes('/p2p-circuit')).map(a => a.encapsulate(`/p2p/${peer.toString()}`))
    if (direct.length === 0) throw new Error('only a limited connection, and no direct address to dial')
    return await connectionManager.openConnection(direct, { signal })
  }

  /**
   * No session with `peer` could start for want of an unlimited connection: wait for one (see
   * {@link Download.connected}) rather than the whole back-off. One that opened while we dialled
   * (DCUtR punches a direct connection a few round trips after the relayed one) is taken at once:
   * libp2p hands out an unlimited connection before dialling, so this attempt did not see it.
   */
  #unreachable (peer: PeerId): void {
    if (this.#finished) return
    this.#unreached.add(peer.toString())
    if (this.#ctx.components.connectionManager.getConnections(peer).some(c => c.limits == null && c.status === 'open')) this.connected(peer)
  }

  /**
   * `peer` has a new unlimited connection. If its last session never started for want of one,
   * contact it again now instead of when its back-off ends; once per such failure, and never a
   * peer that refused us, misbehaved or failed over an unlimited connection.
   *
   * @param peer - the remote peer of a connection that just opened without limits
   */
  connected (peer: PeerId): void {
    const key = peer.toString()
    if (!this.#unreached.delete(key)) return
    this.#backoff.delete(key)
    this.#connect(peer)
  }

  #send (session: FetchSession, message: PieceMessage): void {
    this.#sendBytes(session, encodeFrame(message))
  }

  #sendBytes (session: FetchSession, bytes: Uint8Array | Uint8ArrayList): void {
    const stream = session.stream
    if (session.closed || stream == null || stream.status !== 'open') return
    try {
      stream.send(bytes)
    } catch (err: any) {
      this.#ctx.log('send to %p failed: %s', session.peer, err?.message ?? err)
    }
  }

  #close (session: FetchSession): void {
    session.closed = true
    void session.stream?.close().catch(() => {})
  }

  /** Forget a session; do not contact the peer again for `backoffMs`. */
  #drop (session: FetchSession, backoffMs: number): void {
    if (this.#sessions.get(session.key) !== session) return
    this.#sessions.delete(session.key)
    this.#unreached.delete(session.key)
    session.closed = true
    this.#backoff.set(session.key, this.#ctx.clock.now() + backoffMs)
    if (this.#picker?.hasPeer(session.key) === true) {
      this.#picker.removePeer(session.key)
      this.#pump()
    }
  }

  #misbehaved (session: FetchSession, infraction: InfractionName, detail: string): void {
    this.#ctx.reporter.report(session.peer, infraction, detail)
    session.stream?.abort(new Error(detail))
    this.#drop(session, 60 * 60_000)
  }

  // --- frames ---

  #onMessage (session: FetchSession, message: IncomingFrame): void {
    const joined = session.handshake.joined
    const action = session.handshake.fromProvider(message as PieceMessage, this.#file?.manifest.pieces.length)
    if (action.type === 'fail') {
      this.#misbehaved(session, action.infraction, action.detail)
      return
    }
    switch (message.type) {
      case 'manifest': this.#onManifest(session, message.manifest); return
      case 'bitfield':
        if (joined || !session.handshake.joined) return
        this.#joined(session, message.bits)
        this.#pump()
        return
      case 'have':
        if (session.handshake.joined) {
          this.#picker?.have(session.key, message.index)
          this.#pump()
        }
        return
      case 'piece': this.#onPiece(session, message.index, message.offset, message.data); return
      case 'reject': this.#onReject(session, message)
    }
  }

  #onManifest (session: FetchSession, bytes: Uint8Array): void {
    if (this.#file != null) return
    let manifest: FileManifest
    try {
      manifest = decodeManifest(bytes, this.#cid)
    } catch (err: any) {
      const detail = err instanceof InvalidManifestError ? err.message : String(err)
      this.#misbehaved(session, 'invalid-message', `manifest for ${this.#id}: ${detail}`)
      return
    }
    const file = this.#library.adopt(this.#cid, manifest, bytes)
    this.#options.onProgress?.(new CustomProgressEvent('files:get:manifest', {
      id: this.#id, name: manifest.name, size: manifest.size, pieces: manifest.pieces.length, from: session.key
    }))
    this.#adopted(file)
  }

  #adopted (file: LocalFileState): void {
    this.#file = file
    this.#lastProgress = this.#ctx.clock.now()
    this.#picker = new PiecePicker({
      pieces: file.manifest.pieces.length,
      pieceLength: index => file.pieceLength(index),
      have: file.have,
      clock: this.#ctx.clock,
      rng: this.#ctx.rng.fork(),
      options: this.#ctx.settings.picker
    })
    for (const session of this.#sessions.values()) {
      const bits = session.handshake.heldBits
      if (bits == null) continue
      const action = session.handshake.join(file.manifest.pieces.length)
      if (action.type === 'fail') this.#misbehaved(session, action.infraction, action.detail)
      else this.#joined(session, bits)
    }
    this.#checkDone()
    this.#pump()
  }

  /** `session`'s bitfield fits the file: its pieces join the picker. */
  #joined (session: FetchSession, bits: Uint8Array): void {
    const have = new Bitfield((this.#file as LocalFileState).manifest.pieces.length, bits)
    ;(this.#picker as PiecePicker).addPeer(session.key, have)
    this.#options.onProgress?.(new CustomProgressEvent('files:get:peer', { id: this.#id, peer: session.key, pieces: have.count }))
  }

  #onReject (session: FetchSession, message: Extract<PieceMessage, { type: 'reject' }>): void {
    if (message.range == null) {
      // the whole session: the peer does not have the file, or is full
      this.#close(session)
      this.#drop(session, message.reason === 'busy' ? Math.min(message.retryAfterMs ?? 2000, 60_000) : 30_000)
      return
    }
    this.#picker?.rejected(session.key, message.range.index, message.reason === 'busy', message.retryAfterMs)
    this.#pump()
  }

  #onPiece (session: FetchSession, index: number, offset: number, data: Uint8Array | Uint8ArrayList): void {
    const file = this.#file as LocalFileState
    const picker = this.#picker as PiecePicker
    const received = picker.received(session.key, index, data.byteLength)
    if (received === 'unrequested') {
      this.#misbehaved(session, 'unrequested-data', `piece ${index} was not requested`)
      return
    }
    if (received === 'duplicate') {
      this.#duplicateBytes += data.byteLength
      this.#ctx.stats.duplicateBytes += data.byteLength
      this.#pump()
      return
    }
    if (offset !== 0 || data.byteLength !== file.pieceLength(index)) {
      this.#checked(session, index, data.byteLength, undefined)
      return
    }
    // the piece has left the peer's queue: refill it before hashing the piece
    this.#pump()
    // hashed here, chunk by chunk as it arrived, and kept as those chunks: no copy of its bytes.
    // (Joining it to hash it on a worker thread cost more CPU than the hash: the copy, fresh
    // memory for it, and the transfers to and fro, whose buffers made V8 collect more often.)
    this.#checked(session, index, data.byteLength, equals(sha256(data), file.manifest.pieces[index]) ? data : undefined)
  }

  /** A piece from `session` was verified (its bytes) or found bad (none): store it, or report its sender. */
  #checked (session: FetchSession, index: number, length: number, data: Uint8Array | Uint8ArrayList | undefined): void {
    const file = this.#file
    const picker = this.#picker
    if (this.#finished || file == null || picker == null) return
    const actions = picker.verified(session.key, index, data != null)
    if (data == null) {
      this.#ctx.stats.badPieces++
      this.#options.onProgress?.(new CustomProgressEvent('files:get:bad-piece', { id: this.#id, peer: session.key, index }))
      this.#misbehaved(session, 'bad-piece', `piece ${index} of ${this.#id} does not match its hash`)
      this.#pump()
      return
    }
    const hash = file.manifest.pieces[index]
    this.#execute(actions)
    this.#ctx.reporter.credit(session.peer, 'verified-piece')
    this.#ctx.stats.downloadedBytes += data.byteLength
    this.#piecesFetched++
    this.#bytesFetched += data.byteLength
    this.#fromPeers[session.key] = (this.#fromPeers[session.key] ?? 0) + data.byteLength
    this.#lastProgress = this.#ctx.clock.now()
    const write = this.#library.store.putPiece(hash, data).then(() => {
      file.stored(index)
      this.#progress()
    }, (err: any) => {
      this.#finish(new Error(`cannot store piece ${index} of ${this.#id}: ${err?.message ?? err}`, { cause: err }))
    }).finally(() => {
      this.#writes.delete(write)
      this.#checkDone()
      this.#pump()
    })
    this.#writes.add(write)
    this.#pump()
  }

  // --- the picker's actions ---

  #pump (): void {
    const picker = this.#picker
    // pieces held in memory, being written, are bounded: no requests beyond that
    if (picker == null || this.#finished || this.#writes.size >= this.#ctx.settings.maxPendingWrites) return
    this.#execute(picker.pump())
  }

  #execute (actions: PickerAction[]): void {
    const file = this.#file as LocalFileState
    // the frames for one peer go out together: one stream message, one muxer frame, one write
    const frames = new Map<FetchSession, Uint8ArrayList>()
    for (const action of actions) {
      const session = this.#sessions.get(action.peer)
      if (session == null) continue
      let list = frames.get(session)
      if (list == null) frames.set(session, list = new Uint8ArrayList())
      list.append(encodeFrame({ type: action.type, index: action.index, offset: 0, length: file.pieceLength(action.index) }))
    }
    for (const [session, list] of frames) this.#sendBytes(session, list)
  }

  #schedule (): void {
    this.#tick = this.#ctx.clock.setTimeout(() => {
      if (this.#finished) return
      this.#onTick()
      this.#schedule()
    }, TICK_MS)
  }

  #onTick (): void {
    const now = this.#ctx.clock.now()
    if (this.#file == null) {
      const limit = this.#options.manifestTimeoutMs ?? 60_000
      if (now - this.#started >= limit) this.#finish(new NotFoundError(`no peer sent the manifest of ${this.#id} within ${limit} ms`))
      return
    }
    const picker = this.#picker as PiecePicker
    for (const key of picker.stalled()) {
      const session = this.#sessions.get(key)
      if (session == null) continue
      this.#ctx.reporter.report(session.peer, 'stalled', `no piece for ${this.#id} in time`)
      this.#close(session)
      this.#drop(session, 30_000)
    }
    const idle = this.#options.idleTimeoutMs ?? 120_000
    if (now - this.#lastProgress >= idle) {
      this.#finish(new NotFoundError(`no piece of ${this.#id} arrived for ${idle} ms (${picker.progress().piecesDone}/${picker.pieces} pieces held)`))
      return
    }
    // peers found before the manifest, or idle connections, may be worth another look
    if (this.#joinedCount() === 0) {
      for (const connection of this.#ctx.components.connectionManager.getConnections()) this.#connect(connection.remotePeer)
    }
    this.#pump()
  }

  #progress (): void {
    const picker = this.#picker
    const file = this.#file
    // nothing to build for a caller who does not listen (a piece stored is the hot path)
    if (picker == null || file == null || this.#options.onProgress == null) return
    const p = picker.progress()
    const elapsed = Math.max(this.#ctx.clock.now() - this.#started, 1)
    this.#options.onProgress?.(new CustomProgressEvent('files:get:progress', {
      id: this.#id,
      piecesDone: file.have.count,
      pieces: p.pieces,
      bytesDone: p.bytesDone,
      bytes: p.bytes,
      rate: this.#bytesFetched * 1000 / elapsed,
      peers: p.peers
    }))
  }

  #checkDone (): void {
    if (this.#finished || this.#file == null) return
    if (this.#file.complete && this.#writes.size === 0) this.#finish()
  }

  #finish (err?: Error): void {
    if (this.#finished) return
    this.#finished = true
    if (err != null) this.#reject(err)
    else this.#resolve()
  }
}

