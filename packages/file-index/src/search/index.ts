/**
 * File search over three designs the notes compare, behind one API: `dht` (keyword CIDs
 * provided on the DHT), `flood` (Gnutella query flooding with TTL, hits on the reverse path)
 * and `central` (a Napster-style index node). See ./README.md.
 */
import { cryptoRng, scoringOf, systemClock, type TimedClock } from '@hearsay/sansio'
import { peerIdFromString } from '@libp2p/peer-id'
import { CentralSearch, NoCentralIndexError, type CentralSearchOptions } from './central.ts'
import { DhtSearch, type DhtSearchOptions } from './dht.ts'
import { FloodSearch, type FloodSearchOptions } from './flood.ts'
import { keywords } from './keywords.ts'
import { ResultMerger } from './util.ts'
import { SEARCH_WIRE_LIMITS, entryFits, type SearchWireLimits, type WireEntry } from './wire.ts'
import type { BackendContext } from './context.ts'
import type { InfractionName, PeerReporter, Rng } from '@hearsay/interface'
import type { ComponentLogger, ContentRouting, Logger, PeerId, PeerStore, Startable } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export { keywords, keywordCid, matches, rarestWord, KEYWORD_DOMAIN, MAX_KEYWORDS, MIN_KEYWORD_LENGTH } from './keywords.ts'
export { QUERY_PROTOCOL, FLOOD_PROTOCOL, INDEX_PROTOCOL, SEARCH_WIRE_LIMITS } from './wire.ts'
export type { SearchWireLimits } from './wire.ts'
export { NoCentralIndexError } from './central.ts'
export type { CentralSearchOptions } from './central.ts'
export type { DhtSearchOptions } from './dht.ts'
export type { FloodSearchOptions } from './flood.ts'
export { FloodRouter, FLOOD_DEFAULTS } from './flood-core.ts'
export type { FloodRouterOptions, FloodStats, FloodCoreFrame } from './flood-core.ts'
export { CentralIndex, CENTRAL_INDEX_DEFAULTS } from './central-core.ts'
export type { CentralIndexOptions } from './central-core.ts'

/** A file this node can serve completely. */
export interface CatalogEntry {
  /** The file id (the manifest's CID as a string). */
  id: string
  name: string
  size: number
}

/** The local files a search backend may answer with. */
export interface Catalog {
  entries(): CatalogEntry[]
}

/** Which search design to use. */
export type SearchVia = 'dht' | 'flood' | 'central'

/** One search hit. */
export interface SearchResult {
  id: string
  name: string
  size: number
  /** How many distinct peers answered with this file. */
  providers: number
  /**
   * Some of those peers (at most 20), to download from. For `flood` they are the peers the
   * hits named, which nobody vouches for; for `central`, the index's sample.
   */
  peers?: PeerId[]
}

/** Options of `files.search(words, options)` ({@link FileIndex.search}). */
export interface SearchOptions {
  /** @default 'dht' */
  via?: SearchVia
  signal?: AbortSignal
  /**
   * How long to collect answers. `dht` and `central` return earlier when every asked peer
   * answered; `flood` cannot know, so it waits this long unless `limit` files arrived first.
   *
   * @default 10 000 for `dht`, 3 000 for `flood`, 5 000 for `central`
   */
  timeoutMs?: number
  /** Most results. @default 100 (at most 1000) */
  limit?: number
  /** Also list this node's own matching files, counting this node as a provider. @default false */
  includeLocal?: boolean
  /** `flood` only: the query's TTL. @default `init.flood.ttl` (7) */
  ttl?: number
}

/** Options of the search backends, `search` in {@link FileIndexInit}. */
export interface SearchInit {
  central?: CentralSearchOptions & {
    /** Run a central index on this node. */
    server?: boolean
    /** Multiaddr (with /p2p/) of the index node to register with and query. */
    index?: string
  }
  flood?: FloodSearchOptions & { ttl?: number }
  dht?: DhtSearchOptions
  /** Bounds on frames; lowering them also lowers what this node sends. */
  limits?: Partial<SearchWireLimits>
  reporter?: PeerReporter
  /** @default the system clock */
  clock?: TimedClock
  /** @default a cryptographically seeded generator */
  rng?: Rng
}

