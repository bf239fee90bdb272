/**
 * The bounds of the key-value protocol. Both sides enforce them on everything read from the
 * wire before it is buffered, decoded or stored; senders stay within them too.
 */
export interface KvLimits {
  /** Longest key, in UTF-8 bytes. */
  maxKeyBytes: number
  /** Largest value, in bytes. */
  maxValueBytes: number
  /** Longest writer id in a timestamp (a peer id string is 52 or 53 characters). */
  maxNodeBytes: number
  /** Largest frame on the wire; a longer length prefix closes the stream before any buffering. */
  maxFrameBytes: number
  /** Most entries in one frame. */
  maxEntriesPerFrame: number
  /** Most key versions in one sync answer. */
  maxVersionsPerFrame: number
  /** Most keys asked for in one sync request. */
  maxWantPerFrame: number
  /** How many buckets the key space is hashed into for digests; both sides must agree. */
  buckets: number
  /** How far ahead of our clock a timestamp may be before the entry is refused, in ms. */
  maxClockDriftMs: number
  /** Most inbound streams one peer may hold open on the protocol at once. */
  maxInboundStreamsPerPeer: number
}

/**
 * The defaults: keys of at most 256 B, values of at most 64 KiB, frames of at most 1 MiB with
 * at most 1024 entries or 4096 versions or wanted keys, 256 buckets, 60 s of clock drift, and
 * 4 inbound streams per peer (a sync and pushes can overlap).
 */
export const KV_LIMITS: Readonly<KvLimits> = Object.freeze({
  maxKeyBytes: 256,
  maxValueBytes: 64 * 1024,
  maxNodeBytes: 128,
  maxFrameBytes: 1024 * 1024,
  maxEntriesPerFrame: 1024,
  maxVersionsPerFrame: 4096,
  maxWantPerFrame: 4096,
  buckets: 256,
  maxClockDriftMs: 60_000,
  maxInboundStreamsPerPeer: 4
})

/**
 * Room kept in a frame for the protobuf tags and length prefixes around its items, so a sender
 * that packs items up to `maxFrameBytes - FRAME_SLACK` bytes never crosses the limit.
 */
export const FRAME_SLACK = 1024
