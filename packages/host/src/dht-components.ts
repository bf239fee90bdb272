import { KEEP_ALIVE, isPeerId, type PeerData, type PeerId, type PeerStore, type RoutingOptions } from '@libp2p/interface'
import type { KadDHT, KadDHTComponents, QueryEvent } from '@libp2p/kad-dht'
import { overriding } from './overriding.ts'

/**
 * The tags `@libp2p/kad-dht` (16.x) puts on the peers closest to its own id, every 5 s as that set
 * changes (`routing-table/closest-peers.js`; neither name can be changed from its options):
 * `kad-close` (value 50) and libp2p's `keep-alive-kad-dht`.
 */
const CLOSEST_PEER_TAGS = [`${KEEP_ALIVE}-kad-dht`, 'kad-close']

/** The error a DHT ping to a peer with no open connection rejects with. */
class NotConnectedError extends Error {
  override name = 'NotConnectedError'
}

/**
 * The components of the DHT, adapted so that the DHT never decides which connections the host
 * keeps — discovery does (its outbound target by netgroup, its inbound limit with eviction):
 *
 * - a ping that never dials. `@libp2p/kad-dht` pings a new contact before it adds it to its routing
 *   table, and the oldest contacts of a full bucket before it evicts them; through libp2p's ping
 *   service each of those dials a peer that is no longer connected. At steady state the new
 *   contacts it is late to ping were mostly discovery's feelers, then closed after a 2 s hold (now
 *   dropped as soon as they connect, before identify): the DHT dialled them again at once (at 1000 hosts of the `scale` bench, most of its dials). Here a peer
 *   with no open connection counts as unanswered: a new contact is not added, and an old one gives
 *   its place to a connected peer — the table keeps peers known to be reachable now, and the DHT's
 *   queries (its self-query, the lookups the host runs) still dial whom they need.
 * - a peer store that never takes the DHT's closest-peer tags (`CLOSEST_PEER_TAGS`). Its
 *   `keep-alive` tag made libp2p keep a connection to each of the DHT's 20 closest peers and redial
 *   it whenever it closed (libp2p's reconnect queue), and discovery leave open its feelers to them:
 *   at 1000 hosts the connections kept growing past discovery's target, and each closest-set change
 *   was a peer-store write and a `peer:update` event. A write of those tags is dropped, and removes
 *   them where an older version left them (a `dataDir`'s peer store); the DHT's other writes (its
 *   routing-table tag, addresses) pass through.
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
  return overriding(components, { ping, peerStore: withoutClosestPeerTags(components.peerStore) })
}

function connected (components: Pick<KadDHTComponents, 'connectionManager'>, peer: PeerId): boolean {
  return components.connectionManager.getConnections(peer).some(c => c.status === 'open')
}

/** `peerStore`, but a `merge` that sets none of `CLOSEST_PEER_TAGS` (and clears any it finds). */
function withoutClosestPeerTags (peerStore: PeerStore): PeerStore {
  const merge: PeerStore['merge'] = async (peer, data, options) => {
    const tags = data.tags
    if (tags == null || !CLOSEST_PEER_TAGS.some(tag => Object.hasOwn(tags, tag))) return peerStore.merge(peer, data, options)
    const kept: NonNullable<PeerData['tags']> = Object.fromEntries(Object.entries(tags).filter(([tag]) => !CLOSEST_PEER_TAGS.includes(tag)))
    const existing = await peerStore.get(peer, options).catch(() => undefined)
    const stale = CLOSEST_PEER_TAGS.filter(tag => existing?.tags.has(tag) === true)
    const rest = Object.keys(data).some(key => key !== 'tags')
    // nothing left to write: no peer-store write, no `peer:update` event
    if (existing != null && stale.length === 0 && Object.keys(kept).length === 0 && !rest) return existing
    for (const tag of stale) kept[tag] = undefined
    return peerStore.merge(peer, { ...data, tags: kept }, options)
  }
  return overriding(peerStore, { merge })
}

