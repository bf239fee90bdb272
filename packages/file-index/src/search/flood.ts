/**
 * The `flood` backend: the libp2p adapter of {@link FloodRouter} on
 * `/hearsay/search-flood/1.0.0`. Each frame (a query or a hit) travels on a stream of its own
 * to a neighbour that speaks the protocol; bad frames are reported and their stream reset.
 */
import { lpStream } from '@libp2p/utils'
import { fromString as fromHex, toString as toHex } from 'uint8arrays'
import { FloodRouter, type FloodCoreFrame, type FloodRouterOptions, type FloodStats } from './flood-core.ts'
import { PeerRateLimiter } from '@hearsay/sansio'
import { aborted, isPeerId, streamToConnected } from '@hearsay/sansio/adapter'
import { ResultMerger, serveSearch } from './util.ts'
import { FLOOD_PROTOCOL, decodeFloodFrame, encodeFloodFrame, type WireEntry } from './wire.ts'
import type { BackendContext } from './context.ts'
import type { Decoded, PeerKey } from '@hearsay/interface'
import type { Connection, PeerId, Stream } from '@libp2p/interface'

/** Options of the flood backend. */
export interface FloodSearchOptions extends Partial<FloodRouterOptions> {
  /** Frames accepted per neighbour and second (bursts of twice that). @default 50 */
  maxFramesPerSecond?: number
  /** Most frames waiting to be sent to one neighbour; more are dropped. @default 64 */
  maxQueuedPerPeer?: number
}

const SEND_TIMEOUT_MS = 10_000
const READ_TIMEOUT_MS = 10_000

export class FloodSearch {
  readonly router: FloodRouter
  readonly #ctx: BackendContext
  readonly #rate: PeerRateLimiter
  readonly #maxQueued: number
  readonly #peerIds = new Map<PeerKey, PeerId>()
  readonly #queued = new Map<PeerKey, number>()
  readonly #collectors = new Map<string, (hit: { peer: PeerKey, entries: WireEntry[] }) => void>()
  #topologyId: string | undefined
  #running = false

