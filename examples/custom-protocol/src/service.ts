import { BoundedMap, numberOptions, cryptoRng, pick, scoringOf, systemClock, type CancelTimer, type TimedClock } from '@hearsay/sansio'
import { boundedLpStream, readInfraction, type LengthPrefixed } from '@hearsay/sansio/adapter'
import { TypedEventEmitter, serviceCapabilities } from '@libp2p/interface'
import { PushQueue } from './push-queue.ts'
import { KvError, KvStore } from './store.ts'
import {
  answerDigest, answerWant, checkAnswer, checkExchange, checkVersionsAnswer, planExchange, type VersionsAnswer
} from './sync.ts'
import {
  KV_PROTOCOL, checkDigest, checkEntries, checkVersions, decodeKvFrame, encodeKvFrame, frameKind, wireEntries,
  type FrameKind, type KvFrame
} from './wire.ts'
import type { KvEntry } from './entry.ts'
import type { KvLimits } from './limits.ts'
import type { InfractionName, PeerKey, PeerReporter, Rng } from '@hearsay/interface'
import type {
  AbortOptions, Connection, ComponentLogger, Logger, PeerId, Startable, Stream, StreamHandler,
  StreamHandlerOptions, Topology, TypedEventTarget
} from '@libp2p/interface'

/**
 * What the service needs from the libp2p node, and nothing more: libp2p hands every service
 * its components, and a service names the ones it uses (these are the parts of libp2p's
 * registrar and connection manager it calls). `scoring` is used when the node runs it.
 */
export interface KvComponents {
  peerId: PeerId
  logger: ComponentLogger
  registrar: {
    handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>
    unhandle(protocol: string): Promise<void>
    register(protocol: string, topology: Topology): Promise<string>
    unregister(id: string): void
  }
  connectionManager: {
    getConnections(peer?: PeerId): Connection[]
  }
  scoring?: PeerReporter
}

/** Options of {@link kv}. Every one is optional. */
export interface KvInit {
  /** Sync with one random peer this often; 0 turns periodic sync off. @default 30_000 */
  syncIntervalMs?: number
  /** Give up on a sync or push stream after this long. @default 10_000 */
  streamTimeoutMs?: number
  /** Start a sync with the same peer at most this often, and accept one at most this often. @default 1_000 */
  minSyncGapMs?: number
  /** Most entries waiting to be pushed to one peer; more are left to anti-entropy. @default 10_000 */
  maxQueuedEntriesPerPeer?: number
  /** Protocol limits (see `KV_LIMITS`). Peers must agree on `buckets`. */
  limits?: Partial<KvLimits>
  /** Time and timers. @default the system clock */
  clock?: TimedClock
  /** Randomness for picking sync peers and buckets. @default crypto-seeded */
  rng?: Rng
  /** Where infractions go. @default the node's `scoring` service, if any */
  reporter?: PeerReporter
}

/** The numeric options of {@link KvInit}, all set. */
export type KvNumbers = Required<Pick<KvInit, 'syncIntervalMs' | 'streamTimeoutMs' | 'minSyncGapMs' | 'maxQueuedEntriesPerPeer'>>

/** The defaults of {@link KvInit}'s numbers. */
export const KV_DEFAULTS: Readonly<KvNumbers> = Object.freeze({
  syncIntervalMs: 30_000,
  streamTimeoutMs: 10_000,
  minSyncGapMs: 1_000,
  maxQueuedEntriesPerPeer: 10_000
})

/** A key changed on this node: by a local write, or by an entry from `from`. */
export interface KvChange {
  key: string
  /** The new value, `undefined` if the key was deleted. */
  value: Uint8Array | undefined
  entry: KvEntry
  /** The peer it came from; absent for local writes. */
  from?: PeerId
}

export interface KvEvents {
  change: CustomEvent<KvChange>
}

/** What one sync did. */
export interface SyncResult {
  /** Buckets whose hashes differed (0: the replicas already agreed). */
  buckets: number
  /** Entries we sent that the peer lacked. */
  sent: number
  /** Entries we received that changed our state. */
  received: number
}

/** Counters, for logs and tests. */
export interface KvStats {
  /** Keys holding a value. */
  keys: number
  /** Peers running the protocol, connected now. */
  peers: number
  /** Entries pushed to peers. */
  pushed: number
  /** Entries from peers (pushes and syncs) that changed our state. */
  applied: number
  /** Syncs we started that completed or failed, syncs we served, and syncs under way now. */
  syncs: { started: number, served: number, failed: number, active: number }
  /** Entries waiting to be pushed, or being pushed, to all peers (0: nothing in flight). */
  pending: number
  /** Entries dropped from full push queues (anti-entropy repairs them). */
  dropped: number
  /** Infractions we reported, by name. */
  infractions: Record<string, number>
}

