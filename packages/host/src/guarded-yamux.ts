import { yamux, type YamuxMuxerInit } from '@chainsafe/libp2p-yamux'
import type { Connection, MultiaddrConnection, Stream, StreamMuxer, StreamMuxerFactory } from '@libp2p/interface'
import { fixStreamIterator } from './stream-iterator.ts'

/** Yamux frame type of a data frame (header byte 1); the others are control frames. */
const DATA_FRAME = 0

/**
 * How long a connection may stay silent after a keep-alive ping before it is aborted (a pong or
 * any other frame ends the wait). Yamux only logs a pong that never comes; with this timeout a
 * dead connection is found within `keepAliveInterval` × {@link DIALLER_QUIET_FACTOR} + 60 s of
 * its last frame at either end, without the stream per ping that libp2p's connection monitor
 * opens. A minute, not less: a pong leaves behind whatever the peer has already queued on that
 * connection, and on a slow uplink under a full Yamux window (up to 16 MiB) that can take tens of
 * seconds.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 60_000

/** Yamux's own bound on a connection's open inbound streams (`maxInboundStreams`), kept as the default. */
const YAMUX_MAX_INBOUND_STREAMS = 1000

/**
 * How long a line may be quiet before an end pings it (`keepAliveInterval`): Bitcoin Core's ping
 * interval, 2 minutes, where Yamux's own default is 30 s. The ping proves the peer alive and
 * measures its round trip; at 30 s it was most of what an idle host does (at 1000 hosts holding
 * 8000 connections, 267 ping rounds a second, each four Noise messages). TCP NAT mappings live
 * 5 minutes or more (RFC 5382 asks for 2 h), so a quiet line still refreshes its mapping in time;
 * QUIC has no Yamux and keeps its own. A dead connection is found within about 3.2 minutes of
 * its last frame (this × {@link DIALLER_QUIET_FACTOR}, plus {@link KEEP_ALIVE_TIMEOUT_MS}); Bitcoin
 * Core waits 20 minutes for a pong.
 */
export const KEEP_ALIVE_INTERVAL_MS = 2 * 60_000

/**
 * The dialling end of a connection pings only once the line has been quiet this many keep-alive
 * intervals (the listening end: one). Both ends pinging on the same quiet interval would tie (each
 * heard the other's last frame within a round trip); with this margin the listener's ping arrives
 * first and the dialler's timer finds the line fresh, so one ping round serves both ends. The
 * listener is the one that pings because its round-trip time is the one used: a node protects
 * its fastest inbound peers from eviction (`@hearsay/discovery`), as Bitcoin Core does.
 */
export const DIALLER_QUIET_FACTOR = 1.1

/**
 * A line that carries traffic is not pinged to prove the peer alive, but it is pinged once this
 * long has passed since its last ping, so that its round-trip time (`connection.rtt`, through
 * {@link rttFromKeepAlive}) is never older than that: libp2p's connection monitor, which this
 * replaces, refreshed it every 5 minutes. One ping frame and its pong per connection per interval.
 */
export const RTT_MAX_AGE_MS = 5 * 60_000

/** Options of {@link guardedYamux}: Yamux's own, and how long a connection may stay silent after a keep-alive ping. */
export interface GuardedYamuxInit extends YamuxMuxerInit {
  /** Ping a line once nothing has been received on it this long (ms; the dialling end: × {@link DIALLER_QUIET_FACTOR}). @default {@link KEEP_ALIVE_INTERVAL_MS} */
  keepAliveInterval?: number
  /** Abort a connection on which nothing arrives this long (ms) after a keep-alive ping. @default {@link KEEP_ALIVE_TIMEOUT_MS} */
  keepAliveTimeoutMs?: number
}

