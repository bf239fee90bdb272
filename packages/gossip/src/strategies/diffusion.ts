import { exponential } from '@hearsay/sansio'
import type { Direction, GossipFrame, GossipMessage, GossipStrategy, MessageId, PeerKey, StrategyContext, StrategySpec } from '@hearsay/interface'

/** Options of {@link diffusion}. */
export interface DiffusionOptions {
  /**
   * Mean of the exponential delay before a message goes to a peer, in ms: one number for
   * every peer, or one per connection direction. 0 sends at once.
   * @default { outbound: 2000, inbound: 5000 } (Bitcoin Core's)
   */
  meanDelayMs?: number | { inbound: number, outbound: number }
  /** Most messages waiting for their delays at once; beyond it the oldest is sent at once. @default 10 000 */
  maxQueued?: number
  /**
   * Where the delays come from. `'per-message'`: an independent exponential delay per message
   * and peer (the 2015 diffusion model that Fanti & Viswanath analyse). `'poisson'`: Bitcoin
   * Core's relay timing since 0.21 — each outbound peer has its own Poisson timer and all inbound
   * peers share one (`NextInvToInbounds`); a message goes to a peer at that peer's next tick, so
   * messages waiting together go together and every inbound peer gets a message at the same time.
   * The means are the ticks' mean intervals. @default 'per-message'
   */
  timers?: 'per-message' | 'poisson'
}

/**
 * A diffusion timer: send the message `id` to the peers whose delays have run out. One timer per
 * message is pending at a time, for its next peer, however many peers wait: a node relaying
 * many messages to many peers keeps few timers, and a message every peer already sent us keeps
 * none. Only the strategy that scheduled a timer can read it.
 */
export interface DiffusionTimer {
  readonly id: MessageId
}

/** A message waiting for its delays; it is also its own timer, so a timer needs no lookup. */
interface Queued extends DiffusionTimer {
  message: GossipMessage
  /** the frame every peer is sent (frames are never changed once sent) */
  frame: GossipFrame
  /**
   * Pairs (due time, peer slot) in due order; a slot is -1 once sent or skipped. One flat array
   * rather than two: a lookup then touches one array in memory, not two (at 100k simulated
   * nodes, memory latency is what a relay costs).
   */
  queue: number[]
  /** index in `queue` of the first pair not yet sent to or skipped */
  next: number
  /** peers still waiting; 0 once the entry is gone, so its pending timer does nothing */
  waiting: number
  /** the due time the pending timer was set for: due when it fires, whatever the clock says */
  armed: number
}

// a timer may fire a hair before its due time after rounding (now + (due - now) !== due)
const EPSILON_MS = 1e-6

/**
 * Diffusion, Bitcoin's relay since 2015: each new message goes to each peer after an
 * independent exponentially distributed delay, so the first peers to hear it are spread at
 * random and the publisher is harder to find than with flooding. A peer that sends us the
 * message while its delay runs is skipped.
 */
export function diffusion (options: DiffusionOptions = {}): StrategySpec<DiffusionTimer> {
  const mean = options.meanDelayMs ?? { outbound: 2000, inbound: 5000 }
  const means = typeof mean === 'number' ? { inbound: mean, outbound: mean } : mean
  for (const value of [means.inbound, means.outbound]) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError('diffusion: meanDelayMs must be >= 0')
  }
  const maxQueued = options.maxQueued ?? 10_000
  const timers = options.timers ?? 'per-message'
  if (timers !== 'per-message' && timers !== 'poisson') throw new RangeError("diffusion: timers must be 'per-message' or 'poisson'")
  return {
    name: 'diffusion',
    create: context => new Diffusion(context, means, maxQueued, timers === 'poisson')
  }
}

/**
 * One node's diffusion. A class, not a closure per method: with 100k nodes in a process (the
 * simulator), each call then touches this object and its maps, not a function object and a
 * scope per method per node.
 */
class Diffusion implements GossipStrategy<DiffusionTimer> {
  readonly #context: StrategyContext<DiffusionTimer>
  readonly #means: Readonly<Record<Direction, number>>
  readonly #maxQueued: number
  readonly #queued = new Map<MessageId, Queued>()
  // Each peer gets a small-integer slot while subscribed: waiting lists hold slots, so finding
  // a peer in one compares integers, never peer-id strings (a string compare per element was
  // the hottest cost of diffusion with thousands of messages in flight).
  readonly #slotOf = new Map<PeerKey, number>()
  readonly #peerAt: PeerKey[] = []
  readonly #directionAt: Direction[] = []
  /** live slots in subscription order: the order delays are drawn in */
  readonly #live: number[] = []
  readonly #freeSlots: number[] = []
  /** Bitcoin Core's timers (`timers: 'poisson'`) */
  readonly #poisson: boolean
  /** with `#poisson`: each outbound slot's next tick */
  readonly #tickAt: number[] = []
  /** with `#poisson`: the next tick of the timer all inbound peers share */
  #inboundTickAt = -Infinity

  constructor (context: StrategyContext<DiffusionTimer>, means: Readonly<Record<Direction, number>>, maxQueued: number, poisson: boolean) {
    this.#context = context
    this.#means = means
    this.#maxQueued = maxQueued
    this.#poisson = poisson
  }

  addPeer (peer: PeerKey, direction: Direction): void {
    const known = this.#slotOf.get(peer)
    if (known !== undefined) {
      this.#directionAt[known] = direction
      return
    }
    const slot = this.#freeSlots.pop() ?? this.#peerAt.length
    this.#slotOf.set(peer, slot)
    this.#peerAt[slot] = peer
    this.#directionAt[slot] = direction
    this.#live.push(slot)
    this.#tickAt[slot] = -Infinity
  }

