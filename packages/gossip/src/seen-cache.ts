import type { Clock } from '@hearsay/interface'

/**
 * A set of recently seen keys, bounded in size and in age. Insertion order is age order, so
 * expiry and eviction both pop from the front in O(1) amortised, with no timers.
 */
export class SeenCache<K> {
  readonly #entries = new Map<K, number>()
  readonly #ttlMs: number
  readonly #max: number
  readonly #clock: Clock
  /** no key expires before this: most calls skip the sweep without touching the map */
  #nextExpiry = Infinity

  /**
   * @param ttlMs - how long a key is remembered
   * @param max - most keys remembered; the oldest go first
   * @param clock - the clock
   */
  constructor (ttlMs: number, max: number, clock: Clock) {
    this.#ttlMs = ttlMs
    this.#max = max
    this.#clock = clock
  }

  has (key: K): boolean {
    // the hot path (every received frame): one lookup, no sweep
    const expires = this.#entries.get(key)
    return expires != null && expires > this.#clock.now()
  }

  /** Remember `key`; returns false when it was already there. */
  add (key: K): boolean {
    this.#expire()
    const known = this.#entries.get(key)
    if (known !== undefined) {
      if (known > this.#clock.now()) return false
      // expired but not swept (the clock stepped back): it must not keep its old place in the age order
      this.#entries.delete(key)
    }
    const expires = this.#clock.now() + this.#ttlMs
    this.#entries.set(key, expires)
    if (expires < this.#nextExpiry) this.#nextExpiry = expires
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as K
      this.#entries.delete(oldest)
    }
    return true
  }

  delete (key: K): void {
    this.#entries.delete(key)
  }

  get size (): number {
    this.#expire()
    return this.#entries.size
  }

  #expire (): void {
    const now = this.#clock.now()
    if (now < this.#nextExpiry) return
    for (const [key, expires] of this.#entries) {
      if (expires > now) {
        this.#nextExpiry = expires
        return
      }
      this.#entries.delete(key)
    }
    this.#nextExpiry = Infinity
  }
}
