/**
 * The `central` backend: a Napster-style index node on `/hearsay/index/1.0.0` (any host runs
 * one with `central.server`), and the client that registers this node's files with it and
 * searches there.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { ipPortToMultiaddr } from '@libp2p/utils'
import { CentralIndex, type CentralIndexOptions } from './central-core.ts'
import { ResultMerger, serveSearch } from './util.ts'
import {
  INDEX_PROTOCOL, decodeIndexRequest, decodeIndexResponse, encodeIndexRequest, encodeIndexResponse,
  type IndexWireRequest, type IndexWireResponse, type WireEntry
} from './wire.ts'
import type { BackendContext } from './context.ts'
import { PeerRateLimiter, type CancelTimer } from '@hearsay/sansio'
import { isPeerId, requestOnce } from '@hearsay/sansio/adapter'
import type { Connection, PeerId, Stream } from '@libp2p/interface'

/** Options of the central backend. */
export interface CentralSearchOptions extends Partial<CentralIndexOptions> {
  /** Run a central index on this node. @default false */
  server?: boolean
  /** Multiaddr (with /p2p/) of the index node to register with and query. */
  index?: string
  /** Register the whole catalog again this often, in ms (keep it under the index's `ttlMs`). @default 10 min */
  refreshMs?: number
  /** Requests served per peer and second by the index (bursts of twice that). @default 10 */
  maxRequestsPerSecond?: number
  /** How long one request to the index may take. @default 10 s */
  requestTimeoutMs?: number
}

export const CENTRAL_DEFAULTS: Readonly<{ refreshMs: number, maxRequestsPerSecond: number, requestTimeoutMs: number }> = Object.freeze({
  refreshMs: 10 * 60_000,
  maxRequestsPerSecond: 10,
  requestTimeoutMs: 10_000
})

const RETRY_MIN_MS = 2_000
const RETRY_MAX_MS = 5 * 60_000

/** Thrown when the central backend is asked to search without an index to ask. */
export class NoCentralIndexError extends Error {
  /** The message says how to configure an index. */
  constructor () {
    super('no central index: set central.index to the multiaddr of an index node, or central.server to run one')
    this.name = 'NoCentralIndexError'
  }
}

/** Parse `/…/p2p/<id>` into the peer id and a dialable multiaddr. */
export function parseIndexAddress (text: string): { peer: PeerId, addr: ReturnType<typeof ipPortToMultiaddr> } {
  if (typeof text !== 'string') throw new TypeError('central.index must be a multiaddr string')
  const match = /\/p2p\/([^/]+)\/?$/.exec(text)
  if (match == null) throw new TypeError(`central.index "${text}" must end in /p2p/<peer id>`)
  const peer = peerIdFromString(match[1])
  // @multiformats/multiaddr is not a dependency of this package: an empty multiaddr from
  // @libp2p/utils parses the string instead (and validates it the same way)
  const addr = ipPortToMultiaddr('127.0.0.1', 1).decapsulateCode(4).encapsulate(text)
  return { peer, addr }
}

export class CentralSearch {
  /** The index, when this node runs one. */
  readonly index: CentralIndex | undefined
  readonly #ctx: BackendContext
  readonly #o: CentralSearchOptions & { refreshMs: number, maxRequestsPerSecond: number, requestTimeoutMs: number }
  readonly #target: { peer: PeerId, addr: ReturnType<typeof ipPortToMultiaddr> } | undefined
  readonly #rate: PeerRateLimiter
  #running = false
  #refreshTimer: CancelTimer | undefined
  #expireTimer: CancelTimer | undefined
  #retryTimer: CancelTimer | undefined
  #retryMs = RETRY_MIN_MS
  /** Registration requests run one after another, so that they reach the index in order. */
  #chain: Promise<void> = Promise.resolve()

  constructor (ctx: BackendContext, options: CentralSearchOptions = {}) {
    this.#ctx = ctx
    this.#o = { ...CENTRAL_DEFAULTS, ...options }
    this.index = options.server === true
      ? new CentralIndex({ ...options, maxPeersPerHit: Math.min(options.maxPeersPerHit ?? ctx.limits.maxPeersPerHit, ctx.limits.maxPeersPerHit) })
      : undefined
    const target = options.index != null ? parseIndexAddress(options.index) : undefined
    // an index address naming ourselves is the local index
    this.#target = target != null && target.peer.equals(ctx.self) ? undefined : target
    this.#rate = new PeerRateLimiter(ctx.clock, this.#o.maxRequestsPerSecond)
  }

  /** Does this node have an index to register with and search? */
  get configured (): boolean {
    return this.index != null || this.#target != null
  }

