/**
 * `@hearsay/scoring`: Bitcoin-style misbehaviour scoring as a libp2p service. Every protocol
 * on a node reports into one ledger (through the `PeerReporter` interface); at the threshold a
 * peer is disconnected, refused by a connection gater and banned for a while, across restarts.
 *
 * The libp2p-free core is also available alone as `@hearsay/scoring/ledger`.
 *
 * @packageDocumentation
 * @module @hearsay/scoring
 */
export { scoring } from './service.ts'
export type {
  Scoring, ScoringInit, ScoringFactory, ScoringComponents, ScoringConnectionManager, ScoringEvents,
  ScoringBanOptions, Ban, PeerUnbanned
} from './types.ts'
export { scoringConnectionGater } from './gater.ts'
export type { GaterPolicy } from './gater.ts'
export { Ledger, DEFAULT_INFRACTIONS, SCORING_DEFAULTS, ScoringOptionError } from './ledger.ts'
export type { LedgerOptions, BanRecord, BanOptions, BanResult, ReportResult } from './ledger.ts'
export { DEFAULT_BAN_PREFIX, encodeBan, decodeBan } from './store.ts'
export { DEFAULT_TAG_NAME } from './tags.ts'
