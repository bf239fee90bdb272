import { sample } from '@hearsay/sansio'
import type { GossipMessage, PeerKey, StrategyContext, StrategySpec } from '@hearsay/interface'

/** Options of {@link gnutella}. */
export interface GnutellaOptions {
  /** Hops a message travels from its publisher. @default 7 (Gnutella's) */
  ttl?: number
  /**
   * Peers each node forwards a message to, chosen at random per message: the notes' "infection
   * factor". @default every subscribed peer but the sender (classic Gnutella)
   */
  fanout?: number
  /**
   * Largest TTL + hops accepted. A received frame claiming more has its TTL cut so that
   * TTL + hops equals this, as Gnutella servents do, so no peer can send a message further.
   * @default 16, or `ttl` when larger
   */
  maxTtl?: number
}

/**
 * Gnutella's TTL-bounded flooding. The publisher sends with `ttl` and `hops = 0`; each node
 * that receives a new message decrements TTL, increments hops and forwards to `fanout` random
 * peers while TTL is above 0 — so a message reaches nodes up to `ttl` hops away and no further.
 */
export function gnutella (options: GnutellaOptions = {}): StrategySpec<never> {
  const ttl = options.ttl ?? 7
  const maxTtl = options.maxTtl ?? Math.max(16, ttl)
  if (!Number.isInteger(ttl) || ttl < 1) throw new RangeError('gnutella: ttl must be an integer >= 1')
  if (!Number.isInteger(maxTtl) || maxTtl < ttl) throw new RangeError('gnutella: maxTtl must be an integer >= ttl')
  if (options.fanout != null && (!Number.isInteger(options.fanout) || options.fanout < 1)) {
    throw new RangeError('gnutella: fanout must be an integer >= 1')
  }
  return {
    name: 'gnutella',
    create: (context: StrategyContext<never>) => {
      const forward = (message: GossipMessage, ttlLeft: number, hops: number, except?: PeerKey): void => {
        const candidates = [...context.peers().keys()].filter(peer => peer !== except)
        const targets = options.fanout == null ? candidates : sample(context.rng, candidates, options.fanout)
        const frame = { type: 'message', message, ttl: ttlLeft, hops } as const
        for (const peer of targets) context.send(peer, frame)
      }
      return {
        addPeer () {},
        removePeer () {},
        publish: message => { forward(message, ttl, 0) },
        onMessage: (message, from, hop) => {
          const hops = Math.max(0, hop.hops ?? 0)
          const received = Math.min(Math.max(0, hop.ttl ?? 0), Math.max(0, maxTtl - hops))
          const left = received - 1
          if (left > 0) forward(message, left, hops + 1, from)
        },
        timer () {}
      }
    }
  }
}
