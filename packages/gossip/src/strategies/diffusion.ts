import { exponential } from '@hearsay/sansio'
import type { Direction, GossipMessage, MessageId, PeerKey, StrategyContext, StrategySpec } from '@hearsay/interface'

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

/** A diffusion timer: send `id` to `peer` now. */
export interface DiffusionTimer {
  id: MessageId
  peer: PeerKey
}

interface Queued {
  message: GossipMessage
  /** peers that still need it */
  waiting: Set<PeerKey>
}

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

      const send = (message: GossipMessage, peer: PeerKey): void => {
        context.send(peer, { type: 'message', message })
      }

      const diffuse = (message: GossipMessage, except?: PeerKey): void => {
        const entry: Queued = { message, waiting: new Set() }
        for (const [peer, direction] of context.peers()) {
          if (peer === except) continue
          const delay = exponential(context.rng, meanFor(direction))
          if (delay <= 0) {
            send(message, peer)
            continue
          }
          entry.waiting.add(peer)
          context.schedule(delay, { id: message.id, peer })
        }
        if (entry.waiting.size === 0) return
        queued.set(message.id, entry)
        if (queued.size > maxQueued) {
          // bounded state: the oldest message goes out now to everyone still waiting
          const [oldestId, oldest] = queued.entries().next().value as [MessageId, Queued]
          queued.delete(oldestId)
          for (const peer of oldest.waiting) send(oldest.message, peer)
        }
      }

      const meanFor = (direction: Direction): number => means[direction]

      return {
        addPeer () {},
        removePeer (peer) {
          for (const [id, entry] of queued) {
            entry.waiting.delete(peer)
            if (entry.waiting.size === 0) queued.delete(id)
          }
        },
        publish: message => { diffuse(message) },
        onMessage: (message, from) => { diffuse(message, from) },
        onDuplicate (id, from) {
          // the peer has it already: no need to send it
          const entry = queued.get(id)
          if (entry == null) return
          entry.waiting.delete(from)
          if (entry.waiting.size === 0) queued.delete(id)
        },
        timer ({ id, peer }) {
          const entry = queued.get(id)
          if (entry?.waiting.delete(peer) !== true) return
          if (entry.waiting.size === 0) queued.delete(id)
          send(entry.message, peer)
        }
      }
    }
  }
}