/**
 * `@chainsafe/libp2p-yamux` with four guards and a leaner keep-alive. First, its streams' async
 * iterator ends when the remote closed before a handler began reading (`stream-iterator.ts`).
 * Second, yamux 8.0.1 sends control frames from places no caller awaits — a new stream's opening
 * window update from a bare `queueMicrotask`, pings from timers. When the connection began
 * closing in between, the write throws `StreamStateError` there, and Node exits with an uncaught
 * exception: a service that opens a stream just as a peer goes away (gossip reopening its
 * stream, say) took the whole node down. Here a control frame that cannot be written because the
 * connection is closing is dropped — the connection is going, and its close ends every stream on
 * it. Data frames still throw to their writer. Third, a muxer that ends (it aborted itself, or
 * the other end's sent GoAway) ends its connection too: otherwise the connection stays open with
 * no muxer, every stream opened on it fails, and nothing ever closes it. Fourth, a connection on
 * which nothing arrives within `keepAliveTimeoutMs` of a keep-alive ping is aborted (yamux itself
 * waits for the pong forever, and pings no more). The first three guards go on Yamux's muxer
 * class, once, so they hold for every Yamux muxer of the process, plain `yamux()` ones included.
 * And `maxEarlyStreams` defaults to `maxInboundStreams` (1000), not 10: streams that arrive before
 * libp2p listens on a new connection — over `coalescedTcp()`, every stream a dialler opens at once
 * — are held like any other inbound stream instead of aborting the connection at the 11th.
 *
 * The keep-alive pings only a quiet line. Yamux pings every connection from both ends every
 * `keepAliveInterval` whatever it carries: four frames a round, through Noise, each waking both
 * processes — at steady state the whole idle cost of bare libp2p, and the part of an idle host's
 * that grows with its connections. Any frame received proves the peer alive as well as a pong
 * does, so an end pings only once it has heard nothing for an interval (the dialling end for
 * {@link DIALLER_QUIET_FACTOR} intervals): between two hearsay hosts one ping round per interval
 * serves both ends, a busy connection needs none, and a peer that never pings (rust-yamux's
 * default) is still pinged by us. Each end also pings once as the connection opens, as Yamux
 * does, so that both know its round-trip time from the start, and a busy line once every
 * {@link RTT_MAX_AGE_MS}, so that it stays fresh; {@link rttFromKeepAlive} makes it the
 * connection's `rtt`.
 */
export function guardedYamux (init: GuardedYamuxInit = {}): () => StreamMuxerFactory {
  const { keepAliveTimeoutMs = KEEP_ALIVE_TIMEOUT_MS, enableKeepAlive = true, keepAliveInterval = KEEP_ALIVE_INTERVAL_MS, ...yamuxInit } = init
  if (!(keepAliveTimeoutMs > 0)) throw new RangeError(`keepAliveTimeoutMs must be a positive number of ms, not ${keepAliveTimeoutMs}`)
  // Streams a dialler opens on a new connection reach the listening end before libp2p listens
  // for them whenever their frames come in the same read as the handshake's last message (with
  // coalescedTcp, one writev: always). @libp2p/utils holds 10 such streams and aborts the muxer
  // at the 11th, with every stream on it, so 10 requests sent at once to a peer not yet connected
  // all failed. An early stream costs what any unread inbound stream costs, so it gets the same
  // bound: past maxInboundStreams Yamux resets each new stream alone, and the abort never fires.
  const maxEarlyStreams = yamuxInit.maxEarlyStreams ?? yamuxInit.maxInboundStreams ?? YAMUX_MAX_INBOUND_STREAMS
  // yamux's own keep-alive off (keepQuietLineAlive below replaces it); the interval still goes to
  // yamux, whose config check refuses one that is not positive
  const create = yamux({ ...yamuxInit, maxEarlyStreams, keepAliveInterval, enableKeepAlive: false })
  return () => {
    const factory: StreamMuxerFactory = create()
    const createStreamMuxer = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = (maConn: MultiaddrConnection): StreamMuxer => {
      const muxer = createStreamMuxer(maConn)
      guardMuxerClass(muxer)
      if (enableKeepAlive) {
        const quietMs = maConn.direction === 'outbound' ? keepAliveInterval * DIALLER_QUIET_FACTOR : keepAliveInterval
        keepQuietLineAlive(muxer, maConn, quietMs, keepAliveTimeoutMs)
      }
      return muxer
    }
    return factory
  }
}

/** The methods {@link guardMuxerClass} wraps, as a yamux muxer has them. */
interface GuardedMethods {
  onRemoteStream: (this: GuardedMethods, stream: Stream) => void
  createStream: (this: GuardedMethods, options?: unknown) => Promise<Stream>
  send: (this: GuardedMethods, data: Uint8Array | { get: (index: number) => number }) => boolean
  abort: (this: GuardedMethods, err: Error) => void
  handleGoAway: (this: GuardedMethods, reason: number) => void
  /** the connection the muxer runs on (AbstractStreamMuxer's) */
  maConn?: MultiaddrConnection
}

