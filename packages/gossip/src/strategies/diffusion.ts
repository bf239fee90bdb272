import { exponential } from '@hearsay/sansio'
import type { GossipFrame, GossipMessage, MessageId, PeerKey, StrategyContext, StrategySpec } from '@hearsay/interface'

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
  /** peers in the order their delays run out; `undefined` once sent or skipped */
  peers: Array<PeerKey | undefined>
  /** when each of `peers` is due (clock time), ascending */
  due: number[]
  /** index of the first peer not yet sent to or skipped */
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

      const skip = (entry: Queued, k: number): void => {
        entry.peers[k] = undefined
        if (--entry.waiting === 0) queued.delete(entry.id)
      }

      const forget = (entry: Queued): void => {
        entry.waiting = 0
        queued.delete(entry.id)
      }

      /** Send to every peer now due, then wait for the next one still waiting. */
      const advance = (entry: Queued): void => {
        const now = context.clock.now() + EPSILON_MS
        const { peers, due } = entry
        while (entry.next < peers.length) {
          const peer = peers[entry.next]
          if (peer === undefined) {
            entry.next++
            continue
          }
          if (due[entry.next] > now) break
          skip(entry, entry.next++)
          context.send(peer, entry.frame)
        }
        if (entry.waiting > 0) context.schedule(due[entry.next] - context.clock.now(), entry)
      }

      const diffuse = (message: GossipMessage, except?: PeerKey): void => {
        const now = context.clock.now()
        const frame: GossipFrame = { type: 'message', message }
        // peers in due order, by insertion: a node has tens of peers, not thousands
        const peers: PeerKey[] = []
        const due: number[] = []
        for (const [peer, direction] of context.peers()) {
          if (peer === except) continue
          const delay = exponential(context.rng, means[direction])
          if (delay <= 0) {
            context.send(peer, frame)
            continue
          }
          const at = now + delay
          let k = due.length
          due.push(at)
          peers.push(peer)
          for (; k > 0 && due[k - 1] > at; k--) {
            due[k] = due[k - 1]
            peers[k] = peers[k - 1]
          }
          due[k] = at
          peers[k] = peer
        }
        if (peers.length === 0) return
        const entry: Queued = { id: message.id, message, frame, peers, due, next: 0, waiting: peers.length }
        const previous = queued.get(message.id)
        if (previous != null) forget(previous)
        queued.set(message.id, entry)
        context.schedule(due[0] - now, entry)
        if (queued.size > maxQueued) {
          // bounded state: the oldest message goes out now to everyone still waiting
          const oldest = queued.values().next().value as Queued
          forget(oldest)
          for (const peer of oldest.peers) if (peer !== undefined) context.send(peer, oldest.frame)
        }
      }

      /** The peer has the message already: it needs no copy from us. */
      const drop = (id: MessageId, peer: PeerKey): void => {
        const entry = queued.get(id)
        if (entry == null) return
        const k = entry.peers.indexOf(peer, entry.next)
        if (k !== -1) skip(entry, k)
      }

      return {
        addPeer () {},
        removePeer (peer) {
          for (const id of [...queued.keys()]) drop(id, peer)
        },
        publish: message => { diffuse(message) },
        onMessage: (message, from) => { diffuse(message, from) },
        onDuplicate (id, from) { drop(id, from) },
        timer (timer) {
          // only this strategy schedules its timers, and each is a Queued entry
          const entry = timer as Queued
          if (entry.waiting > 0) advance(entry)
        }
      }
    }
  }
}
