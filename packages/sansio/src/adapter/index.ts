/**
 * The adapter kit: what every libp2p adapter of a hearsay core does with streams, written
 * once. One bounded request and answer per stream ({@link requestOnce}, {@link serveOnce}),
 * a bounded frame loop on a long-lived stream ({@link readFrames}), read errors mapped to
 * infractions, a peer id check, and streams to neighbours that never dial ({@link streamToConnected}). Every length is bounded before it is trusted, and bad
 * input from a peer is reported and aborts the stream; nothing here throws past the adapter.
 *
 * @packageDocumentation
 */
export { readFrames } from './frames.ts'
export type { ReadFramesOptions } from './frames.ts'
export { requestOnce, serveOnce, readOne, boundedLpStream, readInfraction, FrameError } from './request.ts'
export type { ExchangeOptions, ServeOptions, LengthPrefixed } from './request.ts'
export { aborted, isPeerId } from './util.ts'
export { streamToConnected } from './connected.ts'
export type { ConnectionSource, StreamToConnectedOptions } from './connected.ts'
