/**
 * A set of recently seen keys, bounded in size and in age. Insertion order is age order, so
 * expiry and eviction both pop from the front in O(1) amortised, with no timers.
 */
export class SeenCache<K> {
  readonly #entries = new Map<K, number>()
  readonly #ttlMs: number
  readonly #max: number
  readonly #now: () => number

  /**
   * @param ttlMs - how long a key is remembered
   * @param max - most keys remembered; the oldest go first
   * @param now - the clock
   */
  constructor (ttlMs: number, max: number, now: () => number) {
    this.#ttlMs = ttlMs
    this.#max = max
    this.#now = now
  }

  has (key: K): boolean {
    this.#expire()
    return this.#entries.has(key)
  }

  /** Remember `key`; returns false when it was already there. */
  add (key: K): boolean {
    this.#expire()
    if (this.#entries.has(key)) return false
    this.#entries.set(key, this.#now() + this.#ttlMs)
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
    const now = this.#now()
    for (const [key, expires] of this.#entries) {
      if (expires > now) return
      this.#entries.delete(key)
    }
  }
}
