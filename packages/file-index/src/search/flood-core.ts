/**
 * The Gnutella query/hit router as a sans-IO core: events in (a peer came or went, a frame
 * arrived, the application asks), sends out. No timers: the seen cache and the reverse-path
 * routes expire lazily against the injected clock, and the adapter ends its own queries.
 */
import { toString as toHex } from 'uint8arrays'
import type { Clock, InfractionName, PeerKey, Rng } from '@hearsay/interface'
import { QUERY_ID_BYTES, type WireEntry } from './wire.ts'

/** The flood frames, decoded. Query ids are hex strings here (the wire carries 16 bytes). */
export type FloodCoreFrame =
  | { type: 'query', id: string, words: string[], ttl: number, hops: number }
  | { type: 'hit', id: string, peer: PeerKey, entries: WireEntry[] }

/** Tunables of {@link FloodRouter}. */
export interface FloodRouterOptions {
  /** TTL of the queries this node starts. @default 7 */
  ttl: number
  /** Largest `ttl + hops` accepted; larger TTLs are cut down to it. @default 16 */
  maxTtl: number
  /** How long a query id is remembered (for dedupe and for routing its hits back). @default 60 s */
  routeTtlMs: number
  /** Most query ids remembered; the oldest go first. @default 10 000 */
  maxRoutes: number
  /** Most hit frames routed back for one query, per node. @default 64 */
  maxHitsPerQuery: number
  /** Most entries this node answers one query with. @default 100 */
  maxEntriesPerHit: number
}

/** Defaults of {@link FloodRouterOptions}. */
export const FLOOD_DEFAULTS: Readonly<FloodRouterOptions> = Object.freeze({
  ttl: 7,
  maxTtl: 16,
  routeTtlMs: 60_000,
  maxRoutes: 10_000,
  maxHitsPerQuery: 64,
  maxEntriesPerHit: 100
})

/** What the router asks its environment to do. */
export interface FloodEffects {
  send(peer: PeerKey, frame: FloodCoreFrame): void
  /** A hit for one of this node's own queries. `from` is the neighbour it came through. */
  deliver(hit: { id: string, peer: PeerKey, entries: WireEntry[] }, from: PeerKey): void
  report(peer: PeerKey, infraction: InfractionName, detail?: string): void
}

export interface FloodRouterInit {
  /** This node's key; hits name it as the peer that has the files. */
  self: PeerKey
  clock: Clock
  rng: Rng
  effects: FloodEffects
  /** This node's files matching all of `words` (keywords), at most `limit`. */
  match(words: string[], limit: number): WireEntry[]
  options?: Partial<FloodRouterOptions>
}

interface Route {
  /** The neighbour the query came from; `undefined` for this node's own queries. */
  prev?: PeerKey
  /** Neighbours it was forwarded to: the only ones that may send its hits. */
  forwardedTo: Set<PeerKey>
  expires: number
  hits: number
  own: boolean
  open: boolean
}

/** Counters, for tests and metrics. */
export interface FloodStats {
  queriesSeen: number
  duplicates: number
  forwarded: number
  answered: number
  hitsRouted: number
  hitsDelivered: number
  hitsDropped: number
}

/**
 * Gnutella-style flooding. A query `{id, words, ttl, hops}` is answered with a hit if this
 * node has matching files and, when new and `ttl > 1`, forwarded with `ttl - 1, hops + 1` to
 * every neighbour except the one it came from. Each node remembers which neighbour a query
 * came from, so hits travel back hop by hop along the reverse path to the node that asked.
 */
export class FloodRouter {
  readonly options: Readonly<FloodRouterOptions>
  readonly #init: FloodRouterInit
  readonly #peers = new Set<PeerKey>()
  readonly #routes = new Map<string, Route>()
  readonly #stats: FloodStats = { queriesSeen: 0, duplicates: 0, forwarded: 0, answered: 0, hitsRouted: 0, hitsDelivered: 0, hitsDropped: 0 }

  constructor (init: FloodRouterInit) {
    this.#init = init
    const options = { ...FLOOD_DEFAULTS, ...init.options }
    options.maxTtl = clampInt(options.maxTtl, 1, 255)
    options.ttl = clampInt(options.ttl, 1, options.maxTtl)
    this.options = Object.freeze(options)
  }

