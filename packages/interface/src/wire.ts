/** A hearsay protocol id: `/hearsay/<name>/<semver>`. */
export type ProtocolId = `/hearsay/${string}/${string}`

/**
 * The limits every hearsay wire protocol declares and enforces before buffering:
 * no length read from the network is trusted beyond these.
 */
export interface WireLimits {
  /** Largest encoded frame accepted, in bytes. A longer length prefix closes the stream. */
  maxFrameBytes: number
  /** Most inbound streams one peer may hold open on this protocol at once. */
  maxInboundStreamsPerPeer: number
}

/**
 * The outcome of decoding bytes from the network: a frame, or the infraction to report.
 * Decoders return this instead of throwing so that bad input can never escape an adapter.
 */
export type Decoded<Frame> =
  | { ok: true, frame: Frame }
  | { ok: false, infraction: 'malformed-frame' | 'oversized-frame' | 'unexpected-frame', detail: string }
