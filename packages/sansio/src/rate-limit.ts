import { BoundedMap } from './bounded-map.ts'
import type { Clock, PeerKey } from '@hearsay/interface'

interface Bucket {
  tokens: number
  at: number
  reportedAt: number
}

/**
 * A token bucket per peer on the injected clock (so fake-clock tests are exact): `perSecond`
 * requests a second on average, bursts of `burst`. Remembers at most `maxPeers` peers, the
 * least recently seen forgotten first.
 */
export class PeerRateLimiter {
  /** Requests a second allowed on average. */
  readonly perSecond: number
  readonly #buckets: BoundedMap<PeerKey, Bucket>
  readonly #clock: Clock
  readonly #burst: number

  /**
   * A limiter with every bucket full.
   *
   * @param clock - the clock that refills the buckets
   * @param perSecond - requests a second on average
   * @param burst - the most requests at once (default twice `perSecond`, at least 1)
   * @param maxPeers - peers remembered
   */
  constructor (clock: Clock, perSecond: number, burst = Math.max(1, perSecond * 2), maxPeers = 10_000) {
    this.#clock = clock
    this.perSecond = perSecond
    this.#burst = burst
    this.#buckets = new BoundedMap(maxPeers)
  }

  /** Take one token for `peer`; `false` when it has none left. */
  take (peer: PeerKey): boolean {
    const now = this.#clock.now()
    const bucket = this.#buckets.get(peer) ?? { tokens: this.#burst, at: now, reportedAt: -Infinity }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + Math.max(0, now - bucket.at) * this.perSecond / 1000)
    bucket.at = now
    this.#buckets.set(peer, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /**
   * Whether a refusal of `peer` is worth reporting now: true at most once every `everyMs`
   * per peer (always for `everyMs` 0), so a flood costs one report a second, not thousands.
   */
  reportDue (peer: PeerKey, everyMs: number): boolean {
    const bucket = this.#buckets.get(peer)
    if (bucket == null) return true
    const now = this.#clock.now()
    if (now - bucket.reportedAt < everyMs) return false
    bucket.reportedAt = now
    return true
  }
}
