/**
 * A `Map` that holds at most `max` keys: setting a key makes it the newest, and past `max` the
 * oldest goes. Insertion order is age order, so eviction is O(1). The one evict-the-oldest map
 * of hearsay: rate buckets, report throttles, stem pools and traces all use it.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  /** Most keys held. */
  readonly max: number

  /**
   * An empty map.
   *
   * @param max - most keys held (at least 1); the oldest go first
   */
  constructor (max: number) {
    super()
    this.max = Math.max(1, Math.floor(max))
  }

  /** Set `key` to `value` as the newest key, dropping the oldest past {@link BoundedMap.max}. */
  override set (key: K, value: V): this {
    super.delete(key)
    super.set(key, value)
    while (this.size > this.max) super.delete(this.keys().next().value as K)
    return this
  }
}