/** Muxer classes (their prototypes) that carry the guards. */
const guardedClasses = new WeakSet<object>()

/**
 * Put the stream-iterator and control-frame guards on `muxer`'s class, once: every new stream
 * (inbound ones arrive through `onRemoteStream`, outbound ones through `createStream`) gets the
 * iterator fix, and a control frame that cannot be written because the connection is closing is
 * dropped. On the class, not each muxer: three bound wrappers per connection end were 11 MiB
 * over 1000 hosts' 16 000 ends. So every muxer of this yamux copy in the process has them, as
 * every stream class has the iterator fix once one stream of it was seen (./stream-iterator.ts).
 */
function guardMuxerClass (muxer: StreamMuxer): void {
  const proto: (GuardedMethods & object) | null = Object.getPrototypeOf(muxer)
  if (proto == null || proto === Object.prototype || guardedClasses.has(proto)) return
  guardedClasses.add(proto)
  const { onRemoteStream, createStream, send, abort, handleGoAway } = proto
  const define = (name: keyof GuardedMethods, value: GuardedMethods[typeof name]): void => {
    Object.defineProperty(proto, name, { value, writable: true, configurable: true })
  }
  if (typeof onRemoteStream === 'function') {
    define('onRemoteStream', function (this: GuardedMethods, stream: Stream): void {
      fixStreamIterator(stream)
      onRemoteStream.call(this, stream)
    })
  }
  if (typeof createStream === 'function') {
    define('createStream', async function (this: GuardedMethods, options?: unknown): Promise<Stream> {
      const stream = await createStream.call(this, options)
      fixStreamIterator(stream)
      return stream
    })
  }
  // a muxer that ends while its connection stays open leaves a connection that carries no stream
  // and never closes: libp2p keeps it, services pick it and fail on it, discovery counts it as a
  // peer, and the keep-alive stops pinging it. The muxer aborts itself (more than maxEarlyStreams
  // remote streams before libp2p listens for them: at 50 testnet hosts running lookups, 96
  // connections in 3 lookup rounds) without aborting the connection, and the other end's muxer,
  // told by GoAway, closes without closing it either: each end closes its connection with its muxer
  if (typeof abort === 'function') {
    define('abort', function (this: GuardedMethods, err: Error): void {
      abort.call(this, err)
      if (this.maConn?.status === 'open') this.maConn.abort(err)
    })
  }
  if (typeof handleGoAway === 'function') {
    define('handleGoAway', function (this: GuardedMethods, reason: number): void {
      handleGoAway.call(this, reason)
      const maConn = this.maConn
      if (maConn?.status === 'open') maConn.close().catch((err: Error) => { maConn.abort(err) })
    })
  }
  // every frame yamux writes goes through the muxer's send (AbstractStreamMuxer)
  if (typeof send === 'function') {
    define('send', function (this: GuardedMethods, data: Uint8Array | { get: (index: number) => number }): boolean {
      try {
        return send.call(this, data)
      } catch (err: any) {
        const type = data instanceof Uint8Array ? data[1] : data.get(1)
        if (err?.name === 'StreamStateError' && type !== DATA_FRAME) return true
        throw err
      }
    })
  }
}

/** What {@link keepQuietLineAlive} uses of a yamux muxer (its own methods, reached from outside). */
interface PingingMuxer {
  status: StreamMuxer['status']
  onData?: (data: unknown) => void
  ping?: () => Promise<number>
}

/**
 * Ping `muxer` whenever nothing has been received on it for `quietMs`, and abort `maConn` when,
 * after a ping, nothing at all is received for `timeoutMs` (a pong may wait behind data the peer
 * queued before it: data arriving proves the peer alive as well). One timer per connection,
 * re-armed for the moment the line would have been quiet for `quietMs`; every chunk received
 * only records the time.
 */