/**
 * `dht`, whose closest-peer tagger stops as soon as the DHT has started. Its only output is the
 * tags {@link dhtComponents}' peer store drops, but every 5 s it compares the closest peers of
 * the moment with the last ones, turning each id back from a string (at 1000 hosts of the `scale`
 * bench about 2 % of an idle process's CPU, before its garbage). The tagger is a private part of
 * `@libp2p/kad-dht` 16 (`routingTable.closestPeerTagger`): if a later version moves it, the DHT
 * runs as before and only this saving is lost. With the tagger stopped, its tags left in
 * `peerStore` by an older version (a `dataDir`'s peer store) would never be written over, and
 * libp2p would keep redialling those peers: they are cleared once, after start, in the background.
 */
export function withoutClosestPeerTagger (dht: KadDHT, peerStore: PeerStore): KadDHT {
  const internals = dht as unknown as { start: () => Promise<void>, routingTable?: { closestPeerTagger?: { stop?: () => void } } }
  return overriding(dht, {
    start: async () => {
      await internals.start()
      internals.routingTable?.closestPeerTagger?.stop?.()
      // a store closed by a stop that came first is no reason to fail the start
      clearClosestPeerTags(peerStore).catch(() => {})
    }
  })
}

/** The parts of `@libp2p/kad-dht` 16's self-query {@link withSelfQueryOfPeers} reaches (private). */
interface SelfQueryInternals {
  querySelf?: {
    initialQuerySelfHasRun?: unknown
    peerRouting?: { getClosestPeers?: (key: Uint8Array, options?: object) => AsyncIterable<{ name: string }> }
  }
}

/**
 * `dht`, whose periodic self-query looks for the peers closest to its own id until it has them.
 * `@libp2p/kad-dht` 16.4 ends its self-query after the first 20 (K) events of the lookup, where it
 * meant 20 peers: every event counts (a dial begun, a query sent, a reply), and the 20 starting
 * peers' dial events come first. So each self-query, every 5 minutes, began up to 20 dials and
 * aborted them all at once, having asked nobody: at 1000 hosts of the `scale` bench, 360–1080
 * aborted dials a minute, each a Noise handshake begun at both ends for nothing. Here a periodic
 * self-query counts only the peers found (the lookup's final events), so it walks to its
 * neighbourhood as Kademlia intends, within the DHT's 5 s bound for it. The first self-query,
 * which every other query waits for after start, is left as it is: it has no time bound, and a
 * full lookup would hold back a host's first provide or search. A later version that moves these
 * private parts keeps its own behaviour.
 */
export function withSelfQueryOfPeers (dht: KadDHT): KadDHT {
  const querySelf = (dht as unknown as SelfQueryInternals).querySelf
  const routing = querySelf?.peerRouting
  const getClosestPeers = routing?.getClosestPeers?.bind(routing)
  if (querySelf == null || routing == null || getClosestPeers == null) return dht
  querySelf.peerRouting = overriding(routing, {
    getClosestPeers: async function * (key: Uint8Array, options?: object) {
      const initial = querySelf.initialQuerySelfHasRun != null
      for await (const event of getClosestPeers(key, options)) {
        if (initial || event.name === 'FINAL_PEER') yield event
      }
    }
  })
  return dht
}

/** The parts of `@libp2p/kad-dht` 16 {@link withUnresponsivePeersRemoved} reaches (private). */
interface RequestInternals {
  network?: {
    sendRequest?: (to: PeerId, message: object, options?: { signal?: AbortSignal }) => AsyncGenerator<{ name: string }>
  }
  routingTable?: { remove?: (peer: PeerId) => Promise<void> }
}

