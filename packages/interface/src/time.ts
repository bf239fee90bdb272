/**
 * A source of the current time in milliseconds.
 *
 * Cores never read `Date.now()` themselves: the libp2p adapter gives them the system clock,
 * unit tests and the simulator give them a clock they advance by hand.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, so that timestamps (ban expiry, last seen) can be persisted. */
  now(): number
}

/**
 * A source of uniform randomness. Seedable implementations make every run of a core
 * reproducible; the adapter uses a cryptographically seeded one.
 */
export interface Rng {
  /** A float in `[0, 1)`. */
  next(): number
  /** An integer in `[0, maxExclusive)`; `maxExclusive` must be a positive integer. */
  int(maxExclusive: number): number
  /** A new generator derived from this one, so one seed can drive many independent streams. */
  fork(): Rng
}
