/**
 * A replicated key-value store written as a hearsay service: the example of how to add your
 * own protocol to a hearsay host. See the README for the walkthrough.
 *
 * @packageDocumentation
 */
export { kv, KV_DEFAULTS } from './service.ts'
export type { Kv, KvInit, KvComponents, KvChange, KvEvents, KvStats, SyncResult } from './service.ts'
export { KvStore, KvError } from './store.ts'
export type { KvStoreInit } from './store.ts'
export { HybridClock, compareTimestamps } from './hlc.ts'
export type { Timestamp } from './hlc.ts'
export { compareVersions, checkEntry, valueHash } from './entry.ts'
export type { KvEntry, Version } from './entry.ts'
export { KV_LIMITS } from './limits.ts'
export type { KvLimits } from './limits.ts'
export { KV_PROTOCOL, decodeKvFrame, encodeKvFrame } from './wire.ts'
export { answerDigest, planExchange, answerWant } from './sync.ts'
