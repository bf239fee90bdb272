import type { Clock } from '@hearsay/interface'

/** Cancels a timer; calling it after the timer fired, or twice, does nothing. */
export type CancelTimer = () => void

/** Something that runs callbacks later: real timers in a node, virtual ones in tests. */
export interface Timers {
  /** Run `callback` once after `delayMs` (negative counts as 0); returns its cancel function. */
  setTimeout(callback: () => void, delayMs: number): CancelTimer
}

/** A clock that can also run timers, the pair every core environment needs. */
export interface TimedClock extends Clock, Timers {}

/**
 * Wall-clock time and real timers. Timers are `unref`'d so a pending protocol timer never
 * keeps a process alive on its own.
 */
export const systemClock: TimedClock = {
  now: () => Date.now(),
  setTimeout (callback, delayMs) {
    const timer = setTimeout(callback, Math.max(0, delayMs))
    timer.unref()
    return () => { clearTimeout(timer) }
  }
}

interface PendingTimer {
  at: number
  seq: number
  callback: () => void
}

/**
 * A clock that only moves when told to, for exact unit tests. Timers fire in order of due
 * time (ties in order of scheduling) while {@link ManualClock.advance} moves time forward.
 */
export class ManualClock implements TimedClock {
  #now: number
  #seq = 0
  #pending: PendingTimer[] = []

  /**
   * A clock standing at `start`.
   *
   * @param start - the initial time in ms (default 0)
   */
  constructor (start = 0) {
    this.#now = start
  }

  now (): number {
    return this.#now
  }

  setTimeout (callback: () => void, delayMs: number): CancelTimer {
    const timer: PendingTimer = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, callback }
    this.#pending.push(timer)
    return () => {
      const index = this.#pending.indexOf(timer)
      if (index !== -1) this.#pending.splice(index, 1)
    }
  }

  /** How many timers are waiting to fire. */
  get pendingTimers (): number {
    return this.#pending.length
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due on the way (including timers
   * scheduled by those callbacks), each with the clock set to its due time.
   */
  advance (ms: number): void {
    if (ms < 0) throw new RangeError('a clock cannot go backwards')
    const end = this.#now + ms
    for (;;) {
      const next = this.#nextDue()
      if (next == null || next.at > end) break
      this.#pending.splice(this.#pending.indexOf(next), 1)
      this.#now = next.at
      next.callback()
    }
    this.#now = end
  }

  /** Fire timers until none is left, at most `limit` of them (a guard against timer loops). */
  runAll (limit = 100_000): void {
    for (let fired = 0; fired < limit; fired++) {
      const next = this.#nextDue()
      if (next == null) return
      this.advance(next.at - this.#now)
    }
    throw new Error(`ManualClock.runAll: more than ${limit} timers fired; is a timer rescheduling itself?`)
  }

  #nextDue (): PendingTimer | undefined {
    let best: PendingTimer | undefined
    for (const timer of this.#pending) {
      if (best == null || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) best = timer
    }
    return best
  }
}
