import type { PeerId } from '@libp2p/interface'

/**
 * The misbehaviour every hearsay protocol can report. Applications add their own names
 * (any string) with their own weights in the scoring table.
 *
 * - `malformed-frame`: bytes that do not decode as the protocol's frame
 * - `oversized-frame`: a length prefix or field above the protocol's limit
 * - `invalid-message`: a well-formed frame whose content the application rejected
 * - `unrequested-data`: an answer to a question that was never asked
 * - `unexpected-frame`: a valid frame in the wrong state of the protocol
 * - `rate-limit-exceeded`: more requests than the protocol allows per period
 * - `bad-piece`: file data whose hash does not match its manifest
 * - `stalled`: promised data that never arrived
 */
export type KnownInfraction =
  | 'malformed-frame'
  | 'oversized-frame'
  | 'invalid-message'
  | 'unrequested-data'
  | 'unexpected-frame'
  | 'rate-limit-exceeded'
  | 'bad-piece'
  | 'stalled'

/** A known infraction, or an application's own name for one. */
export type InfractionName = KnownInfraction | (string & {})

/** One report of misbehaviour, as scoring records it. */
export interface Infraction {
  name: InfractionName
  /** A short human-readable explanation, for logs and `peer:banned` events; never sent to peers. */
  detail?: string
}

/**
 * Where protocols report misbehaviour and credit useful behaviour. `@hearsay/scoring`
 * implements it; every protocol depends only on this interface, so users can plug in their own.
 */
export interface PeerReporter {
  /** Record an infraction by `peer`. Never throws: reporting must be safe from any handler. */
  report(peer: PeerId, infraction: InfractionName, detail?: string): void
  /**
   * Record useful behaviour (a first delivery of a valid message, a verified piece), so that
   * connection pruning keeps good peers. `reason` names the behaviour for metrics.
   */
  credit(peer: PeerId, reason: string): void
}
