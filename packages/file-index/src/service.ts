import { cryptoRng, scoringOf, systemClock, type CancelTimer, type TimedClock } from '@hearsay/sansio'
import { serviceCapabilities } from '@libp2p/interface'
import { CustomProgressEvent } from 'progress-events'
import { Download } from './download.ts'
import { FileIndexError } from './errors.ts'
import { Library } from './library.ts'
import { parseFileId } from './manifest.ts'
import { FileSearch, type Catalog, type CatalogEntry, type SearchOptions, type SearchResult } from './search/index.ts'
import { Throttle } from './throttle.ts'
import { UploadSession } from './upload.ts'
import { PIECES_PROTOCOL, PIECE_WIRE_DEFAULTS } from './wire.ts'
import type { LocalFileState } from './local.ts'
import type { TransferContext } from './transfer.ts'
import type { AddOptions, FileIndex, FileIndexComponents, FileIndexInit, FileIndexStats, GetOptions, GetResult, LocalFile } from './types.ts'
import type { PeerReporter } from '@hearsay/interface'
import type { Logger, Startable, Stream, Connection } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

const HOUR = 60 * 60 * 1000

/**
 * The file index service: the network around a {@link Library} — the provider side of
 * `/hearsay/pieces/1.0.0`, downloads, DHT provide and re-provide, and the search backends.
 */
export class FileIndexService implements FileIndex, Startable {
  readonly [Symbol.toStringTag] = '@hearsay/file-index'
  readonly [serviceCapabilities]: string[] = ['@hearsay/file-index']

  readonly #components: FileIndexComponents
  readonly #init: FileIndexInit
  readonly #log: Logger
  readonly #clock: TimedClock
  readonly #library: Library
  readonly #transfer: TransferContext
  readonly #search: FileSearch
  readonly #downloads = new Map<string, Promise<Omit<GetResult, 'path'> & { file: LocalFileState }>>()
  /** The downloads running, told of every new unlimited connection. */
  readonly #active = new Set<Download>()
  readonly #uploads = new Set<UploadSession>()
  readonly #stats: FileIndexStats = { uploadedBytes: 0, uploadedPieces: 0, downloadedBytes: 0, duplicateBytes: 0, badPieces: 0, activeUploads: 0 }
  #provideTimer: CancelTimer | undefined
  #running = false