  removePeer (peer: PeerKey): void {
    const slot = this.#slotOf.get(peer)
    if (slot === undefined) return
    // out of every waiting list before the slot can be reused
    for (const entry of [...this.#queued.values()]) this.#drop(entry, slot)
    this.#slotOf.delete(peer)
    this.#live.splice(this.#live.indexOf(slot), 1)
    this.#freeSlots.push(slot)
  }

  publish (message: GossipMessage): void {
    this.#diffuse(message)
  }

  onMessage (message: GossipMessage, from: PeerKey): void {
    this.#diffuse(message, from)
  }

  onDuplicate (id: MessageId, from: PeerKey): void {
    const entry = this.#queued.get(id)
    if (entry === undefined) return
    const slot = this.#slotOf.get(from)
    if (slot !== undefined) this.#drop(entry, slot)
  }

  timer (timer: DiffusionTimer): void {
    // only this strategy schedules its timers, and each is a Queued entry
    const entry = timer as Queued
    if (entry.waiting > 0) this.#advance(entry)
  }

  #skip (entry: Queued, k: number): void {
    entry.queue[k + 1] = -1
    if (--entry.waiting === 0) this.#queued.delete(entry.id)
  }

  #forget (entry: Queued): void {
    entry.waiting = 0
    this.#queued.delete(entry.id)
  }

  /** Send to every peer now due, then wait for the next one still waiting. */
  #advance (entry: Queued): void {
    const context = this.#context
    // the timer fired, so what it was set for is due even if the clock stepped back meanwhile
    const due = Math.max(entry.armed, context.clock.now()) + EPSILON_MS
    const queue = entry.queue
    try {
      for (; entry.next < queue.length; entry.next += 2) {
        const slot = queue[entry.next + 1]
        if (slot === -1) continue
        if (queue[entry.next] > due) break
        this.#skip(entry, entry.next)
        context.send(this.#peerAt[slot], entry.frame)
      }
    } finally {
      // a send that throws must not leave the peers after it without a timer
      if (entry.waiting > 0) this.#arm(entry)
    }
  }

  /** Set the entry's one timer for its next peer still waiting. */
  #arm (entry: Queued): void {
    const queue = entry.queue
    while (queue[entry.next + 1] === -1) entry.next += 2
    entry.armed = queue[entry.next]
    this.#context.schedule(Math.max(0, entry.armed - this.#context.clock.now()), entry)
  }

  #diffuse (message: GossipMessage, except?: PeerKey): void {
    const context = this.#context
    const now = context.clock.now()
    const frame: GossipFrame = { type: 'message', message }
    const exceptSlot = except === undefined ? -1 : this.#slotOf.get(except) ?? -1
    // (due, slot) pairs in due order, by insertion: a node has tens of peers, not thousands
    const queue: number[] = []
    for (const slot of this.#live) {
      if (slot === exceptSlot) continue
      const delay = this.#poisson ? this.#untilTick(slot, now) : exponential(context.rng, this.#means[this.#directionAt[slot]])
      if (delay <= 0) {
        context.send(this.#peerAt[slot], frame)
        continue
      }
      const at = now + delay
      let k = queue.length
      queue.push(at, slot)
      for (; k > 0 && queue[k - 2] > at; k -= 2) {
        queue[k] = queue[k - 2]
        queue[k + 1] = queue[k - 1]
      }
      queue[k] = at
      queue[k + 1] = slot
    }
    if (queue.length === 0) return
    const entry: Queued = { id: message.id, message, frame, queue, next: 0, waiting: queue.length / 2, armed: queue[0] }
    const previous = this.#queued.get(message.id)
    if (previous != null) this.#forget(previous)
    this.#queued.set(message.id, entry)
    context.schedule(queue[0] - now, entry)
    if (this.#queued.size > this.#maxQueued) {
      // bounded state: the oldest message goes out now to everyone still waiting
      const oldest = this.#queued.values().next().value as Queued
      this.#forget(oldest)
      for (let k = oldest.next; k < oldest.queue.length; k += 2) {
        if (oldest.queue[k + 1] !== -1) context.send(this.#peerAt[oldest.queue[k + 1]], oldest.frame)
      }
    }
  }

  /**
   * With Bitcoin Core's timers: the time from `now` to the next tick of the slot's timer, its own
   * if outbound, the shared one if inbound. A timer whose tick has passed draws its next one from
   * `now`, as Core does when it next looks (the gaps are exponential, so the ticks are a Poisson
   * process and drawing late changes nothing).
   */
  #untilTick (slot: number, now: number): number {
    const direction = this.#directionAt[slot]
    const mean = this.#means[direction]
    if (direction === 'inbound') {
      if (this.#inboundTickAt <= now) this.#inboundTickAt = now + exponential(this.#context.rng, mean)
      return this.#inboundTickAt - now
    }
    if (this.#tickAt[slot] <= now) this.#tickAt[slot] = now + exponential(this.#context.rng, mean)
    return this.#tickAt[slot] - now
  }

  /** The peer in `slot` has the entry's message already: it needs no copy from us. */
  #drop (entry: Queued, slot: number): void {
    const queue = entry.queue
    for (let k = entry.next; k < queue.length; k += 2) {
      if (queue[k + 1] === slot) {
        this.#skip(entry, k)
        return
      }
    }
  }
}
