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

/** Yamux's own keep-alive interval, kept as the default. */
const KEEP_ALIVE_INTERVAL_MS = 30_000

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
  /** Abort a connection on which nothing arrives this long (ms) after a keep-alive ping. @default {@link KEEP_ALIVE_TIMEOUT_MS} */
  keepAliveTimeoutMs?: number
}

/**
 * `@chainsafe/libp2p-yamux` with three guards and a leaner keep-alive. First, its streams' async
 * iterator ends when the remote closed before a handler began reading (`stream-iterator.ts`).
 * Second, yamux 8.0.1 sends control frames from places no caller awaits — a new stream's opening
 * window update from a bare `queueMicrotask`, pings from timers. When the connection began
 * closing in between, the write throws `StreamStateError` there, and Node exits with an uncaught
 * exception: a service that opens a stream just as a peer goes away (gossip reopening its
 * stream, say) took the whole node down. Here a control frame that cannot be written because the
 * connection is closing is dropped — the connection is going, and its close ends every stream on
 * it. Data frames still throw to their writer. Third, a connection on which nothing arrives
 * within `keepAliveTimeoutMs` of a keep-alive ping is aborted (yamux itself waits for the pong
 * forever, and pings no more).
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
  // yamux's own keep-alive off (keepQuietLineAlive below replaces it); the interval still goes to
  // yamux, whose config check refuses one that is not positive
  const create = yamux({ ...yamuxInit, keepAliveInterval, enableKeepAlive: false })
  return () => {
    const factory: StreamMuxerFactory = create()
    const createStreamMuxer = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = (maConn: MultiaddrConnection): StreamMuxer => {
      const muxer = createStreamMuxer(maConn)
      // inbound streams arrive through onRemoteStream, outbound ones through createStream
      const internals = muxer as StreamMuxer & { onRemoteStream?: (stream: Stream) => void }
      const onRemoteStream = internals.onRemoteStream?.bind(muxer)
      if (onRemoteStream != null) {
        internals.onRemoteStream = stream => {
          fixStreamIterator(stream)
          onRemoteStream(stream)
        }
      }
      const createStream = muxer.createStream.bind(muxer)
      muxer.createStream = async options => {
        const stream = await createStream(options)
        fixStreamIterator(stream)
        return stream
      }
      // every frame yamux writes goes through the muxer's send (AbstractStreamMuxer)
      const guarded = muxer as StreamMuxer & { send?: (data: Uint8Array | { get(index: number): number }) => boolean }
      const send = guarded.send?.bind(muxer)
      if (send != null) {
        guarded.send = data => {
          try {
            return send(data)
          } catch (err: any) {
            const type = data instanceof Uint8Array ? data[1] : data.get(1)
            if (err?.name === 'StreamStateError' && type !== DATA_FRAME) return true
            throw err
          }
        }
      }
      if (enableKeepAlive) {
        const quietMs = maConn.direction === 'outbound' ? keepAliveInterval * DIALLER_QUIET_FACTOR : keepAliveInterval
        keepQuietLineAlive(muxer, maConn, quietMs, keepAliveTimeoutMs)
      }
      return muxer
    }
    return factory
  }
}

/** What {@link keepQuietLineAlive} uses of a yamux muxer (its own methods, reached from outside). */
interface PingingMuxer {
  status: StreamMuxer['status']
  onData?: (data: unknown) => void
  ping?: (options?: { signal?: AbortSignal }) => Promise<number>
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
  // a ping in flight ends with the connection (yamux never settles it then); its controller lives
  // as long as the ping, not as the connection (thousands of connections held one each)
  let ended = false
  let pinging: AbortController | undefined
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
    pinging = new AbortController()
    const settled = (): void => {
      clearTimeout(deadline)
      pinging = undefined
      // a refused ping means the muxer is closing: check() then stops
      if (!ended) arm(quietMs)
    }
    ping({ signal: pinging.signal }).then(settled, settled)
  }
  // the first ping measures the round trip as the connection opens; from a timer, so that the
  // upgrade that creates the muxer finishes first (yamux's own keep-alive pings from a microtask)
  arm(0)
  // no timer, nor the ping, outlives the connection
  maConn.addEventListener('close', () => {
    ended = true
    clearTimeout(timer)
    clearTimeout(deadline)
    pinging?.abort()
  }, { once: true })
}

/** What {@link rttFromKeepAlive} reads of a connection: libp2p's `Connection` keeps its muxer. */
interface MuxedConnection {
  muxer?: { rtt?: unknown }
}

/**
 * Make `connection.rtt` the round-trip time (ms) of the last Yamux ping answered on it, the
 * keep-alive's of {@link guardedYamux} included, so that nothing needs a ping stream of its own to
 * know it (libp2p's connection monitor opened one per connection end, from both ends, every
 * interval). A value assigned to `rtt` (by the connection monitor, where a user turned it on)
 * takes precedence. Connections without a Yamux muxer are left alone.
 */
export function rttFromKeepAlive (connection: Connection): void {
  const muxer = (connection as MuxedConnection).muxer
  if (typeof muxer?.rtt !== 'number') return
  let assigned = connection.rtt
  Object.defineProperty(connection, 'rtt', {
    configurable: true,
    enumerable: true,
    get: (): number | undefined => {
      if (assigned != null) return assigned
      // yamux keeps -1 until its first pong
      const rtt = muxer.rtt as number
      return rtt >= 0 ? rtt : undefined
    },
    set: (value: number | undefined): void => { assigned = value }
  })
}