/** What search takes from libp2p. */
export interface SearchComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  contentRouting: ContentRouting
  logger: ComponentLogger
  /** To find the connected peers that speak a protocol when a backend starts late. */
  peerStore?: PeerStore
  scoring?: PeerReporter
}

/** Default collection times of {@link SearchOptions.timeoutMs}, per backend. */
export const SEARCH_TIMEOUTS: Readonly<Record<SearchVia, number>> = Object.freeze({ dht: 10_000, flood: 3_000, central: 5_000 })
/** Default {@link SearchOptions.limit}. */
export const DEFAULT_SEARCH_LIMIT = 100
/** Most peer ids listed with one result. */
const MAX_PEERS_PER_RESULT = 20
/** Most distinct names whose keywords are cached for local matching. */
const MAX_KEYWORD_CACHE = 10_000

/** Thrown by `files.search` ({@link FileIndex.search}) for a query without any usable word, or an unknown backend. */
export class SearchError extends Error {
  /** An error saying `message` (what was wrong with the query). */
  constructor (message: string) {
    super(message)
    this.name = 'SearchError'
  }
}

/** The search half of the file index; the file index service owns one. */
export class FileSearch implements Startable {
  readonly [Symbol.toStringTag] = '@hearsay/file-index:search'
  readonly dht: DhtSearch
  readonly flood: FloodSearch
  readonly central: CentralSearch
  readonly #catalog: Catalog
  readonly #ctx: BackendContext
  readonly #log: Logger
  readonly #limits: SearchWireLimits
  readonly #reporter: PeerReporter
  readonly #keywordCache = new Map<string, Set<string>>()
  #abort = new AbortController()
  #running = false