  addPeer (peer: PeerKey): void {
    if (peer !== this.#init.self) this.#peers.add(peer)
  }

  removePeer (peer: PeerKey): void {
    this.#peers.delete(peer)
  }

  get peers (): PeerKey[] {
    return [...this.#peers]
  }

  stats (): FloodStats {
    return { ...this.#stats }
  }

  /** How many query ids are remembered (bounded by `maxRoutes`). */
  get routes (): number {
    return this.#routes.size
  }

  /**
   * Start a query for `words` (keywords) and send it to every neighbour. Hits come back
   * through `deliver` until {@link end}. Returns the query id.
   */
  query (words: string[], ttl = this.options.ttl): string {
    const bytes = new Uint8Array(QUERY_ID_BYTES)
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.#init.rng.int(256)
    const id = toHex(bytes, 'base16')
    const route = this.#remember(id, undefined, true)
    const frame: FloodCoreFrame = { type: 'query', id, words, ttl: clampInt(ttl, 1, this.options.maxTtl), hops: 0 }
    for (const peer of this.#peers) {
      route.forwardedTo.add(peer)
      this.#init.effects.send(peer, frame)
    }
    return id
  }

  /** Stop collecting hits of an own query; later ones are dropped. */
  end (id: string): void {
    const route = this.#routes.get(id)
    if (route?.own === true) route.open = false
  }

  /** A frame arrived from neighbour `from`. */
  receive (from: PeerKey, frame: FloodCoreFrame): void {
    if (frame.type === 'query') this.#onQuery(from, frame)
    else this.#onHit(from, frame)
  }

  #onQuery (from: PeerKey, query: Extract<FloodCoreFrame, { type: 'query' }>): void {
    const { maxTtl } = this.options
    if (query.hops >= maxTtl) {
      this.#init.effects.report(from, 'invalid-message', `a query already ${query.hops} hops old`)
      return
    }
    if (this.#route(query.id) != null) {
      this.#stats.duplicates++
      return
    }
    this.#stats.queriesSeen++
    // a ttl + hops above the maximum is cut down, as Gnutella servents do
    const ttl = Math.min(query.ttl, maxTtl - query.hops)
    const route = this.#remember(query.id, from, false)
    const entries = safeMatch(this.#init, query.words, this.options.maxEntriesPerHit)
    if (entries.length > 0) {
      this.#stats.answered++
      this.#init.effects.send(from, { type: 'hit', id: query.id, peer: this.#init.self, entries })
    }
    if (ttl <= 1) return
    const forward: FloodCoreFrame = { type: 'query', id: query.id, words: query.words, ttl: ttl - 1, hops: query.hops + 1 }
    for (const peer of this.#peers) {
      if (peer === from) continue
      route.forwardedTo.add(peer)
      this.#stats.forwarded++
      this.#init.effects.send(peer, forward)
    }
  }

  #onHit (from: PeerKey, hit: Extract<FloodCoreFrame, { type: 'hit' }>): void {
    const route = this.#route(hit.id)
    if (route == null) {
      // unknown or expired: a late hit is not misbehaviour, just useless
      this.#stats.hitsDropped++
      return
    }
    if (!route.forwardedTo.has(from)) {
      this.#stats.hitsDropped++
      this.#init.effects.report(from, 'unrequested-data', 'a hit for a query we never sent that peer')
      return
    }
    if (route.hits >= this.options.maxHitsPerQuery) {
      this.#stats.hitsDropped++
      return
    }
    route.hits++
    if (route.own) {
      if (!route.open) {
        this.#stats.hitsDropped++
        return
      }
      this.#stats.hitsDelivered++
      this.#init.effects.deliver({ id: hit.id, peer: hit.peer, entries: hit.entries }, from)
      return
    }
    if (route.prev == null || !this.#peers.has(route.prev)) {
      this.#stats.hitsDropped++
      return
    }
    this.#stats.hitsRouted++
    this.#init.effects.send(route.prev, hit)
  }

  /** The live route of `id`, dropping it if expired. */
  #route (id: string): Route | undefined {
    const route = this.#routes.get(id)
    if (route == null) return undefined
    if (route.expires <= this.#init.clock.now()) {
      this.#routes.delete(id)
      return undefined
    }
    return route
  }

  #remember (id: string, prev: PeerKey | undefined, own: boolean): Route {
    const now = this.#init.clock.now()
    // routes are inserted in time order, so expired ones are at the front
    for (const [key, route] of this.#routes) {
      if (route.expires > now && this.#routes.size < this.options.maxRoutes) break
      this.#routes.delete(key)
    }
    const route: Route = { prev, forwardedTo: new Set(), expires: now + this.options.routeTtlMs, hits: 0, own, open: own }
    this.#routes.delete(id)
    this.#routes.set(id, route)
    return route
  }
}

function safeMatch (init: FloodRouterInit, words: string[], limit: number): WireEntry[] {
  try {
    return init.match(words, limit).slice(0, limit)
  } catch {
    return []
  }
}

function clampInt (value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return max
  return Math.min(max, Math.max(min, Math.floor(value)))
}