  constructor (ctx: BackendContext, options: FloodSearchOptions = {}) {
    this.#ctx = ctx
    this.#maxQueued = options.maxQueuedPerPeer ?? 64
    this.#rate = new PeerRateLimiter(ctx.clock, options.maxFramesPerSecond ?? 50)
    this.router = new FloodRouter({
      self: ctx.selfKey,
      clock: ctx.clock,
      rng: ctx.rng,
      options: { ...options, maxEntriesPerHit: Math.min(options.maxEntriesPerHit ?? ctx.limits.maxEntriesPerFrame, ctx.limits.maxEntriesPerFrame) },
      match: (words, limit) => ctx.match(words, limit),
      effects: {
        send: (peer, frame) => { this.#send(peer, frame) },
        deliver: (hit) => { this.#collectors.get(hit.id)?.(hit) },
        report: (peer, infraction, detail) => { ctx.report(peer, infraction, detail) }
      }
    })
  }

  stats (): FloodStats {
    return this.router.stats()
  }

  async start (): Promise<void> {
    this.#running = true
    await this.#ctx.registrar.handle(FLOOD_PROTOCOL, (stream, connection) => { void this.#onStream(stream, connection) }, {
      // one stream per frame: allow a burst of them
      maxInboundStreams: 128,
      maxOutboundStreams: 128
    })
    this.#topologyId = await this.#ctx.registrar.register(FLOOD_PROTOCOL, {
      onConnect: (peerId) => { this.#addPeer(peerId) },
      onDisconnect: (peerId) => {
        const key = peerId.toString()
        this.router.removePeer(key)
        this.#peerIds.delete(key)
      }
    })
    // libp2p tells a topology only of peers identified after it registered; the file index
    // starts this backend after scanning its store, by when the bootstrap peers may already be
    // identified — without this catch-up a node's first floods would reach nobody
    for (const connection of this.#ctx.connectionManager.getConnections()) {
      const peer = await this.#ctx.peerStore?.get(connection.remotePeer).catch(() => undefined)
      if (peer?.protocols.includes(FLOOD_PROTOCOL) === true) this.#addPeer(connection.remotePeer)
    }
  }

  async stop (): Promise<void> {
    this.#running = false
    if (this.#topologyId != null) this.#ctx.registrar.unregister(this.#topologyId)
    await this.#ctx.registrar.unhandle(FLOOD_PROTOCOL)
    for (const peer of this.router.peers) this.router.removePeer(peer)
    this.#peerIds.clear()
    this.#collectors.clear()
  }

  #addPeer (peerId: PeerId): void {
    const key = peerId.toString()
    if (key === this.#ctx.selfKey) return
    this.#peerIds.set(key, peerId)
    this.router.addPeer(key)
  }

  /** Flood a query for `words` and collect its hits until `signal` aborts or `limit` files are found. */
  async search (words: string[], limit: number, merger: ResultMerger, signal: AbortSignal, ttl?: number): Promise<void> {
    const done = new AbortController()
    const id = this.router.query(words, ttl)
    this.#collectors.set(id, hit => {
      for (const entry of hit.entries) merger.add(entry, hit.peer)
      if (merger.size >= limit) done.abort()
    })
    try {
      await aborted(AbortSignal.any([signal, done.signal]))
    } finally {
      this.#collectors.delete(id)
      this.router.end(id)
    }
  }

  #send (peer: PeerKey, frame: FloodCoreFrame): void {
    const peerId = this.#peerIds.get(peer)
    if (peerId == null || !this.#running) return
    const queued = this.#queued.get(peer) ?? 0
    if (queued >= this.#maxQueued) {
      this.#ctx.log('dropped a flood %s to slow peer %s', frame.type, peer)
      return
    }
    this.#queued.set(peer, queued + 1)
    const bytes = encodeFloodFrame({ ...frame, id: fromHex(frame.id, 'base16') })
    void this.#write(peerId, bytes).finally(() => {
      const left = (this.#queued.get(peer) ?? 1) - 1
      if (left <= 0) this.#queued.delete(peer)
      else this.#queued.set(peer, left)
    })
  }

  async #write (peerId: PeerId, bytes: Uint8Array): Promise<void> {
    let stream: Stream | undefined
    try {
      const signal = AbortSignal.any([this.#ctx.signal, AbortSignal.timeout(SEND_TIMEOUT_MS)])
      // neighbours only: a peer reached only through a relay is skipped, never dialled again
      stream = await streamToConnected(this.#ctx.connectionManager, peerId, FLOOD_PROTOCOL, { signal })
      await lpStream(stream).write(bytes, { signal })
      await stream.close({ signal })
    } catch (err: any) {
      // fire and forget: a failed send looks like a lost frame
      this.#ctx.log('flood send to %p failed: %s', peerId, err?.message ?? err)
      stream?.abort(err)
    }
  }

  async #onStream (stream: Stream, connection: Connection): Promise<void> {
    await serveSearch(this.#ctx, this.#running, stream, connection, {
      what: 'a flood frame',
      rate: this.#rate,
      // a flood costs one report a second, not one per frame
      rateReportEveryMs: 1000,
      maxBytes: this.#ctx.limits.maxFrameBytes,
      timeoutMs: READ_TIMEOUT_MS,
      decode: bytes => this.#decode(bytes),
      answer: (frame, peer) => {
        // a peer that speaks to us on the protocol is a neighbour, even before identify says so
        if (!this.#peerIds.has(peer.toString())) this.#addPeer(peer)
        this.router.receive(peer.toString(), frame)
        return undefined
      }
    })
  }

  #decode (bytes: Parameters<typeof decodeFloodFrame>[0]): Decoded<FloodCoreFrame> {
    const decoded = decodeFloodFrame(bytes, this.#ctx.limits)
    if (!decoded.ok) return decoded
    const wire = decoded.frame
    if (wire.type === 'query') return { ok: true, frame: { type: 'query', id: toHex(wire.id, 'base16'), words: wire.words, ttl: wire.ttl, hops: wire.hops } }
    if (!isPeerId(wire.peer)) return { ok: false, infraction: 'malformed-frame', detail: 'a hit naming an invalid peer id' }
    return { ok: true, frame: { type: 'hit', id: toHex(wire.id, 'base16'), peer: wire.peer, entries: wire.entries } }
  }
}
