import { FrameDecoder } from '../length-prefix.ts'
import type { Decoded, InfractionName } from '@hearsay/interface'
import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** How {@link readFrames} reads one long-lived stream of length-prefixed frames. */
export interface ReadFramesOptions<Frame> {
  /** The largest frame accepted; a longer length prefix is an `oversized-frame`. */
  maxBytes: number
  /** Decode one frame's bytes (without its prefix); never throws, a bad frame names its infraction. */
  decode(bytes: Uint8ArrayList): Decoded<Frame>
  /** Handle one decoded frame. A throw is our bug, not the peer's: it goes to `onError`. */
  onFrame(frame: Frame): void
  /** The peer broke the protocol (an oversized, malformed or truncated frame); the stream is aborted right after. */
  report(infraction: InfractionName, detail: string): void
  /** `onFrame` threw (default: ignored; the next frame is still read unless `stopped()`). */
  onError?(err: unknown): void
  /** The peer closed its side between frames. */
  onEnd?(): void
  /** True once the reader should ignore the rest (a closed session); checked before each frame. */
  stopped?(): boolean
}

/**
 * Read length-prefixed frames from `stream` as they arrive, for protocols that keep one stream
 * open (gossip, pieces). Every length is bounded before anything is buffered; a bad frame is
 * reported and aborts the stream, as does a stream that ends inside a frame. Returns at once.
 */
export function readFrames<Frame> (stream: Stream, options: ReadFramesOptions<Frame>): void {
  const { maxBytes } = options
  const decoder = new FrameDecoder(maxBytes)
  const stopped = (): boolean => options.stopped?.() === true || stream.status !== 'open'
  const fail = (infraction: InfractionName, detail: string): void => {
    options.report(infraction, detail)
    stream.abort(new Error(detail))
  }
  stream.addEventListener('message', event => {
    if (stopped()) return
    let frames: Uint8ArrayList[]
    try {
      frames = [...decoder.decode(event.data)]
    } catch (err: any) {
      // only a length prefix throws: the frame is never buffered
      fail('oversized-frame', `frame over ${maxBytes} bytes: ${err?.message ?? err}`)
      return
    }
    for (const bytes of frames) {
      if (stopped()) return
      const decoded = options.decode(bytes)
      if (!decoded.ok) {
        fail(decoded.infraction, decoded.detail)
        return
      }
      try {
        options.onFrame(decoded.frame)
      } catch (err) {
        options.onError?.(err)
      }
    }
  })
  stream.addEventListener('remoteCloseWrite', () => {
    if (options.stopped?.() === true) return
    if (decoder.buffered > 0) {
      // honest peers write whole frames: one cut short by the peer's own close is no accident
      fail('malformed-frame', `the stream ended inside a frame (${decoder.buffered} bytes of it)`)
      return
    }
    options.onEnd?.()
  })
}
