import { exponential } from '@hearsay/sansio'
import type { Direction, GossipFrame, GossipMessage, MessageId, PeerKey, StrategyContext, StrategySpec } from '@hearsay/interface'

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
  return {
    name: 'diffusion',
    create: (context: StrategyContext<DiffusionTimer>) => {
      const queued = new Map<MessageId, Queued>()
      // Each peer gets a small-integer slot while subscribed: waiting lists hold slots, so
      // finding a peer in one compares integers, never peer-id strings (which costs a string
      // compare per element, the hottest cost of diffusion when every node has thousands of
      // messages in flight).
      const slotOf = new Map<PeerKey, number>()
      const peerAt: PeerKey[] = []
      const directionAt: Direction[] = []
      /** live slots in subscription order: the order delays are drawn in */
      const live: number[] = []
      const freeSlots: number[] = []

      const skip = (entry: Queued, k: number): void => {
        entry.queue[k + 1] = -1
        if (--entry.waiting === 0) queued.delete(entry.id)
      }

      const forget = (entry: Queued): void => {
        entry.waiting = 0
        queued.delete(entry.id)
      }

      /** Send to every peer now due, then wait for the next one still waiting. */
      const advance = (entry: Queued): void => {
        const now = context.clock.now() + EPSILON_MS
        const queue = entry.queue
        for (; entry.next < queue.length; entry.next += 2) {
          const slot = queue[entry.next + 1]
          if (slot === -1) continue
          if (queue[entry.next] > now) break
          skip(entry, entry.next)
          context.send(peerAt[slot], entry.frame)
        }
        if (entry.waiting > 0) context.schedule(queue[entry.next] - context.clock.now(), entry)
      }

      const diffuse = (message: GossipMessage, except?: PeerKey): void => {
        const now = context.clock.now()
        const frame: GossipFrame = { type: 'message', message }
        const exceptSlot = except === undefined ? -1 : slotOf.get(except) ?? -1
        // (due, slot) pairs in due order, by insertion: a node has tens of peers, not thousands
        const queue: number[] = []
        for (const slot of live) {
          if (slot === exceptSlot) continue
          const delay = exponential(context.rng, means[directionAt[slot]])
          if (delay <= 0) {
            context.send(peerAt[slot], frame)
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
        const entry: Queued = { id: message.id, message, frame, queue, next: 0, waiting: queue.length / 2 }
        const previous = queued.get(message.id)
        if (previous != null) forget(previous)
        queued.set(message.id, entry)
        context.schedule(queue[0] - now, entry)
        if (queued.size > maxQueued) {
          // bounded state: the oldest message goes out now to everyone still waiting
          const oldest = queued.values().next().value as Queued
          forget(oldest)
          for (let k = oldest.next; k < oldest.queue.length; k += 2) {
            if (oldest.queue[k + 1] !== -1) context.send(peerAt[oldest.queue[k + 1]], oldest.frame)
          }
        }
      }

      /** The peer in `slot` has the entry's message already: it needs no copy from us. */
      const drop = (entry: Queued, slot: number): void => {
        const queue = entry.queue
        for (let k = entry.next; k < queue.length; k += 2) {
          if (queue[k + 1] === slot) {
            skip(entry, k)
            return
          }
        }
      }

      return {
        addPeer (peer, direction) {
          const known = slotOf.get(peer)
          if (known !== undefined) {
            directionAt[known] = direction
            return
          }
          const slot = freeSlots.pop() ?? peerAt.length
          slotOf.set(peer, slot)
          peerAt[slot] = peer
          directionAt[slot] = direction
          live.push(slot)
        },
        removePeer (peer) {
          const slot = slotOf.get(peer)
          if (slot === undefined) return
          // out of every waiting list before the slot can be reused
          for (const entry of [...queued.values()]) drop(entry, slot)
          slotOf.delete(peer)
          live.splice(live.indexOf(slot), 1)
          freeSlots.push(slot)
        },
        publish: message => { diffuse(message) },
        onMessage: (message, from) => { diffuse(message, from) },
        onDuplicate (id, from) {
          const entry = queued.get(id)
          const slot = entry === undefined ? undefined : slotOf.get(from)
          if (slot !== undefined) drop(entry as Queued, slot)
        },
        timer (timer) {
          // only this strategy schedules its timers, and each is a Queued entry
          const entry = timer as Queued
          if (entry.waiting > 0) advance(entry)
        }
      }
    }
  }
}