  constructor (components: SearchComponents, init: SearchInit, catalog: Catalog) {
    this.#catalog = catalog
    this.#log = components.logger.forComponent('hearsay:file-index:search')
    this.#limits = { ...SEARCH_WIRE_LIMITS, ...init.limits }
    const log = this.#log
    this.#reporter = init.reporter ?? scoringOf(components) ?? {
      report: (peer, infraction, detail) => { log('no scoring service: %p misbehaved (%s) %s', peer, infraction, detail ?? '') },
      credit: () => {}
    }
    const abortSignal = (): AbortSignal => this.#abort.signal
    this.#ctx = {
      self: components.peerId,
      selfKey: components.peerId.toString(),
      registrar: components.registrar,
      connectionManager: components.connectionManager,
      contentRouting: components.contentRouting,
      peerStore: components.peerStore,
      logger: components.logger,
      log,
      clock: init.clock ?? systemClock,
      rng: init.rng ?? cryptoRng(),
      limits: this.#limits,
      report: (peer, infraction, detail) => { this.#report(peer, infraction, detail) },
      credit: (peer, reason) => {
        try {
          this.#reporter.credit(peer, reason)
        } catch {
          // a reporter must never break the protocol
        }
      },
      match: (words, limit) => this.#match(words, limit),
      entries: () => this.#entries(),
      get signal () { return abortSignal() }
    }
    this.dht = new DhtSearch(this.#ctx, init.dht)
    this.flood = new FloodSearch(this.#ctx, init.flood)
    this.central = new CentralSearch(this.#ctx, init.central)
  }

  async start (): Promise<void> {
    if (this.#running) return
    this.#abort = new AbortController()
    this.#running = true
    await this.dht.start()
    await this.flood.start()
    await this.central.start()
  }

  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#abort.abort(new Error('file search stopped'))
    await Promise.all([this.dht.stop(), this.flood.stop(), this.central.stop()])
  }

  /** A local file became available: provide its keywords, register it with the central index. */
  async added (entry: CatalogEntry): Promise<void> {
    await Promise.resolve()
    const wire = { id: entry.id, name: entry.name, size: entry.size }
    if (!entryFits(wire, this.#limits)) {
      this.#log('not announcing "%s": its id or name is over the wire limits', entry.name)
      return
    }
    if (!this.#running) return
    this.dht.added(wire)
    this.central.added(wire)
  }

  /** A local file was removed. */
  async removed (id: string): Promise<void> {
    await Promise.resolve()
    if (!this.#running) return
    this.dht.removed(id)
    this.central.removed(id)
  }

  /**
   * Files whose names contain every word of `words` (case-insensitive whole words of 2+
   * letters or digits), from other peers, found with the backend `options.via`.
   *
   * @throws {@link SearchError} when `words` has no usable word
   * @throws {@link NoCentralIndexError} for `central` without an index
   * @throws the signal's reason when `options.signal` aborts
   */
  async search (words: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    options.signal?.throwIfAborted()
    const via = options.via ?? 'dht'
    if (via !== 'dht' && via !== 'flood' && via !== 'central') throw new SearchError(`unknown search backend "${String(via)}"`)
    if (!this.#running) throw new SearchError('file search is not running')
    const query = keywords(words, this.#limits.maxWords)
    if (query.length === 0) throw new SearchError('a search needs at least one word of two or more letters or digits')
    if (via === 'central' && !this.central.configured) throw new NoCentralIndexError()
    const limit = Math.max(1, Math.min(Math.floor(options.limit ?? DEFAULT_SEARCH_LIMIT), this.#limits.maxResults))
    const timeoutMs = options.timeoutMs ?? SEARCH_TIMEOUTS[via]
    const merger = new ResultMerger(this.#limits.maxResults)
    const signal = AbortSignal.any([
      this.#abort.signal,
      AbortSignal.timeout(Math.max(0, timeoutMs)),
      ...(options.signal != null ? [options.signal] : [])
    ])
    try {
      switch (via) {
        case 'dht':
          await this.dht.search(query, limit, merger, signal)
          break
        case 'flood':
          await this.flood.search(query, limit, merger, signal, options.ttl)
          break
        case 'central':
          await this.central.search(query, limit, merger, signal)
      }
    } catch (err: any) {
      options.signal?.throwIfAborted()
      // out of time, or the backend failed part way: what arrived is still the answer
      if (!signal.aborted && err instanceof NoCentralIndexError) throw err
      if (!signal.aborted && via === 'central') throw err
      this.#log('%s search for "%s" ended early: %s', via, query.join(' '), err?.message ?? err)
    }
    options.signal?.throwIfAborted()
    if (options.includeLocal === true) {
      for (const entry of this.#match(query, limit)) merger.add(entry, this.#ctx.selfKey)
    }
    return merger.results(limit, MAX_PEERS_PER_RESULT)
  }

  #entries (): WireEntry[] {
    const out: WireEntry[] = []
    for (const entry of safeEntries(this.#catalog, this.#log)) {
      const wire = { id: entry.id, name: entry.name, size: entry.size }
      if (entryFits(wire, this.#limits)) out.push(wire)
    }
    return out
  }

  #match (words: string[], limit: number): WireEntry[] {
    const out: WireEntry[] = []
    if (words.length === 0) return out
    for (const entry of this.#entries()) {
      if (out.length >= limit) break
      let own = this.#keywordCache.get(entry.name)
      if (own == null) {
        if (this.#keywordCache.size >= MAX_KEYWORD_CACHE) this.#keywordCache.clear()
        own = new Set(keywords(entry.name))
        this.#keywordCache.set(entry.name, own)
      }
      if (words.every(word => own.has(word))) out.push(entry)
    }
    return out
  }

  #report (peer: PeerId | string, infraction: InfractionName, detail?: string): void {
    this.#log('%s: %s %s', peer, infraction, detail ?? '')
    // keys reach here only from connections and checked frames, so they parse
    this.#reporter.report(typeof peer === 'string' ? peerIdFromString(peer) : peer, infraction, detail)
  }
}

function safeEntries (catalog: Catalog, log: Logger): CatalogEntry[] {
  try {
    return catalog.entries()
  } catch (err) {
    log.error('the catalog failed to list its entries: %e', err)
    return []
  }
}