/** The replicated key-value store, as `node.services.kv`. */
export interface Kv extends TypedEventTarget<KvEvents> {
  /** The value of `key` on this replica. */
  get(key: string): Uint8Array | undefined
  /** Write `key` here and push it to every peer. @throws {@link KvError} past the limits */
  put(key: string, value: Uint8Array): KvEntry
  /** Delete `key` here and push the deletion to every peer. */
  delete(key: string): KvEntry
  /** The keys holding a value. */
  keys(): string[]
  /** A hash of the whole replica: equal on two nodes iff they hold the same state. */
  root(): string
  /** Run one anti-entropy sync with `peer`, a connected peer, now. */
  sync(peer: PeerId, options?: AbortOptions): Promise<SyncResult>
  stats(): KvStats
}

interface PeerState {
  id: PeerId
  queue: PushQueue
  flushing: boolean
  /** Entries of the push frame being sent. */
  inFlight: number
}

/** A sync from our side tolerates being this much early at the peer (timer and network jitter). */
const RATE_TOLERANCE = 0.9
/** Most peers remembered by the sync rate limiters. */
const MAX_RATE_ENTRIES = 10_000

/** The peer broke the protocol; already reported. */
class KvProtocolError extends Error {
  override name = 'KvProtocolError'
}

/**
 * The libp2p adapter: serves `/hearsay-example/kv/1.0.0`, pushes every new entry to connected
 * peers, runs anti-entropy syncs (on a new outbound connection and then periodically), and
 * turns bad input into infractions and closed streams. All decisions are the core's
 * ({@link KvStore} and `sync.ts`); this class only moves frames.
 */
class KvService extends TypedEventEmitter<KvEvents> implements Kv, Startable {
  readonly [Symbol.toStringTag] = '@hearsay/example-custom-protocol'
  readonly [serviceCapabilities]: string[] = ['@hearsay-example/kv']

  readonly store: KvStore
  readonly #components: KvComponents
  readonly #init: KvInit
  readonly #o: KvNumbers
  readonly #limits: KvLimits
  readonly #log: Logger
  readonly #clock: TimedClock
  readonly #rng: Rng
  #reporter: PeerReporter | undefined
  readonly #peers = new Map<PeerKey, PeerState>()
  readonly #lastStarted = new BoundedMap<PeerKey, number>(MAX_RATE_ENTRIES)
  readonly #lastServed = new BoundedMap<PeerKey, number>(MAX_RATE_ENTRIES)
  readonly #timers = new Set<CancelTimer>()
  #topologyId: string | undefined
  #abort = new AbortController()
  #running = false
  readonly #stats = { pushed: 0, applied: 0, dropped: 0, syncs: { started: 0, served: 0, failed: 0, active: 0 }, infractions: {} as Record<string, number> }