function keepQuietLineAlive (muxer: StreamMuxer, maConn: MultiaddrConnection, quietMs: number, timeoutMs: number): void {
  const internals = muxer as unknown as PingingMuxer
  const onData = internals.onData?.bind(muxer)
  const ping = internals.ping?.bind(muxer)
  if (onData == null || ping == null) return
  // the connection's handshake was just heard
  let heard = performance.now()
  internals.onData = data => {
    heard = performance.now()
    onData(data)
  }
  // a ping in flight when the connection ends is never settled by yamux: it is left to go with the
  // muxer, which alone holds it (an AbortController per ping to end it was about 1 KB of garbage
  // a ping, and thousands of connections ping every interval)
  let ended = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let deadline: ReturnType<typeof setTimeout> | undefined
  const arm = (ms: number): void => {
    timer = setTimeout(check, ms)
    timer.unref?.()
  }
  const armDeadline = (ms: number): void => {
    deadline = setTimeout(expire, ms)
    deadline.unref?.()
  }
  const expire = (): void => {
    deadline = undefined
    if (maConn.status !== 'open') return
    const silent = performance.now() - heard
    if (silent < timeoutMs) armDeadline(timeoutMs - silent)
    else maConn.abort(new Error(`no answer to a keep-alive ping within ${timeoutMs} ms`))
  }
  // when the last ping was sent: never yet, so the first check pings as the connection opens
  let pinged = -Infinity
  const check = (): void => {
    timer = undefined
    if (internals.status !== 'open' || maConn.status !== 'open') return
    const now = performance.now()
    const quiet = now - heard
    const age = now - pinged
    if (quiet < quietMs && age < RTT_MAX_AGE_MS) {
      arm(Math.min(quietMs - quiet, RTT_MAX_AGE_MS - age))
      return
    }
    pinged = now
    armDeadline(timeoutMs)
    ping().then(settled, settled)
  }
  const settled = (): void => {
    clearTimeout(deadline)
    // a refused ping means the muxer is closing: check() then stops
    if (!ended) arm(quietMs)
  }
  // the first ping measures the round trip as the connection opens; from a timer, so that the
  // upgrade that creates the muxer finishes first (yamux's own keep-alive pings from a microtask)
  arm(0)
  // no timer, nor the ping, outlives the connection
  maConn.addEventListener('close', () => {
    ended = true
    clearTimeout(timer)
    clearTimeout(deadline)
  }, { once: true })
}

/** What {@link rttFromKeepAlive} reads of a connection: libp2p's `Connection` keeps its muxer. */
interface MuxedConnection {
  muxer?: { rtt?: unknown }
}

/** Values assigned to `rtt` (by libp2p's connection monitor, where a user turned it on), by connection. */
const assignedRtt = new WeakMap<object, number | undefined>()
/** Connection classes whose prototype has the `rtt` accessor. */
const withRtt = new WeakSet<object>()

/** The `rtt` accessor {@link rttFromKeepAlive} puts on a connection class. */
const rttAccessor: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get (this: MuxedConnection): number | undefined {
    const assigned = assignedRtt.get(this)
    if (assigned != null) return assigned
    const rtt = this.muxer?.rtt
    // yamux keeps -1 until its first pong; other muxers (QUIC's) have none
    return typeof rtt === 'number' && rtt >= 0 ? rtt : undefined
  },
  set (this: MuxedConnection, value: number | undefined): void { assignedRtt.set(this, value) }
}

/**
 * Make `connection.rtt` the round-trip time (ms) of the last Yamux ping answered on it, the
 * keep-alive's of {@link guardedYamux} included, so that nothing needs a ping stream of its own to
 * know it (libp2p's connection monitor opened one per connection end, from both ends, every
 * interval). A value assigned to `rtt` (by the connection monitor, where a user turned it on)
 * takes precedence; a connection without a Yamux muxer has only that.
 *
 * The accessor goes on the connection's class, once, not on each connection: an accessor defined
 * on an instance turned each of libp2p's connections into a slow, dictionary-mode object of
 * about 1 KB (17 MiB over 1000 hosts' 16 000 connection ends). So every connection of the same
 * libp2p has it from then on (libp2p 3's `Connection` declares no `rtt` of its own). Plain objects
 * (no class of their own) are left alone.
 */
export function rttFromKeepAlive (connection: Connection): void {
  const muxer = (connection as MuxedConnection).muxer
  if (typeof muxer?.rtt !== 'number') return
  const proto: object | null = Object.getPrototypeOf(connection)
  if (proto == null || proto === Object.prototype || withRtt.has(proto)) return
  withRtt.add(proto)
  // (an own `rtt`, assigned before, hides the accessor: it is an assigned value, and wins anyway)
  Object.defineProperty(proto, 'rtt', rttAccessor)
}
