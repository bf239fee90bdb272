import type { Clock } from '@hearsay/interface'

/**
 * When a write happened, as a hybrid logical clock reads it: wall-clock milliseconds, a
 * counter for writes in the same millisecond (or after seeing a peer's later clock), and the
 * id of the node that wrote. Timestamps of different writes never compare equal unless one
 * node reused one, and then {@link compareVersions} breaks the tie by the value's hash.
 */
export interface Timestamp {
  wall: number
  counter: number
  node: string
}

/** The largest counter the wire (uint32) carries. */
const MAX_COUNTER = 0xffff_ffff

/** Order two timestamps: negative if `a` is older, positive if newer, 0 if identical. */
export function compareTimestamps (a: Timestamp, b: Timestamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  if (a.node !== b.node) return a.node < b.node ? -1 : 1
  return 0
}

/**
 * A hybrid logical clock (Kulkarni et al., 2014): it follows the wall clock, yet a write made
 * after seeing a peer's write always gets a greater timestamp, even if that peer's clock runs
 * ahead of ours. So "last writer wins" means last in causal order, not by a skewed clock.
 */
export class HybridClock {
  readonly #clock: Clock
  readonly #node: string
  #wall = 0
  #counter = 0

  /**
   * @param clock - where wall time comes from (the system clock in a node, a manual one in tests)
   * @param node - this node's id, the tie-break between equal clocks
   */
  constructor (clock: Clock, node: string) {
    this.#clock = clock
    this.#node = node
  }

  /** The timestamp of a new local write: greater than every timestamp made or seen so far. */
  tick (): Timestamp {
    const now = Math.floor(this.#clock.now())
    if (now > this.#wall) {
      this.#wall = now
      this.#counter = 0
    } else if (this.#counter < MAX_COUNTER) {
      this.#counter++
    } else {
      // 4 billion writes in one millisecond: borrow the next millisecond
      this.#wall++
      this.#counter = 0
    }
    return { wall: this.#wall, counter: this.#counter, node: this.#node }
  }

  /** Take in a peer's (already validated) timestamp, so our next write orders after it. */
  observe (ts: Timestamp): void {
    if (ts.wall > this.#wall) {
      this.#wall = ts.wall
      this.#counter = ts.counter
    } else if (ts.wall === this.#wall && ts.counter > this.#counter) {
      this.#counter = ts.counter
    }
  }
}
