/**
 * Anti-entropy: how two replicas find and repair their differences in two round trips,
 * sending only the entries that differ. Pure functions over a {@link KvStore}; the adapter
 * moves their results over a stream.
 *
 * ```
 * initiator                                   responder
 *   digest: a hash per bucket ───────────────▶  answerDigest: versions of its keys
 *                                               in the buckets that differ
 *   planExchange: our newer entries,  ◀──────── versions
 *   and the keys where it is newer
 *   exchange (entries + want) ───────────────▶  merge entries; answerWant
 *   merge entries                     ◀──────── entries
 * ```
 *
 * Every step stays within the frame limits; what does not fit waits for the next sync.
 *
 * @packageDocumentation
 */
import { FRAME_SLACK } from './limits.ts'
import { compareVersions, entrySize, utf8Length, versionSize, type KvEntry, type Version } from './entry.ts'
import type { KvStore } from './store.ts'
import type { Rng } from '@hearsay/interface'

/** The responder's answer to a digest: the buckets it covers and its versions of their keys. */
export interface VersionsAnswer {
  buckets: number[]
  versions: Version[]
  /**
   * Set when one bucket was too big for a frame: it is listed alone, with a random window of
   * its versions, and only those may be compared (a key missing from them may still be there).
   */
  truncated: boolean
}

/** The initiator's second frame: entries the responder lacks, keys the responder has newer. */
export interface ExchangePlan {
  entries: KvEntry[]
  want: string[]
}

/**
 * Responder: compare a peer's digest with ours and list our versions of every key in the
 * buckets that differ. Starts at a random differing bucket, so when not all fit in one frame,
 * successive syncs cover different buckets. Returns no buckets when the replicas agree.
 */
export function answerDigest (store: KvStore, remote: readonly Uint8Array[], rng: Rng): VersionsAnswer {
  const local = store.digest()
  const differing: number[] = []
  for (let i = 0; i < local.length; i++) {
    if (remote[i] == null || Buffer.compare(local[i], remote[i]) !== 0) differing.push(i)
  }
  const answer: VersionsAnswer = { buckets: [], versions: [], truncated: false }
  if (differing.length === 0) return answer
  const { maxVersionsPerFrame, maxFrameBytes } = store.limits
  let budget = maxFrameBytes - FRAME_SLACK
  const start = rng.int(differing.length)
  for (let n = 0; n < differing.length; n++) {
    const bucket = differing[(start + n) % differing.length]
    const versions = store.bucketKeys(bucket).map(key => store.version(key) as Version)
    const bytes = versions.reduce((sum, v) => sum + versionSize(v), 8)
    if (answer.versions.length + versions.length <= maxVersionsPerFrame && bytes <= budget) {
      answer.buckets.push(bucket)
      answer.versions.push(...versions)
      budget -= bytes
      continue
    }
    if (answer.buckets.length > 0) break
    // a single bucket over the limits: a random window of it now, other windows next time
    answer.buckets.push(bucket)
    answer.truncated = true
    const offset = rng.int(versions.length)
    for (let i = 0; i < versions.length; i++) {
      const version = versions[(offset + i) % versions.length]
      const size = versionSize(version)
      if (answer.versions.length >= maxVersionsPerFrame || size > budget) break
      answer.versions.push(version)
      budget -= size
    }
    break
  }
  return answer
}

/**
 * Initiator: from the responder's versions, what to send (our entries that are newer, or that
 * it lacks, in the buckets it listed) and what to ask for (keys where it is newer).
 */
export function planExchange (store: KvStore, answer: VersionsAnswer): ExchangePlan {
  const { maxEntriesPerFrame, maxWantPerFrame, maxFrameBytes } = store.limits
  const theirs = new Map<string, Version>()
  for (const version of answer.versions) theirs.set(version.key, version)

  const want: string[] = []
  let wantBytes = 0
  const wantBudget = (maxFrameBytes - FRAME_SLACK) / 2
  for (const version of theirs.values()) {
    const ours = store.version(version.key)
    if (ours != null && compareVersions(ours, version) >= 0) continue
    const size = utf8Length(version.key) + 4
    if (want.length >= maxWantPerFrame || wantBytes + size > wantBudget) break
    want.push(version.key)
    wantBytes += size
  }

  const entries: KvEntry[] = []
  let budget = maxFrameBytes - FRAME_SLACK - wantBytes
  // of a truncated bucket only the keys it listed are known; otherwise all of the bucket's
  const keys = answer.truncated ? [...theirs.keys()] : answer.buckets.flatMap(bucket => store.bucketKeys(bucket))
  for (const key of keys) {
    const ours = store.version(key)
    const their = theirs.get(key)
    if (ours == null || (their != null && compareVersions(ours, their) <= 0)) continue
    const entry = store.entry(key) as KvEntry
    const size = entrySize(entry)
    if (entries.length >= maxEntriesPerFrame || size > budget) break
    entries.push(entry)
    budget -= size
  }
  return { entries, want }
}

/** Responder: our entries for the wanted keys, as many as fit in one frame. */
export function answerWant (store: KvStore, want: readonly string[]): KvEntry[] {
  const { maxEntriesPerFrame, maxFrameBytes } = store.limits
  const entries: KvEntry[] = []
  let budget = maxFrameBytes - FRAME_SLACK
  for (const key of new Set(want)) {
    const entry = store.entry(key)
    if (entry == null) continue
    const size = entrySize(entry)
    if (entries.length >= maxEntriesPerFrame || size > budget) break
    entries.push(entry)
    budget -= size
  }
  return entries
}

/**
 * Initiator: is the responder's answer consistent with the protocol? Its buckets must exist
 * and be distinct, and each version must belong to a bucket it listed.
 */
export function checkVersionsAnswer (store: KvStore, answer: VersionsAnswer): string | undefined {
  if (answer.truncated && answer.buckets.length !== 1) return 'a truncated answer must list exactly one bucket'
  const listed = new Set<number>()
  for (const bucket of answer.buckets) {
    if (!Number.isInteger(bucket) || bucket >= store.limits.buckets) return `no bucket ${bucket}`
    if (listed.has(bucket)) return `bucket ${bucket} listed twice`
    listed.add(bucket)
  }
  for (const version of answer.versions) {
    if (!listed.has(store.bucketOf(version.key))) return `a version of "${version.key.slice(0, 32)}" outside the listed buckets`
  }
  return undefined
}

/**
 * Responder: may the initiator send this exchange, after we answered `answer`? It may only ask
 * for keys we listed, and only send entries of the buckets we listed.
 */
export function checkExchange (store: KvStore, answer: VersionsAnswer, plan: ExchangePlan): string | undefined {
  const offered = new Set(answer.versions.map(v => v.key))
  for (const key of plan.want) {
    if (!offered.has(key)) return `asked for "${key.slice(0, 32)}", which we did not offer`
  }
  const buckets = new Set(answer.buckets)
  for (const entry of plan.entries) {
    if (!buckets.has(store.bucketOf(entry.key))) return `sent "${entry.key.slice(0, 32)}" outside the buckets being synced`
  }
  return undefined
}

/** Initiator: an answer may only carry keys we asked for. */
export function checkAnswer (want: readonly string[], entries: readonly KvEntry[]): string | undefined {
  const asked = new Set(want)
  for (const entry of entries) {
    if (!asked.has(entry.key)) return `sent "${entry.key.slice(0, 32)}", which we did not ask for`
  }
  return undefined
}
