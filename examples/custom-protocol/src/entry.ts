import { createHash } from 'node:crypto'
import { compareTimestamps, type Timestamp } from './hlc.ts'
import type { KvLimits } from './limits.ts'

/** One write of a key: its value (empty for a deletion) and when it was written. */
export interface KvEntry extends Timestamp {
  key: string
  value: Uint8Array<ArrayBuffer>
  /** A deletion is kept as a tombstone, so it replicates and wins over older writes. */
  deleted: boolean
}

/** A key's write without the value: enough to tell which of two replicas is newer. */
export interface Version extends Timestamp {
  key: string
  /** {@link valueHash} of the entry. */
  hash: Uint8Array<ArrayBuffer>
}

/** Bytes of {@link valueHash}: 128 bits tell values apart; collisions only matter for equal timestamps. */
export const HASH_BYTES = 16

const encoder = new TextEncoder()

/** UTF-8 length of a string, as the wire counts it. */
export function utf8Length (text: string): number {
  return encoder.encode(text).byteLength
}

/** Hash of what a write stored: a deletion and an empty value differ. */
export function valueHash (entry: Pick<KvEntry, 'value' | 'deleted'>): Uint8Array<ArrayBuffer> {
  return createHash('sha256')
    .update(Uint8Array.of(entry.deleted ? 1 : 0))
    .update(entry.value)
    .digest()
    .subarray(0, HASH_BYTES)
}

/**
 * The total order of writes that every replica agrees on: by timestamp, then by value hash, so
 * even two different writes that claim the same timestamp resolve the same way everywhere.
 */
export function compareVersions (a: Timestamp & { hash: Uint8Array }, b: Timestamp & { hash: Uint8Array }): number {
  return compareTimestamps(a, b) || Buffer.compare(a.hash, b.hash)
}

/**
 * Why an entry from the network cannot be stored, or `undefined` if it can. `now` is our clock:
 * a timestamp far in the future would win every later write, so it is refused.
 */
export function checkEntry (entry: KvEntry, now: number, limits: KvLimits): string | undefined {
  const keyBytes = utf8Length(entry.key)
  if (keyBytes === 0) return 'empty key'
  if (keyBytes > limits.maxKeyBytes) return `key of ${keyBytes} bytes > ${limits.maxKeyBytes}`
  if (entry.value.byteLength > limits.maxValueBytes) return `value of ${entry.value.byteLength} bytes > ${limits.maxValueBytes}`
  if (entry.deleted && entry.value.byteLength > 0) return 'a deletion with a value'
  return checkTimestamp(entry, now, limits)
}

/** Why a timestamp from the network is unusable, or `undefined`. */
export function checkTimestamp (ts: Timestamp, now: number, limits: KvLimits): string | undefined {
  const nodeBytes = utf8Length(ts.node)
  if (nodeBytes === 0) return 'no writer id'
  if (nodeBytes > limits.maxNodeBytes) return `writer id of ${nodeBytes} bytes > ${limits.maxNodeBytes}`
  // uint64 fields decode to numbers: past 2^53 they lose precision and would compare wrongly
  if (!Number.isSafeInteger(ts.wall) || ts.wall < 0) return `unusable wall clock ${ts.wall}`
  if (ts.wall > now + limits.maxClockDriftMs) return `timestamp ${ts.wall - now} ms ahead of ours`
  return undefined
}

/** About how many bytes an entry takes in a frame (the field tags and lengths included). */
export function entrySize (entry: KvEntry): number {
  return utf8Length(entry.key) + entry.value.byteLength + utf8Length(entry.node) + 32
}

/** About how many bytes a version takes in a frame. */
export function versionSize (version: Version): number {
  return utf8Length(version.key) + version.hash.byteLength + utf8Length(version.node) + 32
}
