import { randomBytes } from 'node:crypto'
import { open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { cryptoRng, scoringOf, systemClock, type CancelTimer, type TimedClock } from '@hearsay/sansio'
import { serviceCapabilities } from '@libp2p/interface'
import { CustomProgressEvent } from 'progress-events'
import { Bitfield } from './bitfield.ts'
import { Download } from './download.ts'
import { FileIndexError } from './errors.ts'
import { LocalFileState, equal } from './local.ts'
import { choosePieceSize, decodeManifest, encodeManifest, manifestCid, parseFileId, pieceCount, sha256, type FileManifest } from './manifest.ts'
import { FileStore } from './store.ts'
import { FileSearch, type Catalog, type CatalogEntry, type SearchOptions, type SearchResult } from './search/index.ts'
import { Throttle } from './throttle.ts'
import { UploadSession } from './upload.ts'
import { PIECES_PROTOCOL, PIECE_WIRE_DEFAULTS, type PieceWireLimits } from './wire.ts'
import type { AddOptions, FileIndex, FileIndexComponents, FileIndexInit, FileIndexStats, GetOptions, GetResult, LocalFile } from './types.ts'
import type { PeerReporter, Rng } from '@hearsay/interface'
import type { Logger, PeerId, Startable, Stream, Connection } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

const HOUR = 60 * 60 * 1000

/**
 * The file index service: a store of manifests and pieces, the provider side of
 * `/hearsay/pieces/1.0.0`, downloads, DHT provide and re-provide, and the search backends.
 */
export class FileIndexService implements FileIndex, Startable {
  readonly [Symbol.toStringTag] = '@hearsay/file-index'
  readonly [serviceCapabilities]: string[] = ['@hearsay/file-index']

  readonly #components: FileIndexComponents
  readonly #init: FileIndexInit
  readonly #log: Logger
  readonly #protocol: string
  readonly #wire: PieceWireLimits
  readonly #clock: TimedClock
  readonly #rng: Rng
  readonly #reporter: PeerReporter
  readonly #store: FileStore
  readonly #search: FileSearch
  readonly #throttle: Throttle | undefined
  readonly #files = new Map<string, LocalFileState>()
  readonly #downloads = new Map<string, Promise<Omit<GetResult, 'path'> & { file: LocalFileState }>>()
  readonly #uploads = new Set<UploadSession>()
  readonly #stats: FileIndexStats = { uploadedBytes: 0, uploadedPieces: 0, downloadedBytes: 0, duplicateBytes: 0, badPieces: 0, activeUploads: 0 }
  #provideTimer: CancelTimer | undefined
  #running = false

  constructor (components: FileIndexComponents, init: FileIndexInit = {}) {
    this.#components = components
    this.#init = init
    this.#log = components.logger.forComponent('hearsay:file-index')
    this.#protocol = init.protocol ?? PIECES_PROTOCOL
    this.#wire = { ...PIECE_WIRE_DEFAULTS, ...init.wire }
    this.#clock = init.clock ?? systemClock
    this.#rng = init.rng ?? cryptoRng()
    this.#reporter = init.reporter ?? scoringOf(components) ?? {
      report: (peer, infraction, detail) => { this.#log('no scoring service: %p misbehaved (%s) %s', peer, infraction, detail ?? '') },
      credit: () => {}
    }
    this.#store = new FileStore(init.dataDir)
    if (init.uploadBytesPerSecond != null) this.#throttle = new Throttle(init.uploadBytesPerSecond, this.#clock)
    const catalog: Catalog = { entries: () => this.#catalog() }
    this.#search = new FileSearch(components, init.search ?? {}, catalog)
  }

  async start (): Promise<void> {
    await this.#store.open()
    for await (const { id, bytes } of this.#store.manifests()) {
      let manifest: FileManifest
      try {
        manifest = decodeManifest(bytes, id)
      } catch (err: any) {
        this.#log.error('dropping the damaged manifest %s: %s', id, err?.message ?? err)
        await this.#store.deleteManifest(id).catch(() => {})
        continue
      }
      const have = new Bitfield(manifest.pieces.length)
      for (let i = 0; i < manifest.pieces.length; i += 64) {
        const batch = manifest.pieces.slice(i, i + 64)
        const held = await Promise.all(batch.map(async hash => await this.#store.hasPiece(hash)))
        held.forEach((h, k) => { if (h) have.set(i + k) })
      }
      this.#files.set(id.toString(), new LocalFileState(id, manifest, bytes, have))
    }
    const perPeer = this.#init.uploadSlotsPerPeer ?? 4
    await this.#components.registrar.handle(this.#protocol, (stream, connection) => { this.#onInbound(stream, connection) }, {
      // a few over the slots, so that we can answer "busy" instead of a reset
      maxInboundStreams: perPeer + 2,
      maxOutboundStreams: 64
    })
    this.#running = true
    await this.#search.start()
    this.#scheduleProvide(this.#init.initialProvideDelayMs ?? 5000)
  }

  async stop (): Promise<void> {
    this.#running = false
    this.#provideTimer?.()
    await this.#search.stop()
    await this.#components.registrar.unhandle(this.#protocol)
    for (const session of this.#uploads) session.close()
    this.#uploads.clear()
    await Promise.allSettled([...this.#downloads.values()])
    await this.#store.close()
  }

  // --- the API ---

  async add (pathOrBytes: string | Uint8Array, options: AddOptions = {}): Promise<string> {
    const signal = options.signal
    signal?.throwIfAborted()
    let size: number
    let name: string
    let read: (offset: number, length: number) => Promise<Uint8Array>
    let close = async (): Promise<void> => {}
    if (typeof pathOrBytes === 'string') {
      const handle = await open(pathOrBytes, 'r')
      close = async () => { await handle.close() }
      size = (await handle.stat()).size
      name = options.name ?? basename(pathOrBytes)
      read = async (offset, length) => {
        const buffer = new Uint8Array(length)
        let got = 0
        while (got < length) {
          const { bytesRead } = await handle.read(buffer, got, length - got, offset + got)
          if (bytesRead === 0) throw new FileIndexError(`${pathOrBytes} shrank while being added`)
          got += bytesRead
        }
        return buffer
      }
    } else if (pathOrBytes instanceof Uint8Array) {
      size = pathOrBytes.byteLength
      name = options.name ?? ''
      read = async (offset, length) => await Promise.resolve(pathOrBytes.subarray(offset, offset + length))
    } else {
      throw new FileIndexError('add takes a path or a Uint8Array')
    }
    try {
      const pieceSize = choosePieceSize(size, options.pieceSize ?? this.#init.pieceSize)
      const count = pieceCount(size, pieceSize)
      const pieces: Uint8Array[] = []
      const writes: Array<Promise<void>> = []
      for (let i = 0; i < count; i++) {
        signal?.throwIfAborted()
        const offset = i * pieceSize
        const bytes = await read(offset, Math.min(pieceSize, size - offset))
        const hash = sha256(bytes)
        pieces.push(hash)
        writes.push(this.#store.putPiece(hash, bytes))
        if (writes.length >= 16) await Promise.all(writes.splice(0))
        options.onProgress?.(new CustomProgressEvent('files:add:progress', { bytes: offset + bytes.byteLength, size, pieces: i + 1 }))
      }
      await Promise.all(writes)
      const manifest: FileManifest = { name, size, pieceSize, pieces }
      const manifestBytes = encodeManifest(manifest)
      const cid = manifestCid(manifestBytes)
      await this.#store.putManifest(cid, manifestBytes)
      const file = this.#files.get(cid.toString()) ?? new LocalFileState(cid, manifest, manifestBytes, new Bitfield(count))
      this.#files.set(file.id, file)
      for (let i = 0; i < count; i++) file.stored(i)
      options.onProgress?.(new CustomProgressEvent('files:add:done', { id: file.id, name, size, pieces: count }))
      this.#completed(file, options.provide !== false)
      return file.id
    } finally {
      await close()
    }
  }

  async get (id: string, options: GetOptions = {}): Promise<GetResult> {
    const cid = parseFileId(id)
    const key = cid.toString()
    options.signal?.throwIfAborted()
    let result: Omit<GetResult, 'path'> & { file: LocalFileState }
    for (let attempt = 0; ; attempt++) {
      const local = this.#files.get(key)
      if (local?.complete === true) {
        result = { file: local, id: key, name: local.manifest.name, size: local.manifest.size, pieces: local.manifest.pieces.length, piecesFetched: 0, fromPeers: {}, duplicateBytes: 0 }
      } else {
        result = await this.#download(cid, options)
      }
      if (options.out == null) break
      const bad = await this.#writeOut(result.file, options.out, options.signal)
      if (bad === 0) break
      // pieces damaged on disk were dropped: fetch them again
      if (attempt >= 2) throw new FileIndexError(`${bad} pieces of ${key} kept failing verification on disk`)
    }
    const { file: _file, ...rest } = result
    const out: GetResult = { ...rest, ...(options.out != null ? { path: options.out } : {}) }
    options.onProgress?.(new CustomProgressEvent('files:get:done', out))
    return out
  }

  async cat (id: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const file = this.#files.get(parseFileId(id).toString())
    if (file?.complete !== true) throw new FileIndexError(`${id} is not complete here; get() it first`)
    const out = new Uint8Array(file.manifest.size)
    for (let i = 0; i < file.manifest.pieces.length; i++) {
      options.signal?.throwIfAborted()
      const piece = await this.#verifiedPiece(file, i)
      if (piece == null) throw new FileIndexError(`piece ${i} of ${id} is damaged on disk and was dropped; get() the file again`)
      out.set(piece, i * file.manifest.pieceSize)
    }
    return out
  }

  async remove (id: string): Promise<void> {
    const cid = parseFileId(id)
    const key = cid.toString()
    const file = this.#files.get(key)
    if (file == null) return
    this.#files.delete(key)
    const shared = new Set<string>()
    for (const other of this.#files.values()) for (const hash of other.manifest.pieces) shared.add(hex(hash))
    for (const hash of file.manifest.pieces) {
      if (!shared.has(hex(hash))) await this.#store.deletePiece(hash).catch(() => {})
    }
    await this.#store.deleteManifest(cid).catch(() => {})
    await this.#components.contentRouting.cancelReprovide?.(cid).catch(() => {})
    await this.#search.removed(key).catch((err: any) => { this.#log('search.removed: %s', err?.message ?? err) })
  }

  list (): LocalFile[] {
    return [...this.#files.values()].map(file => ({
      id: file.id,
      name: file.manifest.name,
      size: file.manifest.size,
      pieceSize: file.manifest.pieceSize,
      pieces: file.manifest.pieces.length,
      piecesHave: file.have.count,
      complete: file.complete
    }))
  }

  async provide (id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const file = this.#files.get(parseFileId(id).toString())
    if (file?.complete !== true) throw new FileIndexError(`${id} is not complete here`)
    await this.#components.contentRouting.provide(file.cid, { signal: options.signal })
  }

  async search (words: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    return await this.#search.search(words, options)
  }

  stats (): FileIndexStats {
    return { ...this.#stats, activeUploads: this.#uploads.size }
  }

  // --- internals ---

  #catalog (): CatalogEntry[] {
    return [...this.#files.values()].filter(f => f.complete).map(f => ({ id: f.id, name: f.manifest.name, size: f.manifest.size }))
  }

  /** A file became complete here: provide it and tell search. */
  #completed (file: LocalFileState, provide = true): void {
    if (provide) {
      this.#components.contentRouting.provide(file.cid).catch((err: any) => {
        this.#log('provide %s failed (retried on the next re-provide): %s', file.id, err?.message ?? err)
      })
    }
    this.#search.added({ id: file.id, name: file.manifest.name, size: file.manifest.size }).catch((err: any) => {
      this.#log('search.added %s: %s', file.id, err?.message ?? err)
    })
  }

  #scheduleProvide (delayMs: number): void {
    this.#provideTimer = this.#clock.setTimeout(() => {
      if (!this.#running) return
      void this.#provideAll().finally(() => {
        if (this.#running) this.#scheduleProvide(this.#init.reprovideIntervalMs ?? 12 * HOUR)
      })
    }, delayMs)
  }

  async #provideAll (): Promise<void> {
    for (const file of [...this.#files.values()]) {
      if (!this.#running) return
      if (!file.complete) continue
      try {
        await this.#components.contentRouting.provide(file.cid)
      } catch (err: any) {
        this.#log('re-provide %s failed: %s', file.id, err?.message ?? err)
      }
    }
  }

  async #download (cid: CID, options: GetOptions): Promise<Omit<GetResult, 'path'> & { file: LocalFileState }> {
    const key = cid.toString()
    const running = this.#downloads.get(key)
    if (running != null) {
      // one download per file; a second caller waits for it
      await running.catch(() => {})
      const file = this.#files.get(key)
      if (file?.complete === true) return { file, id: key, name: file.manifest.name, size: file.manifest.size, pieces: file.manifest.pieces.length, piecesFetched: 0, fromPeers: {}, duplicateBytes: 0 }
    }
    const download = new Download({
      peerId: this.#components.peerId,
      store: this.#store,
      wire: this.#wire,
      clock: this.#clock,
      rng: this.#rng,
      picker: this.#init.picker ?? {},
      protocol: this.#protocol,
      maxPeers: this.#init.maxPeersPerDownload ?? 16,
      maxPendingWrites: this.#init.maxPendingWrites ?? 32,
      log: this.#log,
      connectionManager: this.#components.connectionManager,
      peerStore: this.#components.peerStore,
      contentRouting: this.#components.contentRouting,
      localFile: id => this.#files.get(id),
      adopt: (id, manifest, bytes) => this.#adopt(id, manifest, bytes),
      report: (peer, infraction, detail) => { this.#report(peer, infraction, detail) },
      credit: peer => { this.#credit(peer) },
      counted: (kind, bytes) => {
        if (kind === 'downloaded') this.#stats.downloadedBytes += bytes
        else if (kind === 'duplicate') this.#stats.duplicateBytes += bytes
        else this.#stats.badPieces++
      }
    }, cid, options)
    const promise = download.run()
    this.#downloads.set(key, promise)
    try {
      const result = await promise
      this.#completed(result.file)
      return result
    } finally {
      if (this.#downloads.get(key) === promise) this.#downloads.delete(key)
    }
  }

  #adopt (cid: CID, manifest: FileManifest, bytes: Uint8Array): LocalFileState {
    const existing = this.#files.get(cid.toString())
    if (existing != null) return existing
    const file = new LocalFileState(cid, manifest, bytes, new Bitfield(manifest.pieces.length))
    this.#files.set(file.id, file)
    this.#store.putManifest(cid, bytes).catch((err: any) => { this.#log.error('cannot store the manifest of %s: %s', file.id, err?.message ?? err) })
    return file
  }

  async #verifiedPiece (file: LocalFileState, index: number): Promise<Uint8Array | undefined> {
    const piece = await file.readPiece(this.#store, index)
    if (piece == null) return undefined
    if (!equal(sha256(piece), file.manifest.pieces[index])) {
      file.have.clear(index)
      await this.#store.deletePiece(file.manifest.pieces[index]).catch(() => {})
      return undefined
    }
    return piece
  }

  /**
   * Write a complete file to `out` through a temporary file in the same directory, re-hashing
   * every piece on the way; rename it into place only when all verified. Returns how many
   * pieces failed (dropped from the store, to fetch again).
   */
  async #writeOut (file: LocalFileState, out: string, signal?: AbortSignal): Promise<number> {
    const temp = join(dirname(out), `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp`)
    const handle = await open(temp, 'w')
    let bad = 0
    let renamed = false
    try {
      let position = 0
      for (let i = 0; i < file.manifest.pieces.length; i++) {
        signal?.throwIfAborted()
        const piece = await this.#verifiedPiece(file, i)
        if (piece == null) {
          bad++
          continue
        }
        if (bad === 0) {
          let written = 0
          while (written < piece.byteLength) {
            const { bytesWritten } = await handle.write(piece, written, piece.byteLength - written, position + written)
            written += bytesWritten
          }
        }
        position += piece.byteLength
      }
      if (bad === 0) {
        await handle.sync()
        await handle.close()
        await rename(temp, out)
        renamed = true
        if ((await stat(out)).size !== file.manifest.size) throw new FileIndexError(`${out} has the wrong size after writing`)
      }
      return bad
    } finally {
      if (!renamed) {
        await handle.close().catch(() => {})
        await rm(temp, { force: true })
      }
    }
  }

  #onInbound (stream: Stream, connection: Connection): void {
    if (!this.#running) {
      stream.abort(new Error('file index stopped'))
      return
    }
    const peer = connection.remotePeer
    const session = new UploadSession(peer, stream, {
      store: this.#store,
      wire: this.#wire,
      maxQueuedRequests: this.#init.maxQueuedRequests ?? 128,
      throttle: this.#throttle,
      log: this.#log,
      file: id => this.#files.get(id),
      report: (p, infraction, detail) => { this.#report(p, infraction, detail) },
      uploaded: bytes => { this.#stats.uploadedBytes += bytes; this.#stats.uploadedPieces++ },
      ended: s => { this.#uploads.delete(s) }
    })
    const perPeer = [...this.#uploads].filter(s => s.peer.equals(peer)).length
    if (this.#uploads.size >= (this.#init.uploadSlots ?? 32) || perPeer >= (this.#init.uploadSlotsPerPeer ?? 4)) {
      session.refuse(1000 + this.#rng.int(1000))
      return
    }
    this.#uploads.add(session)
  }

  #report (peer: PeerId, infraction: string, detail: string): void {
    this.#log('%p: %s %s', peer, infraction, detail)
    try {
      this.#reporter.report(peer, infraction, detail)
    } catch (err) {
      this.#log.error('reporting %p failed: %e', peer, err)
    }
  }

  #credit (peer: PeerId): void {
    try {
      this.#reporter.credit(peer, 'verified-piece')
    } catch (err) {
      this.#log.error('crediting %p failed: %e', peer, err)
    }
  }
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

