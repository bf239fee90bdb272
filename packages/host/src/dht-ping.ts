import { isPeerId, type PeerId } from '@libp2p/interface'
import type { KadDHTComponents } from '@libp2p/kad-dht'
import { overriding } from './overriding.ts'

/** The error a DHT ping to a peer with no open connection rejects with. */
class NotConnectedError extends Error {
  override name = 'NotConnectedError'
}

/**
 * The components of the DHT, but with a ping that never dials. `@libp2p/kad-dht` pings a new
 * contact before it adds it to its routing table, and the oldest contacts of a full bucket before
 * it evicts them; through libp2p's ping service each of those dials a peer that is no longer
 * connected. At steady state the new contacts it is late to ping are mostly discovery's feelers,
 * closed after their 2 s hold: the DHT dialled them again at once (at 1000 hosts of the `scale`
 * bench, most of its dials). Here a peer with no open connection counts as unanswered: a new
 * contact is not added, and an old one gives its place to a connected peer — the table keeps
 * peers known to be reachable now, and the DHT's queries (its self-query and table refresh) still
 * dial whom they need.
 */
export function dhtComponents (components: KadDHTComponents): KadDHTComponents {
  const ping: KadDHTComponents['ping'] = {
    ping: async (peer, options) => {
      if (isPeerId(peer) && !connected(components, peer)) {
        throw new NotConnectedError(`${peer.toString()} is not connected: the DHT does not dial to ping`)
      }
      return components.ping.ping(peer, options)
    }
  }
  return overriding(components, { ping })
}

function connected (components: KadDHTComponents, peer: PeerId): boolean {
  return components.connectionManager.getConnections(peer).some(c => c.status === 'open')
}
