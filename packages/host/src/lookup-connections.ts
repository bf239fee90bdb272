import { KEEP_ALIVE, isPeerId, type Connection, type PeerId, type Stream } from '@libp2p/interface'
import type { KadDHTComponents } from '@libp2p/kad-dht'
import { PEX_PROTOCOL } from '@hearsay/discovery'
import { overriding } from './overriding.ts'

/** How long a connection the DHT dialled stays open after its last use. */
export const LOOKUP_CONNECTION_IDLE_MS = 60_000
/** How often the connections the DHT dialled are looked at while there are any. */
const SWEEP_MS = 10_000
/** How long a graceful close may take before the connection is aborted. */
const CLOSE_TIMEOUT_MS = 5_000

/** Settings of {@link closingIdleLookupConnections}. */
export interface LookupConnectionsInit {
  /** @default LOOKUP_CONNECTION_IDLE_MS */
  idleMs?: number
  /** @default 10 s */
  sweepMs?: number
}

/** One connection the DHT dialled. */
interface Borrowed {
  connection: Connection
  /** when the DHT last opened a stream on it, or a non-ambient stream was last seen open on it */
  usedAt: number
}

/**
 * The DHT's components, whose connections dialled for a query are closed once idle. A Kademlia
 * lookup asks peers the host is not connected to: with `@libp2p/kad-dht` 16's defaults (10
 * disjoint paths of concurrency 10) one lookup on 100 testnet hosts dialled 90–154 of them, and
 * nothing closed those connections — discovery counts them toward its outbound target and never
 * trims above it, and libp2p prunes only past `maxConnections` — so every lookup (a
 * `hearsay-share get`, a `findPeer`) left the host and everyone it asked holding a network's
 * worth of connections more, each then a gossip neighbour with a keep-alive. Here a connection
 * that the DHT's own request dialled (none was open to the peer) is closed, gracefully, once
 * neither the DHT has opened a stream on it nor a non-ambient stream was open on it for `idleMs`,
 * unless its peer holds a `keep-alive` tag. Streams the host's services open on every connection
 * (identify, ping, the DHT, gossip, peer exchange) leave a connection idle; any other (a download,
 * a relayed connection, an application's) is a use. A connection that was open before the DHT asked
 * (discovery's, an inbound one, an application's) is never touched. Discovery sees the close as
 * any other and keeps its target with peers it chose itself.
 *
 * @param components - the DHT's components
 * @param init - how long idle is
 * @returns the same components, with a `connectionManager` that remembers what the DHT dialled
 */
export function closingIdleLookupConnections (components: KadDHTComponents, init: LookupConnectionsInit = {}): KadDHTComponents {
  const idleMs = init.idleMs ?? LOOKUP_CONNECTION_IDLE_MS
  const sweepMs = init.sweepMs ?? SWEEP_MS
  const manager = components.connectionManager
  const borrowed = new Map<string, Borrowed>()
  let timer: ReturnType<typeof setTimeout> | undefined

  // ambient: a stream any connection gets because it is open — identify, ping, peer exchange,
  // and every protocol a topology is registered for (the DHT, gossip, gossipsub: their services
  // open a stream to each peer that connects). Any other stream (a download, a relayed
  // connection, an application's request) is someone using the connection.
  const ambient = (protocol: string): boolean =>
    protocol === PEX_PROTOCOL || protocol.startsWith('/ipfs/id/') || protocol.startsWith('/ipfs/ping/') ||
    components.registrar.getTopologies(protocol).length > 0
  const busy = (connection: Connection): boolean =>
    connection.streams.some((stream: Stream) => stream.protocol != null && !ambient(stream.protocol))

  const keptAlive = async (peer: PeerId): Promise<boolean> => {
    const record = await components.peerStore.get(peer).catch(() => undefined)
    if (record == null) return false
    for (const tag of record.tags.keys()) if (tag.startsWith(KEEP_ALIVE)) return true
    return false
  }

  const close = (connection: Connection): void => {
    connection.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) }).catch((err: Error) => { connection.abort(err) })
  }

  const sweep = async (): Promise<void> => {
    timer = undefined
    const now = Date.now()
    for (const [id, entry] of [...borrowed]) {
      const { connection } = entry
      if (connection.status !== 'open') {
        borrowed.delete(id)
        continue
      }
      if (busy(connection)) entry.usedAt = now
      if (now - entry.usedAt < idleMs) continue
      borrowed.delete(id)
      if (!(await keptAlive(connection.remotePeer))) close(connection)
    }
    arm()
  }

  const arm = (): void => {
    if (timer != null || borrowed.size === 0) return
    timer = setTimeout(() => { void sweep() }, sweepMs)
    // a host that stops closes these connections itself: the timer never holds a process open
    timer.unref?.()
  }

  const openStream: KadDHTComponents['connectionManager']['openStream'] = async (to, protocol, options) => {
    const peer: PeerId | undefined = isPeerId(to) ? to : undefined
    const dialled = peer != null && !manager.getConnections(peer).some(c => c.status === 'open')
    const stream = await manager.openStream(to, protocol, options)
    if (peer == null) return stream
    const connection = manager.getConnections(peer).find(c => c.streams.includes(stream))
    if (connection == null) return stream
    const entry = borrowed.get(connection.id)
    if (entry != null) entry.usedAt = Date.now()
    else if (dialled && connection.direction === 'outbound') {
      borrowed.set(connection.id, { connection, usedAt: Date.now() })
      arm()
    }
    return stream
  }

  return overriding(components, { connectionManager: overriding(manager, { openStream }) })
}