  async start (): Promise<void> {
    this.#running = true
    if (this.index != null) {
      await this.#ctx.registrar.handle(INDEX_PROTOCOL, (stream, connection) => { void this.#serve(stream, connection) }, {
        maxInboundStreams: 64,
        maxOutboundStreams: 8
      })
      const index = this.index
      const expireEvery = Math.max(1000, Math.min(60_000, index.options.ttlMs / 4))
      const expire = (): void => {
        this.#expireTimer = this.#ctx.clock.setTimeout(() => {
          index.expire(this.#ctx.clock.now())
          expire()
        }, expireEvery)
      }
      expire()
    }
    if (this.configured) {
      this.#registerAll()
      const refresh = (): void => {
        this.#refreshTimer = this.#ctx.clock.setTimeout(() => {
          this.#registerAll()
          refresh()
        }, this.#o.refreshMs)
      }
      refresh()
    }
  }

  async stop (): Promise<void> {
    this.#running = false
    this.#refreshTimer?.()
    this.#expireTimer?.()
    this.#retryTimer?.()
    if (this.index != null) await this.#ctx.registrar.unhandle(INDEX_PROTOCOL)
    await this.#chain.catch(() => {})
  }

  added (entry: WireEntry): void {
    if (this.configured) this.#enqueue({ type: 'register', entries: [entry], replace: false })
  }

  removed (id: string): void {
    if (this.configured) this.#enqueue({ type: 'unregister', ids: [id] })
  }

  /** Wait until the registrations queued so far reached the index (or failed). */
  async flushed (): Promise<void> {
    await this.#chain.catch(() => {})
  }

  async search (words: string[], limit: number, merger: ResultMerger, signal: AbortSignal): Promise<void> {
    if (this.index != null && this.#target == null) {
      for (const hit of this.index.search(words, limit, this.#ctx.clock.now(), this.#ctx.selfKey)) {
        for (const peer of hit.peers) merger.add(hit, peer, hit.providers)
      }
      return
    }
    if (this.#target == null) throw new NoCentralIndexError()
    const response = await this.#request({ type: 'search', words, limit }, signal)
    if (response == null) return
    if (response.error != null) throw new Error(`the central index refused the search: ${response.error}`)
    const peer = this.#target.peer
    if (response.results.length > limit) {
      this.#ctx.report(peer, 'invalid-message', `${response.results.length} results for a limit of ${limit}`)
    }
    for (const hit of response.results.slice(0, limit)) {
      const peers = hit.peers.filter(p => p !== this.#ctx.selfKey && isPeerId(p))
      const told = Math.max(0, hit.providers - (hit.peers.includes(this.#ctx.selfKey) ? 1 : 0))
      if (peers.length === 0 && told === 0) continue
      merger.add(hit, undefined, told)
      for (const p of peers) merger.add(hit, p, told)
    }
  }

  #registerAll (): void {
    const entries = this.#ctx.entries()
    const max = this.#ctx.limits.maxRegisterEntries
    this.#enqueue({ type: 'register', entries: entries.slice(0, max), replace: true })
    for (let i = max; i < entries.length; i += max) {
      this.#enqueue({ type: 'register', entries: entries.slice(i, i + max), replace: false })
    }
  }

  #enqueue (request: IndexWireRequest): void {
    this.#chain = this.#chain.then(async () => {
      if (!this.#running) return
      if (this.#target == null) {
        if (this.index != null) this.#apply(this.#ctx.selfKey, request)
        return
      }
      const signal = AbortSignal.any([this.#ctx.signal, AbortSignal.timeout(this.#o.requestTimeoutMs)])
      try {
        const response = await this.#request(request, signal)
        if (response?.error != null) throw new Error(response.error)
        this.#retryMs = RETRY_MIN_MS
      } catch (err: any) {
        if (!this.#running) return
        this.#ctx.log('%s with the central index failed, registering everything again in %d ms: %s', request.type, this.#retryMs, err?.message ?? err)
        this.#retryTimer?.()
        this.#retryTimer = this.#ctx.clock.setTimeout(() => { this.#registerAll() }, this.#retryMs)
        this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2)
      }
    })
  }

  /** One request to the remote index; `undefined` when its answer was bad (and reported). */
  async #request (request: IndexWireRequest, signal: AbortSignal): Promise<IndexWireResponse | undefined> {
    const target = this.#target
    if (target == null) throw new NoCentralIndexError()
    const connected = this.#ctx.connectionManager.getConnections(target.peer).length > 0
    return await requestOnce(async () => await this.#ctx.connectionManager.openStream(connected ? target.peer : target.addr, INDEX_PROTOCOL, { signal }), encodeIndexRequest(request), {
      maxBytes: this.#ctx.limits.maxIndexFrameBytes,
      signal,
      decode: bytes => decodeIndexResponse(bytes, this.#ctx.limits),
      report: (infraction, detail) => { this.#ctx.report(target.peer, infraction, detail) }
    })
  }

  #apply (peer: string, request: IndexWireRequest): IndexWireResponse {
    const index = this.index as CentralIndex
    const now = this.#ctx.clock.now()
    switch (request.type) {
      case 'register':
        return { accepted: index.register(peer, request.entries, request.replace, now), results: [] }
      case 'unregister':
        return { accepted: index.unregister(peer, request.ids), results: [] }
      case 'search':
        return { accepted: 0, results: index.search(request.words, request.limit, now, peer) }
    }
  }

  async #serve (stream: Stream, connection: Connection): Promise<void> {
    await serveSearch(this.#ctx, this.#running, stream, connection, {
      what: 'the index',
      rate: this.#rate,
      maxBytes: this.#ctx.limits.maxIndexFrameBytes,
      timeoutMs: this.#o.requestTimeoutMs,
      decode: bytes => decodeIndexRequest(bytes, this.#ctx.limits),
      answer: (request, peer) => encodeIndexResponse(this.#apply(peer.toString(), request))
    })
  }

}
