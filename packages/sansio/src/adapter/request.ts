import { lpStream } from '@libp2p/utils'
import { boundedLength } from '../length-prefix.ts'
import type { PeerRateLimiter } from '../rate-limit.ts'
import type { Decoded, InfractionName } from '@hearsay/interface'
import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A length-prefixed view of a stream, as `lpStream` of `@libp2p/utils` returns it. */
export type LengthPrefixed = ReturnType<typeof lpStream>

/** `lpStream` bounded on every length it reads: prefix, frame and buffer. */
export function boundedLpStream (stream: Stream, maxBytes: number): LengthPrefixed {
  return lpStream(stream, { maxDataLength: maxBytes, maxBufferSize: maxBytes + 16, lengthDecoder: boundedLength(maxBytes) })
}

/** The infraction a failed length-prefixed read stands for, if the peer is to blame (timeouts and resets say nothing). */
export function readInfraction (err: unknown): InfractionName | undefined {
  const name = String((err as any)?.name ?? '')
  if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError' || name === 'StreamBufferError') return 'oversized-frame'
  if (name === 'InvalidMessageLengthError') return 'malformed-frame'
  return undefined
}

/** A peer's frame broke the protocol: thrown by {@link readOne}, and names the infraction. */
export class FrameError extends Error {
  override readonly name = 'FrameError'
  /** What the peer did wrong. */
  readonly infraction: InfractionName

  /**
   * An error naming `infraction`.
   *
   * @param infraction - what the peer did wrong
   * @param detail - the explanation
   */
  constructor (infraction: InfractionName, detail: string) {
    super(detail)
    this.infraction = infraction
  }
}

/** What both sides of a one-shot exchange need. */
export interface ExchangeOptions<Frame> {
  /** The largest frame read; a longer one is an `oversized-frame`. */
  maxBytes: number
  /** Ends the exchange (a timeout, the service stopping). */
  signal: AbortSignal
  /** Decode the peer's frame; never throws, a bad frame names its infraction. */
  decode(bytes: Uint8ArrayList): Decoded<Frame>
  /** Report the peer on the other end. `PeerReporter.report` never throws, so neither may this. */
  report(infraction: InfractionName, detail: string): void
}

/**
 * The client side of a request/response protocol: open a stream, write one frame, read one
 * answer, close. A bad answer (oversized, unreadable, undecodable) is reported, aborts the
 * stream and resolves `undefined`; any other failure aborts the stream and throws as it is.
 *
 * @param open - opens the stream (inside the abort-on-failure guard)
 * @param request - the encoded request
 * @returns the decoded answer, or `undefined` for a bad one
 */
export async function requestOnce<Response> (open: () => Promise<Stream>, request: Uint8Array, options: ExchangeOptions<Response>): Promise<Response | undefined> {
  let stream: Stream | undefined
  try {
    stream = await open()
    const lp = boundedLpStream(stream, options.maxBytes)
    await lp.write(request, { signal: options.signal })
    let bytes: Uint8ArrayList
    try {
      bytes = await lp.read({ signal: options.signal })
    } catch (err: any) {
      const infraction = readInfraction(err)
      if (infraction != null) throw new FrameError(infraction, `answer over ${options.maxBytes} bytes or unreadable: ${err?.message ?? err}`)
      throw err
    }
    const decoded = options.decode(bytes)
    if (!decoded.ok) throw new FrameError(decoded.infraction, decoded.detail)
    await stream.close({ signal: options.signal }).catch(() => {})
    return decoded.frame
  } catch (err: any) {
    stream?.abort(err)
    if (!(err instanceof FrameError)) throw err
    options.report(err.infraction, err.message)
    return undefined
  }
}

/**
 * Read one length-prefixed frame of at most `maxBytes`; a bad length, or a stream the peer
 * closed before one whole frame (honest peers write a request in one go), throws a
 * {@link FrameError}. Returns the frame and the length-prefixed stream to answer on.
 */
export async function readOne (stream: Stream, maxBytes: number, signal: AbortSignal): Promise<{ bytes: Uint8ArrayList, lp: LengthPrefixed }> {
  const lp = boundedLpStream(stream, maxBytes)
  try {
    return { bytes: await lp.read({ signal }), lp }
  } catch (err: any) {
    const infraction = readInfraction(err) ?? (err?.name === 'UnexpectedEOFError' ? 'malformed-frame' : undefined)
    if (infraction != null) throw new FrameError(infraction, `frame over ${maxBytes} bytes, truncated or unreadable: ${err?.message ?? err}`)
    throw err
  }
}

/** The server side's options: the exchange's, a rate limit, and the answer. */
export interface ServeOptions<Request> extends ExchangeOptions<Request> {
  /** The peer's key in the rate limiter. */
  peer: string
  /** Requests over this peer's rate are refused (stream aborted) and reported as `rate-limit-exceeded`. */
  rate?: PeerRateLimiter
  /** Report a refusal at most this often per peer, in ms. @default 0 (every one) */
  rateReportEveryMs?: number
  /**
   * Answer one request: the encoded response, or `undefined` to close without one. A
   * {@link FrameError} thrown here is reported as the peer's.
   */
  answer(request: Request): Uint8Array | undefined | Promise<Uint8Array | undefined>
}

/**
 * The server side of a request/response protocol: one request per stream, rate-limited per
 * peer; read one bounded frame, answer it, close. A bad or truncated request, or one over the
 * rate, is reported and aborts the stream. Never throws: the returned error (if any) is for
 * logging.
 */
export async function serveOnce<Request> (stream: Stream, options: ServeOptions<Request>): Promise<Error | undefined> {
  const { signal, maxBytes } = options
  try {
    if (options.rate != null && !options.rate.take(options.peer)) {
      const detail = `more than ${options.rate.perSecond} requests a second`
      if (options.rate.reportDue(options.peer, options.rateReportEveryMs ?? 0)) options.report('rate-limit-exceeded', detail)
      throw new Error('rate limit exceeded')
    }
    const { bytes, lp } = await readOne(stream, maxBytes, signal)
    const decoded = options.decode(bytes)
    if (!decoded.ok) throw new FrameError(decoded.infraction, decoded.detail)
    const response = await options.answer(decoded.frame)
    if (response != null) await lp.write(response, { signal })
    await stream.close({ signal })
    return undefined
  } catch (err: any) {
    if (err instanceof FrameError) options.report(err.infraction, err.message)
    stream.abort(err)
    return err instanceof Error ? err : new Error(String(err))
  }
}