/**
 * `dht`, whose routing table forgets a peer that failed a request while nothing holds a
 * connection to it: it could not be dialled, or it dropped the connection it was asked over.
 * `@libp2p/kad-dht` 16 removes a contact only to make room in a full bucket, so the contacts that
 * left the network stay in every bucket that is not full, the deep ones nearest the host's own id
 * above all, and every lookup that passes them dials them again (on the internet, a dial timeout
 * each). On 100 testnet hosts of which half stopped, a third of the survivors' routing-table
 * entries were departed peers 30 s later, and still 14 % after three rounds of one lookup per host
 * (new contacts only diluted them); 1.4 % with this. Removed as
 * go-libp2p-kad-dht removes a peer that fails a query. A request abandoned by its caller (a
 * lookup that ended, a stop) says nothing of the peer, and a peer still connected (a slow
 * answer, a stream refused) is kept: it is reachable now, and stays if the connection does. A
 * peer removed by mistake comes back when it next connects, as any contact does. A later version
 * that moves these private parts keeps its own behaviour.
 */
export function withUnresponsivePeersRemoved (dht: KadDHT, components: Pick<KadDHTComponents, 'connectionManager'>): KadDHT {
  const internals = dht as unknown as RequestInternals
  const network = internals.network
  const sendRequest = network?.sendRequest?.bind(network)
  const remove = internals.routingTable?.remove?.bind(internals.routingTable)
  if (network == null || sendRequest == null || remove == null) return dht
  network.sendRequest = async function * (to, message, options) {
    for await (const event of sendRequest(to, message, options)) {
      if (event.name === 'QUERY_ERROR' && options?.signal?.aborted !== true && !connected(components, to)) {
        remove(to).catch(() => {})
      }
      yield event
    }
  }
  return dht
}

/**
 * `dht`, whose `findPeer` asks the network when all the host knows of the peer is a record with
 * no address. `@libp2p/kad-dht` 16 answers from the peer store whenever it holds a record for the
 * peer, addresses or none, and libp2p's `peerRouting.findPeer` returns that answer: a peer that
 * has just connected to the host (identify not done yet), or one the host only tagged, came back
 * with no address to dial. Then the lookup runs as if the cache were off; if the network does not
 * find the peer either, the record is the answer, as before. The DHT's peer router calls this
 * method on the DHT itself, so it is replaced there (a method of `@libp2p/kad-dht` 16's public
 * `KadDHT` interface).
 */
export function withAddresslessPeersLookedUp (dht: KadDHT): KadDHT {
  const findPeer = dht.findPeer.bind(dht)
  const lookup = async function * (id: PeerId, options: RoutingOptions = {}): AsyncGenerator<QueryEvent> {
    // a caller who turned the cache or the network off gets the DHT's own lookup
    if (options.useCache === false || options.useNetwork === false) return yield * findPeer(id, options)
    let local: QueryEvent | undefined
    for await (const event of findPeer(id, options)) {
      // the local answer comes first and alone; a network answer is yielded as it is
      if (event.name === 'FINAL_PEER' && event.peer.multiaddrs.length === 0) {
        local = event
        break
      }
      yield event
    }
    if (local == null) return
    try {
      yield * findPeer(id, { ...options, useCache: false })
    } catch (err) {
      // the network's "not found" (an abort, or any other failure, is the caller's to see)
      if ((err as Error).name !== 'NotFoundError') throw err
      yield local
    }
  }
  ;(dht as { findPeer: KadDHT['findPeer'] }).findPeer = lookup
  return dht
}

/** Remove `CLOSEST_PEER_TAGS` from every peer of `peerStore` that has one. */
async function clearClosestPeerTags (peerStore: PeerStore): Promise<void> {
  const tagged = await peerStore.all({ filters: [peer => CLOSEST_PEER_TAGS.some(tag => peer.tags.has(tag))] })
  const cleared = Object.fromEntries(CLOSEST_PEER_TAGS.map(tag => [tag, undefined]))
  for (const peer of tagged) await peerStore.merge(peer.id, { tags: cleared })
}
