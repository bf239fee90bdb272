/**
 * Small pieces the three backends share: a concurrency limit and the merge of answers into
 * results. Their stream I/O is the adapter kit's (`@hearsay/sansio/adapter`).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { serveOnce, type ServeOptions } from '@hearsay/sansio/adapter'
import type { PeerKey } from '@hearsay/interface'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { BackendContext } from './context.ts'
import type { WireEntry } from './wire.ts'

/** How a backend serves its protocol: the kit's options, less what the connection tells. */
export interface SearchServe<Request> extends Pick<ServeOptions<Request>, 'rate' | 'rateReportEveryMs' | 'maxBytes' | 'decode'> {
  /** What is served, for the log. */
  what: string
  /** How long one request may take. */
  timeoutMs: number
  /** The encoded answer to `peer`'s request, or `undefined` for none. */
  answer(request: Request, peer: PeerId): Uint8Array | undefined
}

/** Serve one request on an inbound stream of a search protocol (refused once the backend stopped). */
export async function serveSearch<Request> (ctx: BackendContext, running: boolean, stream: Stream, connection: Connection, options: SearchServe<Request>): Promise<void> {
  const peer = connection.remotePeer
  if (!running) {
    stream.abort(new Error('search stopped'))
    return
  }
  const failed = await serveOnce(stream, {
    ...options,
    peer: peer.toString(),
    signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(options.timeoutMs)]),
    report: (infraction, detail) => { ctx.report(peer, infraction, detail) },
    answer: request => options.answer(request, peer)
  })
  if (failed != null) ctx.log('serving %s to %p ended: %s', options.what, peer, failed.message)
}

/** Run at most `concurrency` of the pushed tasks at once; `idle()` resolves when all are done. */
export class TaskLimit {
  readonly #concurrency: number
  readonly #queue: Array<() => Promise<void>> = []
  #running = 0
  #waiters: Array<() => void> = []

  constructor (concurrency: number) {
    this.#concurrency = Math.max(1, Math.floor(concurrency))
  }

  push (task: () => Promise<void>): void {
    this.#queue.push(task)
    this.#next()
  }

  async idle (): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return
    await new Promise<void>(resolve => { this.#waiters.push(resolve) })
  }

  #next (): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const task = this.#queue.shift() as () => Promise<void>
      this.#running++
      void task().catch(() => {}).finally(() => {
        this.#running--
        this.#next()
        if (this.#running === 0 && this.#queue.length === 0) {
          for (const resolve of this.#waiters.splice(0)) resolve()
        }
      })
    }
  }
}

interface Merged {
  entry: WireEntry
  peers: Set<PeerKey>
  /** A count told by a central index, which may exceed the peers it listed. */
  told: number
}

/** One search hit, as `files.search` ({@link FileIndex.search}) returns it. */
export interface MergedResult {
  id: string
  name: string
  size: number
  providers: number
  peers: PeerId[]
}

/** Answers merged by file id: each file once, with the distinct peers that have it. */
export class ResultMerger {
  readonly #files = new Map<string, Merged>()
  readonly #maxFiles: number

  constructor (maxFiles: number) {
    this.#maxFiles = maxFiles
  }

  get size (): number {
    return this.#files.size
  }

  /** `peer` has `entry`; `told` is a provider count reported for it by an index. */
  add (entry: WireEntry, peer: PeerKey | undefined, told = 0): void {
    let merged = this.#files.get(entry.id)
    if (merged == null) {
      // a malicious answerer could flood distinct ids; keep what we have past the bound
      if (this.#files.size >= this.#maxFiles) return
      merged = { entry, peers: new Set(), told: 0 }
      this.#files.set(entry.id, merged)
    }
    if (peer != null) merged.peers.add(peer)
    merged.told = Math.max(merged.told, told)
  }

  /** Most providers first (then by name), at most `limit`, with up to `maxPeers` peer ids each. */
  results (limit: number, maxPeers: number): MergedResult[] {
    const out: MergedResult[] = []
    for (const { entry, peers, told } of this.#files.values()) {
      const ids: PeerId[] = []
      for (const key of peers) {
        if (ids.length >= maxPeers) break
        try {
          ids.push(peerIdFromString(key))
        } catch {
          // checked before it was added; a bad one is skipped rather than failing the search
        }
      }
      const providers = Math.max(peers.size, told)
      if (providers === 0) continue
      out.push({ id: entry.id, name: entry.name, size: entry.size, providers, peers: ids })
    }
    out.sort((a, b) => b.providers - a.providers || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    return out.slice(0, limit)
  }
}
