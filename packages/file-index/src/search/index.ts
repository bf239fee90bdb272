/**
 * File search over three designs the notes compare, behind one API: `dht` (keyword CIDs
 * provided on the DHT), `flood` (Gnutella query flooding with TTL, hits on the reverse path)
 * and `central` (a Napster-style index node).
 *
 * PLACEHOLDER CONTRACT — being implemented now; the declarations below are the agreed API.
 */
import type { PeerReporter } from '@hearsay/interface'
import type { ComponentLogger, ContentRouting, PeerId, Startable } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

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
}

/** Options of {@link FileSearch.search}. */
export interface SearchOptions {
  /** @default 'dht' */
  via?: SearchVia
  signal?: AbortSignal
  /** How long to collect answers. */
  timeoutMs?: number
  /** Most results. */
  limit?: number
}

/** Options of {@link FileSearch}. */
export interface SearchInit {
  central?: {
    /** Run a central index on this node. */
    server?: boolean
    /** Multiaddr (with /p2p/) of the index node to register with and query. */
    index?: string
  }
  flood?: { ttl?: number }
  reporter?: PeerReporter
}

/** What search takes from libp2p. */
export interface SearchComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  contentRouting: ContentRouting
  logger: ComponentLogger
  scoring?: PeerReporter
}

/** The search half of the file index; the file index service owns one. */
export class FileSearch implements Startable {
  constructor (components: SearchComponents, init: SearchInit, catalog: Catalog) {
    void components
    void init
    void catalog
  }

  async start (): Promise<void> {}
  async stop (): Promise<void> {}
  /** A local file became available: provide its keywords, register it with the central index. */
  async added (entry: CatalogEntry): Promise<void> { void entry; await Promise.resolve() }
  /** A local file was removed. */
  async removed (id: string): Promise<void> { void id; await Promise.resolve() }
  async search (words: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    void words
    void options
    return await Promise.reject(new Error('search is being implemented'))
  }
}
