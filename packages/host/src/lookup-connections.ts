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
/**
 * How long before a relayed connection closed the direct one that replaced it may have opened:
 * `@libp2p/dcutr` dials the direct connection and closes the relayed one under one 5 s timeout
 * (its default), so twice that.
 */
const UPGRADE_WINDOW_MS = 10_000
/** Circuit relay v2's protocols (`hop`, `stop`): their streams carry relayed connections. */
const CIRCUIT_RELAY_PREFIX = '/libp2p/circuit/relay/'

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
  /** when the DHT last opened a stream on it, this host opened another non-ambient one, or one was seen open at a sweep */
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
 * that the DHT's own request dialled (whether the request then succeeded or not) is closed,
 * gracefully, once for `idleMs` the DHT has opened no stream on it, this host opened no other
 * stream on it, and no such stream was open at a sweep (every 10 s); unless its peer holds a
 * `keep-alive` tag. Streams the host's services open on every connection (identify, ping, the DHT,
 * gossip, peer exchange, DCUtR) do not count; any other does (a download, a relayed connection
 * through the peer, an application's request). A peer's own short requests on it are seen only if
 * open at a sweep: the peer redials if its request finds the connection gone. A connection that
 * was open before the DHT asked (discovery's, an inbound one, an application's) is never touched;
 * one the DHT dialled stays the DHT's even if an application is handed it (libp2p's `dial()` of a
 * connected peer returns the open connection). A relayed connection the DHT dialled (to a peer
 * behind a NAT, known by its relay address) is the DHT's too, and so is the direct connection
 * DCUtR replaces it with (noticed at the next sweep). Discovery sees the close as any other and keeps its
 * target with peers it chose itself.
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
  // and every protocol a topology is registered for (the DHT, gossip, gossipsub, DCUtR: their
  // services open a stream to each peer that connects) but circuit relay's, whose transport
  // registers one to find relays while its streams carry relayed connections. Any other stream
  // (a download, a relayed connection, an application's request) is someone using the connection.
  const ambient = (protocol: string): boolean =>
    !protocol.startsWith(CIRCUIT_RELAY_PREFIX) && (
      protocol === PEX_PROTOCOL || protocol.startsWith('/ipfs/id/') || protocol.startsWith('/ipfs/ping/') ||
      components.registrar.getTopologies(protocol).length > 0)
  const busy = (connection: Connection): boolean =>
    connection.streams.some((stream: Stream) => !ambient(stream.protocol))

  const keptAlive = async (peer: PeerId): Promise<boolean> => {
    const record = await components.peerStore.get(peer).catch(() => undefined)
    if (record == null) return false
    for (const tag of record.tags.keys()) if (tag.startsWith(KEEP_ALIVE)) return true
    return false
  }

  /** Remember a connection the DHT dialled; a stream this host opens on it (not ambient) is a use. */
  const remember = (connection: Connection): void => {
    const entry: Borrowed = { connection, usedAt: Date.now() }
    borrowed.set(connection.id, entry)
    // an application's short request, opened and done between two sweeps, is seen here
    const newStream = connection.newStream.bind(connection)
    connection.newStream = async (protocols, options) => {
      const stream = await newStream(protocols, options)
      if (!ambient(stream.protocol)) entry.usedAt = Date.now()
      return stream
    }
    arm()
  }

  /** Whether `entry` is open and unused for `idleMs`, a stream open on it now counting as a use. */
  const idle = (entry: Borrowed): boolean => {
    if (busy(entry.connection)) entry.usedAt = Date.now()
    return entry.connection.status === 'open' && Date.now() - entry.usedAt >= idleMs
  }

  /**
   * The direct connection that replaced `closed`, a relayed one, as DCUtR replaces it: opened
   * while `closed` was open, at most {@link UPGRADE_WINDOW_MS} before it closed (DCUtR closes
   * the relayed connection as soon as the direct one is up), nobody's already; the newest such.
   */
  const directSuccessor = (closed: Connection): Connection | undefined => {
    const closedAt = closed.timeline.close
    if (closed.direct || closedAt == null) return undefined
    let newest: Connection | undefined
    for (const c of manager.getConnections(closed.remotePeer)) {
      const opened = c.timeline.open
      if (!c.direct || c.status !== 'open' || borrowed.has(c.id)) continue
      if (opened < closed.timeline.open || opened > closedAt || closedAt - opened > UPGRADE_WINDOW_MS) continue
      if (newest == null || opened > newest.timeline.open) newest = c
    }
    return newest
  }

  const sweep = async (): Promise<void> => {
    timer = undefined
    try {
      for (const [id, entry] of [...borrowed]) {
        // a closing connection has no close time yet: it is looked at again at the next sweep
        if (entry.connection.status === 'closing') continue
        if (entry.connection.status !== 'open') {
          borrowed.delete(id)
          // DCUtR replaced a relayed connection the DHT dialled: the direct one is the DHT's too
          const upgrade = directSuccessor(entry.connection)
          if (upgrade != null) remember(upgrade)
          continue
        }
        // a kept-alive peer's connection stays remembered: the tag may go (a relay reservation's ends)
        if (!idle(entry) || await keptAlive(entry.connection.remotePeer)) continue
        // the DHT or an application may have used it while the peer store answered
        if (!idle(entry)) continue
        borrowed.delete(id)
        entry.connection.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) }).catch((err: Error) => { entry.connection.abort(err) })
      }
    } finally {
      arm()
    }
  }

  const arm = (): void => {
    if (timer != null || borrowed.size === 0) return
    timer = setTimeout(() => { void sweep() }, sweepMs)
    // a host that stops closes these connections itself: the timer never holds a process open
    timer.unref?.()
  }

  const openStream: KadDHTComponents['connectionManager']['openStream'] = async (to, protocol, options) => {
    if (!isPeerId(to)) return await manager.openStream(to, protocol, options)
    const before = new Set(manager.getConnections(to).map(c => c.id))
    try {
      return await manager.openStream(to, protocol, options)
    } finally {
      // whether the stream opened or not (a lookup that ended aborts requests in flight, a peer
      // may refuse the protocol, a relayed connection takes no DHT stream): a connection that
      // this call dialled is the DHT's, and one it had dialled before was used again
      for (const connection of manager.getConnections(to)) {
        const entry = borrowed.get(connection.id)
        if (entry != null) entry.usedAt = Date.now()
        else if (!before.has(connection.id) && connection.direction === 'outbound' && connection.status === 'open') remember(connection)
      }
    }
  }

  return overriding(components, { connectionManager: overriding(manager, { openStream }) })
}