  constructor (components: FileIndexComponents, init: FileIndexInit = {}) {
    this.#components = components
    this.#init = init
    this.#log = components.logger.forComponent('hearsay:file-index')
    this.#clock = init.clock ?? systemClock
    const reporter: PeerReporter = init.reporter ?? scoringOf(components) ?? {
      report: (peer, infraction, detail) => { this.#log('no scoring service: %p misbehaved (%s) %s', peer, infraction, detail ?? '') },
      credit: () => {}
    }
    this.#library = new Library(init.dataDir, this.#log, init.pieceSize)
    this.#transfer = {
      components,
      settings: {
        protocol: init.protocol ?? PIECES_PROTOCOL,
        wire: { ...PIECE_WIRE_DEFAULTS, ...init.wire },
        picker: init.picker ?? {},
        maxPeers: init.maxPeersPerDownload ?? 16,
        maxPendingWrites: init.maxPendingWrites ?? 32,
        maxQueuedRequests: init.maxQueuedRequests ?? 128,
        overRelay: init.overRelay === true,
        ...(init.uploadBytesPerSecond != null ? { throttle: new Throttle(init.uploadBytesPerSecond, this.#clock) } : {})
      },
      clock: this.#clock,
      rng: init.rng ?? cryptoRng(),
      log: this.#log,
      reporter: {
        report: (peer, infraction, detail) => {
          this.#log('%p: %s %s', peer, infraction, detail ?? '')
          reporter.report(peer, infraction, detail)
        },
        credit: (peer, reason) => { reporter.credit(peer, reason) }
      },
      stats: this.#stats
    }
    const catalog: Catalog = { entries: () => this.#catalog() }
    this.#search = new FileSearch(components, init.search ?? {}, catalog)
  }

  async start (): Promise<void> {
    await this.#library.open()
    const perPeer = this.#init.uploadSlotsPerPeer ?? 4
    await this.#components.registrar.handle(this.#transfer.settings.protocol, (stream, connection) => { this.#onInbound(stream, connection) }, {
      // a few over the slots, so that we can answer "busy" instead of a reset
      maxInboundStreams: perPeer + 2,
      maxOutboundStreams: 64,
      runOnLimitedConnection: this.#transfer.settings.overRelay
    })
    this.#components.events.addEventListener('connection:open', this.#onConnectionOpen)
    this.#running = true
    await this.#search.start()
    this.#scheduleProvide(this.#init.initialProvideDelayMs ?? 5000)
  }

  async stop (): Promise<void> {
    this.#running = false
    this.#components.events.removeEventListener('connection:open', this.#onConnectionOpen)
    this.#provideTimer?.()
    await this.#search.stop()
    await this.#components.registrar.unhandle(this.#transfer.settings.protocol)
    for (const session of this.#uploads) session.close()
    this.#uploads.clear()
    await Promise.allSettled([...this.#downloads.values()])
    await this.#library.close()
  }

  // --- the API ---

  async add (pathOrBytes: string | Uint8Array, options: AddOptions = {}): Promise<string> {
    const file = await this.#library.add(pathOrBytes, options)
    this.#completed(file, options.provide !== false)
    return file.id
  }

  async get (id: string, options: GetOptions = {}): Promise<GetResult> {
    const cid = parseFileId(id)
    const key = cid.toString()
    options.signal?.throwIfAborted()
    let result: Omit<GetResult, 'path'> & { file: LocalFileState }
    for (let attempt = 0; ; attempt++) {
      const local = this.#library.file(key)
      if (local?.complete === true) {
        result = { file: local, id: key, name: local.manifest.name, size: local.manifest.size, pieces: local.manifest.pieces.length, piecesFetched: 0, fromPeers: {}, duplicateBytes: 0 }
      } else {
        result = await this.#download(cid, options)
      }
      if (options.out == null) break
      const bad = await this.#library.writeOut(result.file, options.out, options.signal)
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
    return await this.#library.cat(id, options)
  }

  async remove (id: string): Promise<void> {
    const file = await this.#library.remove(id)
    if (file == null) return
    await this.#components.contentRouting.cancelReprovide?.(file.cid).catch(() => {})
    await this.#search.removed(file.id).catch((err: any) => { this.#log('search.removed: %s', err?.message ?? err) })
  }

  list (): LocalFile[] {
    return this.#library.list()
  }

  async provide (id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const file = this.#library.file(parseFileId(id).toString())
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
    return this.#library.files().filter(f => f.complete).map(f => ({ id: f.id, name: f.manifest.name, size: f.manifest.size }))
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
    for (const file of this.#library.files()) {
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
      const file = this.#library.file(key)
      if (file?.complete === true) return { file, id: key, name: file.manifest.name, size: file.manifest.size, pieces: file.manifest.pieces.length, piecesFetched: 0, fromPeers: {}, duplicateBytes: 0 }
    }
    const download = new Download(this.#library, this.#transfer, cid, options)
    const promise = download.run()
    this.#downloads.set(key, promise)
    this.#active.add(download)
    try {
      const result = await promise
      this.#completed(result.file)
      return result
    } finally {
      this.#active.delete(download)
      if (this.#downloads.get(key) === promise) this.#downloads.delete(key)
    }
  }

  /**
   * A peer a download could not reach but over a limited (relayed) connection may just have got a
   * direct one (DCUtR punches it a few round trips later): the download tries it again now.
   */
  readonly #onConnectionOpen = (event: CustomEvent<Connection>): void => {
    if (event.detail.limits != null) return
    for (const download of this.#active) download.connected(event.detail.remotePeer)
  }

  #onInbound (stream: Stream, connection: Connection): void {
    if (!this.#running) {
      stream.abort(new Error('file index stopped'))
      return
    }
    const peer = connection.remotePeer
    const session = new UploadSession(peer, stream, this.#library, this.#transfer, s => { this.#uploads.delete(s) })
    const perPeer = [...this.#uploads].filter(s => s.peer.equals(peer)).length
    if (this.#uploads.size >= (this.#init.uploadSlots ?? 32) || perPeer >= (this.#init.uploadSlotsPerPeer ?? 4)) {
      session.refuse(1000 + this.#transfer.rng.int(1000))
      return
    }
    this.#uploads.add(session)
  }
}
