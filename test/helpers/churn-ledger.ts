/**
 * Bookkeeping of the churn test: which messages each subscriber was due, on one logical clock.
 *
 * Every event that matters (a publish, a subscriber joining, a kill) happens in the test
 * process and takes the next tick of a counter at the moment it happens, so "published after it
 * joined" and "published before it was killed" are exact comparisons, with no clock skew
 * between processes and no tolerance window.
 */

/** One life of a subscriber: a stable host's whole run, or a child process between kills. */
export interface Life {
  /** e.g. `host 7` or `host 12 #2` */
  name: string
  peerId: string
  /** tick at which an in-process neighbour first learned this life's subscription */
  joinedAt?: number
  /** tick of the SIGKILL; none while alive */
  killedAt?: number
  /** sequence numbers delivered to it */
  received: Set<number>
}

/** Messages published so far, by sequence number, with the tick of each publish. */
export class Ledger {
  #tick = 0
  readonly publishedAt: number[] = []

  /** The next tick: call it at the moment the event happens. */
  now (): number {
    return ++this.#tick
  }

  /** Record a publish; returns its sequence number. */
  published (): number {
    this.publishedAt.push(this.now())
    return this.publishedAt.length - 1
  }

  /** Sequence numbers published after `life` joined and before it was killed. */
  due (life: Life): number[] {
    if (life.joinedAt == null) return []
    const joinedAt = life.joinedAt
    const end = life.killedAt ?? Infinity
    const out: number[] = []
    this.publishedAt.forEach((at, seq) => { if (at > joinedAt && at < end) out.push(seq) })
    return out
  }

  /** Due messages `life` has not received. */
  missing (life: Life): number[] {
    return this.due(life).filter(seq => !life.received.has(seq))
  }
}