  constructor (components: KvComponents, init: KvInit) {
    super()
    this.#components = components
    this.#init = init
    this.#o = checkOptions(init)
    this.#log = components.logger.forComponent('hearsay-example:kv')
    this.#clock = init.clock ?? systemClock
    this.#rng = init.rng ?? cryptoRng()
    this.store = new KvStore({ node: components.peerId.toString(), clock: this.#clock, limits: init.limits })
    this.#limits = { ...this.store.limits }
  }

  async start (): Promise<void> {
    this.#running = true
    this.#abort = new AbortController()
    this.#reporter = this.#init.reporter ?? scoringOf(this.#components)
    await this.#components.registrar.handle(KV_PROTOCOL, (stream, connection) => { this.#onStream(stream, connection) }, {
      maxInboundStreams: this.#limits.maxInboundStreamsPerPeer,
      maxOutboundStreams: this.#limits.maxInboundStreamsPerPeer
    })
    // the registrar tells us of peers once identify shows they speak the protocol
    this.#topologyId = await this.#components.registrar.register(KV_PROTOCOL, {
      onConnect: (peerId, connection) => { this.#onConnect(peerId, connection) },
      onDisconnect: peerId => { this.#peers.delete(peerId.toString()) }
    })
    if (this.#o.syncIntervalMs > 0) this.#every(this.#o.syncIntervalMs, async () => { await this.#syncRandomPeer() })
  }

  async stop (): Promise<void> {
    this.#running = false
    this.#abort.abort()
    for (const cancel of this.#timers) cancel()
    this.#timers.clear()
    if (this.#topologyId != null) this.#components.registrar.unregister(this.#topologyId)
    await this.#components.registrar.unhandle(KV_PROTOCOL).catch(() => {})
    this.#peers.clear()
  }

  get (key: string): Uint8Array | undefined {
    return this.store.get(key)
  }

  put (key: string, value: Uint8Array): KvEntry {
    return this.#local(this.store.set(key, value))
  }

  delete (key: string): KvEntry {
    return this.#local(this.store.delete(key))
  }

  keys (): string[] {
    return [...this.store.entries()].filter(e => !e.deleted).map(e => e.key)
  }

  root (): string {
    return this.store.root()
  }

  stats (): KvStats {
    return {
      keys: this.store.size,
      peers: this.#peers.size,
      pushed: this.#stats.pushed,
      applied: this.#stats.applied,
      syncs: { ...this.#stats.syncs },
      pending: [...this.#peers.values()].reduce((sum, p) => sum + p.queue.size + p.inFlight, 0),
      dropped: this.#stats.dropped,
      infractions: { ...this.#stats.infractions }
    }
  }

  async sync (peer: PeerId, options: AbortOptions = {}): Promise<SyncResult> {
    if (!this.#running) throw new KvError('the kv service is not running')
    const key = peer.toString()
    const signal = AbortSignal.any([this.#abort.signal, ...(options.signal != null ? [options.signal] : [])])
    // never start syncs with one peer faster than it accepts them
    const wait = (this.#lastStarted.get(key) ?? -Infinity) + this.#o.minSyncGapMs - this.#clock.now()
    if (wait > 0) await this.#sleep(wait, signal)
    this.#lastStarted.set(key, this.#clock.now())
    this.#stats.syncs.active++
    try {
      const result = await this.#syncWith(peer, signal)
      this.#stats.syncs.started++
      return result
    } catch (err) {
      this.#stats.syncs.failed++
      throw err
    } finally {
      this.#stats.syncs.active--
    }
  }

  // ---- local writes and pushes ------------------------------------------------------------

  #local (entry: KvEntry): KvEntry {
    this.#changed(entry, undefined)
    this.#pushToPeers([entry], undefined)
    return entry
  }

  #changed (entry: KvEntry, from: PeerId | undefined): void {
    const detail: KvChange = { key: entry.key, value: entry.deleted ? undefined : entry.value, entry }
    if (from != null) detail.from = from
    this.safeDispatchEvent('change', { detail })
  }

  /** Merge checked entries from `from`; pass on the ones that were new to us. */
  #apply (entries: readonly KvEntry[], from: PeerId): number {
    const applied: KvEntry[] = []
    for (const entry of entries) {
      if (this.store.merge(entry)) {
        applied.push(entry)
        this.#changed(entry, from)
      }
    }
    if (applied.length > 0) {
      this.#stats.applied += applied.length
      this.#reporter?.credit(from, 'kv-new-entries')
      // flooding with a stop rule: only what changed our state moves on, so every entry
      // crosses each link at most about once per direction
      this.#pushToPeers(applied, from.toString())
    }
    return applied.length
  }

  #pushToPeers (entries: readonly KvEntry[], except: PeerKey | undefined): void {
    for (const [key, peer] of this.#peers) {
      if (key === except) continue
      for (const entry of entries) if (!peer.queue.add(entry)) this.#stats.dropped++
      void this.#flush(peer)
    }
  }

  /** Send what waits for `peer`, one frame per stream, until its queue is empty. */
  async #flush (peer: PeerState): Promise<void> {
    if (peer.flushing) return
    peer.flushing = true
    try {
      while (this.#running && peer.queue.size > 0 && this.#peers.get(peer.id.toString()) === peer) {
        const batch = peer.queue.take(this.#limits)
        peer.inFlight = batch.length
        const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.streamTimeoutMs)])
        const stream = await this.#openStream(peer.id, signal)
        try {
          const lp = boundedLpStream(stream, this.#limits.maxFrameBytes)
          await lp.write(encodeKvFrame({ push: { entries: wireEntries(batch) } }), { signal })
          await stream.close({ signal })
          this.#stats.pushed += batch.length
        } catch (err: any) {
          stream.abort(err)
          throw err
        }
      }
    } catch (err) {
      // the peer is gone or slow: what did not go out is left to anti-entropy
      this.#log('push to %p failed - %e', peer.id, err)
      peer.queue.clear()
    } finally {
      peer.inFlight = 0
      peer.flushing = false
    }
  }

  // ---- peers and periodic sync ------------------------------------------------------------

  #onConnect (peerId: PeerId, connection: Connection): void {
    if (!this.#running) return
    const key = peerId.toString()
    if (!this.#peers.has(key)) {
      this.#peers.set(key, { id: peerId, queue: new PushQueue(this.#o.maxQueuedEntriesPerPeer), flushing: false, inFlight: 0 })
    }
    // the dialling side catches up at once; one sync repairs both replicas
    if (connection.direction === 'outbound') {
      this.sync(peerId).catch(err => { this.#log('sync with %p on connect failed - %e', peerId, err) })
    }
  }

  async #syncRandomPeer (): Promise<void> {
    const peer = pick(this.#rng, [...this.#peers.values()])
    if (peer == null) return
    await this.sync(peer.id).catch(err => { this.#log('periodic sync with %p failed - %e', peer.id, err) })
  }

  #every (intervalMs: number, task: () => Promise<void>): void {
    const run = (): void => {
      if (!this.#running) return
      const cancel = this.#clock.setTimeout(() => {
        this.#timers.delete(cancel)
        task().catch(err => { this.#log.error('periodic task failed - %e', err) }).finally(run)
      }, intervalMs)
      this.#timers.add(cancel)
    }
    run()
  }

  async #sleep (ms: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        cancel()
        this.#timers.delete(cancel)
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
      }
      const cancel = this.#clock.setTimeout(() => {
        this.#timers.delete(cancel)
        signal.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      this.#timers.add(cancel)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  // ---- the protocol -----------------------------------------------------------------------

  /** Serve an inbound stream: a push, or the responder's side of a sync. Never throws. */
  #onStream (stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.streamTimeoutMs)])
    const lp = boundedLpStream(stream, this.#limits.maxFrameBytes)
    this.#serve(lp, stream, peer, signal).catch((err: any) => {
      if (err?.name !== 'KvProtocolError') this.#log('stream from %p ended - %e', peer, err)
      stream.abort(err)
    })
  }

  async #serve (lp: LengthPrefixed, stream: Stream, peer: PeerId, signal: AbortSignal): Promise<void> {
    const first = await this.#read(lp, peer, signal)
    if (first.push != null) {
      const entries = this.#checked(peer, checkEntries(first.push.entries, this.#clock.now(), this.#limits))
      this.#apply(entries, peer)
      await stream.close({ signal })
      return
    }
    if (first.digest == null) this.#fail(peer, 'unexpected-frame', `a stream must open with a push or a digest, not ${frameKind(first)}`)
    const digest = this.#checked(peer, checkDigest(first.digest.buckets, this.#limits))
    this.#rateLimit(peer)

    const answer: VersionsAnswer = answerDigest(this.store, digest, this.#rng)
    await lp.write(encodeKvFrame({ versions: answer }), { signal })
    if (answer.buckets.length > 0) {
      const exchange = this.#expect(await this.#read(lp, peer, signal), 'exchange', peer)
      const entries = this.#checked(peer, checkEntries(exchange.entries, this.#clock.now(), this.#limits))
      const problem = checkExchange(this.store, answer, { entries, want: exchange.want })
      if (problem != null) this.#fail(peer, 'invalid-message', problem)
      this.#apply(entries, peer)
      await lp.write(encodeKvFrame({ entries: { entries: wireEntries(answerWant(this.store, exchange.want)) } }), { signal })
    }
    this.#stats.syncs.served++
    await stream.close({ signal })
  }

  /** The initiator's side of a sync. Throws (after reporting) if the peer breaks the protocol. */
  async #syncWith (peer: PeerId, outer: AbortSignal): Promise<SyncResult> {
    const signal = AbortSignal.any([outer, AbortSignal.timeout(this.#o.streamTimeoutMs)])
    const stream = await this.#openStream(peer, signal)
    try {
      const lp = boundedLpStream(stream, this.#limits.maxFrameBytes)
      await lp.write(encodeKvFrame({ digest: { buckets: this.store.digest() } }), { signal })
      const frame = this.#expect(await this.#read(lp, peer, signal), 'versions', peer)
      const versions = this.#checked(peer, checkVersions(frame.versions, this.#clock.now(), this.#limits))
      const answer: VersionsAnswer = { buckets: frame.buckets, versions, truncated: frame.truncated }
      const problem = checkVersionsAnswer(this.store, answer)
      if (problem != null) this.#fail(peer, 'invalid-message', problem)
      if (answer.buckets.length === 0) {
        await stream.close({ signal })
        return { buckets: 0, sent: 0, received: 0 }
      }
      const plan = planExchange(this.store, answer)
      await lp.write(encodeKvFrame({ exchange: { entries: wireEntries(plan.entries), want: plan.want } }), { signal })
      const reply = this.#expect(await this.#read(lp, peer, signal), 'entries', peer)
      const entries = this.#checked(peer, checkEntries(reply.entries, this.#clock.now(), this.#limits))
      const unasked = checkAnswer(plan.want, entries)
      if (unasked != null) this.#fail(peer, 'unrequested-data', unasked)
      await stream.close({ signal })
      const received = this.#apply(entries, peer)
      return { buckets: answer.buckets.length, sent: plan.entries.length, received }
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  /**
   * A new stream over an open connection to `peer`. Pushes and syncs never dial: they are for
   * connected peers, and a connection that is closing cannot carry a new stream.
   */
  async #openStream (peer: PeerId, signal: AbortSignal): Promise<Stream> {
    const connection = this.#components.connectionManager.getConnections(peer).find(c => c.status === 'open')
    if (connection == null) throw new KvError(`not connected to ${peer}`)
    return await connection.newStream(KV_PROTOCOL, { signal })
  }

  /** Read and decode one frame; a bad one is reported and ends the exchange. */
  async #read (lp: LengthPrefixed, peer: PeerId, signal: AbortSignal): Promise<KvFrame> {
    let bytes
    try {
      bytes = await lp.read({ signal })
    } catch (err: any) {
      const infraction = readInfraction(err)
      if (infraction != null) this.#fail(peer, infraction, String(err.message))
      throw err
    }
    const decoded = decodeKvFrame(bytes, this.#limits)
    if (!decoded.ok) this.#fail(peer, decoded.infraction, decoded.detail)
    return decoded.frame
  }

  #expect<K extends FrameKind> (frame: KvFrame, kind: K, peer: PeerId): NonNullable<KvFrame[K]> {
    const part = frame[kind]
    if (part == null) this.#fail(peer, 'unexpected-frame', `expected ${kind}, got ${frameKind(frame)}`)
    return part
  }

  #checked<T> (peer: PeerId, result: { ok: true, value: T } | { ok: false, infraction: InfractionName, detail: string }): T {
    if (!result.ok) this.#fail(peer, result.infraction, result.detail)
    return result.value
  }

  #rateLimit (peer: PeerId): void {
    const key = peer.toString()
    const now = this.#clock.now()
    const last = this.#lastServed.get(key)
    if (last != null && now - last < this.#o.minSyncGapMs * RATE_TOLERANCE) {
      this.#fail(peer, 'rate-limit-exceeded', `a sync again after ${now - last} ms`)
    }
    this.#lastServed.set(key, now)
  }

  /** Report `peer` and end the exchange: the caller's catch aborts the stream. */
  #fail (peer: PeerId, infraction: InfractionName, detail: string): never {
    this.#log('%p: %s - %s', peer, infraction, detail)
    this.#stats.infractions[infraction] = (this.#stats.infractions[infraction] ?? 0) + 1
    this.#reporter?.report(peer, infraction, detail)
    throw new KvProtocolError(`${infraction}: ${detail}`)
  }
}

function checkOptions (init: KvInit): KvNumbers {
  return numberOptions(KV_DEFAULTS, init, { streamTimeoutMs: 1, maxQueuedEntriesPerPeer: 1 })
}

/**
 * A replicated key-value store as a libp2p service on protocol `/hearsay-example/kv/1.0.0`:
 *
 * ```ts
 * const node = await createHost({ services: { kv: kv() } })
 * node.services.kv.put('greeting', new TextEncoder().encode('hello'))
 * ```
 *
 * @throws `OptionError` (of `@hearsay/sansio`) naming an unusable option, at once rather than when the node starts
 */
export function kv (init: KvInit = {}): (components: KvComponents) => Kv {
  checkOptions(init)
  new KvStore({ node: 'check', clock: systemClock, limits: init.limits })
  return (components) => new KvService(components, init)
}
