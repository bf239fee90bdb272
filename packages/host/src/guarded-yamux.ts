import { yamux, type YamuxMuxerInit } from '@chainsafe/libp2p-yamux'
import type { MultiaddrConnection, Stream, StreamMuxer, StreamMuxerFactory } from '@libp2p/interface'
import { fixStreamIterator } from './stream-iterator.ts'

/** Yamux frame type of a data frame (header byte 1); the others are control frames. */
const DATA_FRAME = 0

/**
 * How long a Yamux keep-alive ping may go unanswered before its connection is aborted. Yamux
 * pings every connection from both ends every 30 s (`keepAliveInterval`), one frame each way, but
 * only logs a pong that never comes; with this timeout a dead connection is found within 90 s
 * at either end, without the stream per ping that libp2p's connection monitor opens. A minute,
 * not less: a pong leaves behind whatever the peer has already queued on that connection, and on
 * a slow uplink under a full Yamux window (up to 16 MiB) that can take tens of seconds.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 60_000

/** Options of {@link guardedYamux}: Yamux's own, and how long a keep-alive ping may wait for its pong. */
export interface GuardedYamuxInit extends YamuxMuxerInit {
  /** Abort a connection whose keep-alive ping is unanswered this long (ms). @default {@link KEEP_ALIVE_TIMEOUT_MS} */
  keepAliveTimeoutMs?: number
}

/**
 * `@chainsafe/libp2p-yamux` with three guards. First, its streams' async iterator ends when the remote
 * closed before a handler began reading (`stream-iterator.ts`). Second, yamux 8.0.1 sends control frames from places no
 * caller awaits — a new stream's opening window update from a bare `queueMicrotask`, pings from
 * timers. When the connection began closing in between, the write throws `StreamStateError`
 * there, and Node exits with an uncaught exception: a service that opens a stream just as a peer
 * goes away (gossip reopening its stream, say) took the whole node down. Here a control frame
 * that cannot be written because the connection is closing is dropped — the connection is going,
 * and its close ends every stream on it. Data frames still throw to their writer. Third, a
 * keep-alive ping unanswered within `keepAliveTimeoutMs` aborts the connection (yamux itself waits
 * for the pong forever, and pings no more).
 */
export function guardedYamux (init: GuardedYamuxInit = {}): () => StreamMuxerFactory {
  const { keepAliveTimeoutMs = KEEP_ALIVE_TIMEOUT_MS, ...yamuxInit } = init
  const create = yamux(yamuxInit)
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
      // yamux's keep-alive task calls this.ping(): bounded here, it finds a dead connection
      const pinging = muxer as StreamMuxer & { ping?: (options?: { signal?: AbortSignal }) => Promise<number> }
      const ping = pinging.ping?.bind(muxer)
      if (ping != null) {
        pinging.ping = async options => {
          const timer = setTimeout(() => {
            if (maConn.status === 'open') maConn.abort(new Error(`no answer to a keep-alive ping within ${keepAliveTimeoutMs} ms`))
          }, keepAliveTimeoutMs)
          timer.unref?.()
          try {
            return await ping(options)
          } finally {
            clearTimeout(timer)
          }
        }
      }
      return muxer
    }
    return factory
  }
}
