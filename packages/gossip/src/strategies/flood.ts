import type { GossipMessage, PeerKey, StrategyContext, StrategySpec } from '@hearsay/interface'

/**
 * Flooding, Bitcoin's original relay: every new message goes at once to every subscribed peer
 * but the one it came from. Fastest and most wasteful: each node receives a copy per neighbour.
 */
export function flood (): StrategySpec<never> {
  return {
    name: 'flood',
    create: (context: StrategyContext<never>) => {
      const relay = (message: GossipMessage, except?: PeerKey): void => {
        // one frame for every peer: frames are never changed once sent
        const frame = { type: 'message', message } as const
        for (const peer of context.peers().keys()) {
          if (peer !== except) context.send(peer, frame)
        }
      }
      return {
        addPeer () {},
        removePeer () {},
        publish: message => { relay(message) },
        onMessage: (message, from) => { relay(message, from) },
        timer () {}
      }
    }
  }
}
