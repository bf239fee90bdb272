import type { KnownInfraction } from '@hearsay/interface'

/**
 * Points each known infraction adds, after Bitcoin Core's misbehaviour scores: honest peers
 * trip the small ones now and then (a stall, a burst over a rate limit), while the large ones
 * (an oversized frame, a piece whose hash is wrong) are hard to commit by accident.
 * Applications override these and add their own names through the `infractions` option.
 */
export const DEFAULT_INFRACTIONS: Readonly<Record<KnownInfraction, number>> = Object.freeze({
  'malformed-frame': 10,
  'oversized-frame': 50,
  'invalid-message': 20,
  'unrequested-data': 10,
  'unexpected-frame': 10,
  'rate-limit-exceeded': 5,
  'bad-piece': 100,
  stalled: 1
})

/** The ledger's defaults, one place for the code, the docs and the tests. */
export const SCORING_DEFAULTS = Object.freeze({
  /** Points at which a peer is banned (Bitcoin's 100). */
  threshold: 100,
  /** How long an automatic ban lasts: 24 hours, as in Bitcoin Core. */
  banDurationMs: 24 * 60 * 60 * 1000,
  /** Points and credit halve every hour, so occasional slips by honest peers fade away. */
  halfLifeMs: 60 * 60 * 1000,
  /** Weight of an infraction name that is in no table (a typo must not be free). */
  unknownInfractionWeight: 10,
  /** Credit one useful act earns, unless the `credits` table says otherwise. */
  creditWeight: 1,
  /** Credit is capped so goodwill saturates instead of growing without bound. */
  maxCredit: 50,
  /** Scored (not banned) peers tracked at once. */
  maxPeers: 10_000,
  /** Bans held at once. */
  maxBans: 100_000,
  /** Repeat offenders' IPs are not banned unless asked: many honest peers can share one IP. */
  banIpAfter: Number.POSITIVE_INFINITY
})

/** Most IP addresses recorded for one ban: a peer's connections rarely come from more. */
export const MAX_IPS_PER_BAN = 8

/** Longest ban reason kept (reasons may quote peer-provided detail). */
export const MAX_REASON_LENGTH = 256
