import { KvFrame } from './pb/kv.js'
import { undecodable } from '@hearsay/sansio'
import { HASH_BYTES, checkEntry, checkTimestamp, type KvEntry, type Version } from './entry.ts'
import type { KvLimits } from './limits.ts'
import type { Decoded, InfractionName } from '@hearsay/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

export type { KvFrame } from './pb/kv.js'

/** The protocol id. Bump the major version for any change old peers cannot read. */
export const KV_PROTOCOL = '/hearsay-example/kv/1.0.0'

/** Which of the frame's fields is set. */
export type FrameKind = 'push' | 'digest' | 'versions' | 'exchange' | 'entries'

const KINDS: FrameKind[] = ['push', 'digest', 'versions', 'exchange', 'entries']

/** The decoded result of checking a frame's content, or the infraction it earns. */
export type Checked<T> = { ok: true, value: T } | { ok: false, infraction: InfractionName, detail: string }

/**
 * Decode one frame. Bad bytes become an infraction, never an exception: too many items in a
 * repeated field is `oversized-frame`, undecodable bytes `malformed-frame`, a frame with other
 * than exactly one field set `unexpected-frame`.
 */
export function decodeKvFrame (bytes: Uint8Array | Uint8ArrayList, limits: KvLimits): Decoded<KvFrame> {
  if (bytes.byteLength > limits.maxFrameBytes) {
    return { ok: false, infraction: 'oversized-frame', detail: `frame of ${bytes.byteLength} bytes > ${limits.maxFrameBytes}` }
  }
  let frame: KvFrame
  try {
    // protons stops reading a repeated field at these counts, before allocating more items
    frame = KvFrame.decode(bytes, {
      limits: {
        push: { entries: limits.maxEntriesPerFrame },
        digest: { buckets: limits.buckets },
        versions: { buckets: limits.buckets, versions: limits.maxVersionsPerFrame },
        exchange: { entries: limits.maxEntriesPerFrame, want: limits.maxWantPerFrame },
        entries: { entries: limits.maxEntriesPerFrame }
      }
    })
  } catch (err) {
    return undecodable('kv frame', err)
  }
  const set = KINDS.filter(kind => frame[kind] != null)
  if (set.length !== 1) {
    return { ok: false, infraction: 'unexpected-frame', detail: `a frame must carry exactly one part, this one has ${set.length}` }
  }
  return { ok: true, frame }
}

/** Which part a decoded frame carries. */
export function frameKind (frame: KvFrame): FrameKind {
  return KINDS.find(kind => frame[kind] != null) as FrameKind
}

/** Check entries from the wire: any unusable one rejects them all (`invalid-message`). */
export function checkEntries (entries: readonly KvEntry[], now: number, limits: KvLimits): Checked<KvEntry[]> {
  return checkAll(entries, entry => checkEntry(entry, now, limits))
}

/** Check versions from the wire (`invalid-message` for any unusable one). */
export function checkVersions (versions: readonly Version[], now: number, limits: KvLimits): Checked<Version[]> {
  return checkAll(versions, version => version.key === '' || new TextEncoder().encode(version.key).byteLength > limits.maxKeyBytes
    ? 'unusable key'
    : version.hash.byteLength !== HASH_BYTES ? `value hash of ${version.hash.byteLength} bytes` : checkTimestamp(version, now, limits))
}

/** Every item passes `check` (which names the problem of a bad one), or the first problem is an `invalid-message`. */
function checkAll<T> (items: readonly T[], check: (item: T) => string | undefined): Checked<T[]> {
  for (const item of items) {
    const problem = check(item)
    if (problem != null) return { ok: false, infraction: 'invalid-message', detail: problem }
  }
  return { ok: true, value: [...items] }
}

/** Check a digest from the wire: exactly one hash of the right size per bucket. */
export function checkDigest (buckets: readonly Uint8Array[], limits: KvLimits): Checked<Uint8Array[]> {
  if (buckets.length !== limits.buckets) {
    return { ok: false, infraction: 'invalid-message', detail: `digest of ${buckets.length} buckets, expected ${limits.buckets}` }
  }
  if (buckets.some(b => b.byteLength !== HASH_BYTES)) {
    return { ok: false, infraction: 'invalid-message', detail: `bucket hashes must be ${HASH_BYTES} bytes` }
  }
  return { ok: true, value: [...buckets] }
}

/** Encode a frame carrying entries (the wire type wants exactly the entry's fields). */
export function wireEntries (entries: readonly KvEntry[]): KvEntry[] {
  return entries.map(e => ({ key: e.key, value: e.value, deleted: e.deleted, wall: e.wall, counter: e.counter, node: e.node }))
}

/** The bytes of one frame. */
export function encodeKvFrame (frame: Partial<KvFrame>): Uint8Array {
  return KvFrame.encode(frame)
}
