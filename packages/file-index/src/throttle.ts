import type { TimedClock } from '@hearsay/sansio'

/**
 * A token bucket shared by every upload of a node: `take(n)` resolves once `n` bytes may be
 * sent at `bytesPerSecond`. Takers are served in order. The bucket holds at most
 * `burstBytes` (default: a tenth of a second's worth, at least 64 KiB).
 */
export class Throttle {
  readonly #rate: number
  readonly #burst: number
  readonly #clock: TimedClock
  #tokens: number
  #last: number
  #tail: Promise<void> = Promise.resolve()

  /**
   * A full bucket.
   *
   * @param bytesPerSecond - the sustained rate, positive
   * @param clock - time and timers (a `ManualClock` in tests)
   * @param burstBytes - the bucket's size
   */
  constructor (bytesPerSecond: number, clock: TimedClock, burstBytes?: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be positive')
    this.#rate = bytesPerSecond
    this.#burst = burstBytes ?? Math.max(64 * 1024, bytesPerSecond / 10)
    this.#clock = clock
    this.#tokens = this.#burst
    this.#last = clock.now()
  }

  /** Resolves once `bytes` may be sent, after every earlier taker; rejects if `signal` aborts first. */
  async take (bytes: number, signal?: AbortSignal): Promise<void> {
    const turn = this.#tail.then(async () => { await this.#wait(bytes, signal) })
    this.#tail = turn.catch(() => {})
    await turn
  }

  async #wait (bytes: number, signal?: AbortSignal): Promise<void> {
    this.#refill()
    this.#tokens -= bytes
    if (this.#tokens >= 0) return
    const delayMs = -this.#tokens / this.#rate * 1000
    await new Promise<void>((resolve, reject) => {
      const cancel = this.#clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, delayMs)
      const onAbort = (): void => {
        cancel()
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
      }
      if (signal?.aborted === true) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  #refill (): void {
    const now = this.#clock.now()
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#rate / 1000)
    this.#last = now
  }
}
