import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { KadDHTInit } from '@libp2p/kad-dht'
import type { ScoringInit } from '@hearsay/scoring'
import type { GossipInit } from '@hearsay/gossip'
import type { DiscoveryInit } from '@hearsay/discovery'
import type { FileIndexInit } from '@hearsay/file-index'
import type { MulticastDNSInit } from '@libp2p/mdns'
import type { IdentifyInit } from '@libp2p/identify'
import type { PingInit } from '@libp2p/ping'
import type { TCPOptions } from '@libp2p/tcp'
import type { QuicOptions } from '@chainsafe/libp2p-quic'
import type { Libp2pOptions, ServiceFactoryMap } from 'libp2p'
import type { PrivateKey, ServiceMap } from '@libp2p/interface'
import { InvalidOptionError } from './errors.ts'
import type { NatInit } from './nat.ts'

/** The DHT's settings in {@link HostOptions}: `@libp2p/kad-dht`'s, and the host's own. */
export interface HostDHTInit extends KadDHTInit {
  /**
   * How long a connection the DHT dialled for a query stays open once nothing uses it (ms); then
   * it is closed gracefully, unless its peer has a `keep-alive` tag. `Infinity` keeps such
   * connections open (as plain kad-dht does: each lookup then leaves the host holding a
   * connection to most of the peers it asked). See the README's "Connections a lookup dialled".
   *
   * @default LOOKUP_CONNECTION_IDLE_MS (60 s)
   */
  lookupConnectionIdleMs?: number
}

/**
 * Options of {@link createHost}. Every one has a default; see each for it. Each service the host
 * runs by default (`identify`, `ping`, `dht`, `scoring`, `gossip`, `discovery`, `files`) takes its
 * settings or `false` to leave it out, and `node.services` then has no such member, in its type too.
 */
export interface HostOptions<S extends ServiceMap = ServiceMap> {
  /**
   * Multiaddrs to listen on. `/ip4|ip6/.../tcp/...` use TCP; `/ip4|ip6/.../udp/<port>/quic-v1`
   * adds QUIC (`@chainsafe/libp2p-quic`: the host then dials QUIC addresses too; see the README's
   * "TCP or QUIC"); `/memory/<name>` uses the in-memory transport (for tests). Pass
   * `/ip4/0.0.0.0/tcp/<port>` to accept other machines.
   *
   * @default ['/ip4/127.0.0.1/tcp/0'] — loopback, a free port
   */
  listen?: string[]
  /**
   * Multiaddrs of peers to join through, each ending in `/p2p/<peer id>`, or DNS seeds
   * (`/dnsaddr/<domain>`, resolved through DNS TXT records to many peers); dialled at start and
   * tagged so the connection manager keeps them.
   *
   * @default [] — a standalone node
   */
  bootstrap?: string[]
  /**
   * Directory for the identity key (`identity.key`, mode 0600) and a LevelDB datastore (peer
   * store, DHT records, hearsay state), so a restart keeps the same PeerId and knowledge.
   * Created if missing.
   *
   * @default undefined — an ephemeral identity and an in-memory datastore
   */
  dataDir?: string
  /**
   * Kademlia DHT settings, passed to `@libp2p/kad-dht` over hearsay's defaults, or `false` to
   * leave the DHT out (then `files: false` too, since the file index finds providers through it):
   * protocol `/hearsay/kad/1.0.0` (a network of its own, not the IPFS DHT), server mode
   * (`clientMode: false`, since hearsay networks are often LANs where autodetection would keep
   * every node a client), and all addresses kept (`passthroughMapper`, so loopback and LAN
   * addresses are shared; use `removePrivateAddressesMapper` on the public internet), and a
   * self-query every hour (`querySelfInterval`, `DHT_SELF_QUERY_INTERVAL_MS`). Whatever the
   * settings, the DHT keeps no connection open (its closest peers get no `keep-alive` tag) and its
   * routing-table pings never dial: discovery decides which connections the host keeps; and
   * the connections its lookups dialled close once idle (`lookupConnectionIdleMs`).
   */
  dht?: HostDHTInit | false
  /**
   * Identify settings (`@libp2p/identify`), or `false` to leave it out. The DHT needs it.
   *
   * @default identify's own defaults
   */
  identify?: IdentifyInit | false
  /**
   * Ping settings (`@libp2p/ping`), or `false` to leave it out. The DHT needs it.
   *
   * @default 4 inbound and 4 outbound streams per connection, so an application's pings never meet the DHT's (or libp2p's connection monitor's, if turned on)
   */
  ping?: PingInit | false
  /**
   * Scoring settings (`@hearsay/scoring`): threshold, ban duration, decay, your own infraction
   * weights, allow-list; or `false` to leave scoring out (the other services then only log
   * misbehaviour, and nobody is banned). Its connection gater refuses banned peers; a
   * `connectionGater` passed in `libp2p` is combined with it (denied if either denies).
   *
   * @default threshold 100, bans of 24 h, points halve every hour
   */
  scoring?: ScoringInit | false
  /**
   * Gossip settings (`@hearsay/gossip`): wire limits, per-peer rate limits, the embedded
   * gossipsub's options; or `false` to leave gossip out. Topics and their strategies are chosen
   * at `subscribe` time.
   *
   * @default 1 MiB messages, 2000 frames a second per peer, gossipsub available
   */
  gossip?: GossipInit | false
  /**
   * Discovery settings (`@hearsay/discovery`): outbound target, inbound limit, PEX and feeler
   * intervals, netgroup function; or `false` to leave peer exchange and the address book out.
   *
   * @default 8 outbound (one per netgroup), 64 inbound, PEX to a new outbound peer and every 10 min on average, 2 anchors
   */
  discovery?: DiscoveryInit | false
  /**
   * File index settings (`@hearsay/file-index`): piece size, upload slots and rate, search
   * backends; or `false` to leave it out (nothing is then written under `<dataDir>/files`).
   * Its store defaults to `<dataDir>/files`. It needs the DHT.
   *
   * @default 256 KiB pieces, DHT search, stored under the data directory (memory without one)
   */
  files?: FileIndexInit | false
  /**
   * Find peers on the local network with multicast DNS (`@libp2p/mdns`): `true` or its options.
   * Off by default: it announces the node to everyone on the LAN.
   *
   * @default false
   */
  mdns?: boolean | MulticastDNSInit
  /**
   * NAT traversal: AutoNAT, circuit relay v2 (reservations on relays; a relay server on hosts with
   * `announce` addresses), DCUtR hole punching, a fixed TCP dial port, optional UPnP; or `false`.
   * See the README's "Behind a NAT".
   *
   * @default on when a listen address is a non-loopback IP, off otherwise
   */
  nat?: NatInit | false
  /**
   * Addresses to announce as they are, without waiting for AutoNAT to confirm them: a server's
   * public address (`/ip4/<public ip>/tcp/4001`), or a name (`/dns4/example.org/tcp/4001`).
   *
   * @default [] — announce what AutoNAT and peers' observations confirmed
   */
  announce?: string[]
  /** Extra services to run on the host, keyed by name (`node.services.<name>`). */
  services?: ServiceFactoryMap<S>
  /** A libp2p metrics implementation, e.g. `prometheusMetrics()` from `@libp2p/prometheus-metrics`. */
  metrics?: Libp2pOptions['metrics']
  /** Options of the TCP transport. */
  tcp?: TCPOptions
  /** Options of the QUIC transport, which runs when a listen address is `/udp/<port>/quic-v1`. */
  quic?: Partial<QuicOptions>
  /**
   * Source IP of outgoing TCP connections. Set it to the host's own `127.A.B.C` when several
   * hosts share one machine, so each appears to its peers from its own address (and netgroup)
   * as it would on a real network; only loopback targets are reachable from a loopback source.
   *
   * @default undefined — the operating system chooses
   */
  dialFrom?: string
  /** Use this identity instead of the one in `dataDir` (or an ephemeral one). */
  privateKey?: PrivateKey
  /**
   * Start the node before returning it.
   *
   * @default true
   */
  start?: boolean
  /** Any other libp2p option; applied last, over what hearsay computed. */
  libp2p?: Partial<Libp2pOptions<ServiceMap>>
}

/** Parse a list of multiaddrs, naming the option that held the bad one. */
export function parseMultiaddrs (option: string, values: readonly string[] | undefined): Multiaddr[] {
  if (values != null && !Array.isArray(values)) {
    throw new InvalidOptionError(option, 'expected an array of multiaddr strings')
  }
  return (values ?? []).map(value => {
    try {
      return multiaddr(value)
    } catch (err: any) {
      throw new InvalidOptionError(option, `"${value}" is not a multiaddr (${err?.message ?? err})`, { cause: err })
    }
  })
}

/**
 * Bootstrap addresses must name the peer they reach, or nobody could authenticate it; a DNS
 * seed (`/dnsaddr/...`) names its peers in its TXT records instead.
 */
export function parseBootstrap (values: readonly string[] | undefined): Multiaddr[] {
  const addrs = parseMultiaddrs('bootstrap', values)
  for (const addr of addrs) {
    const dnsSeed = addr.getComponents()[0]?.name === 'dnsaddr'
    if (p2pComponent(addr) == null && !dnsSeed) {
      throw new InvalidOptionError('bootstrap', `"${addr.toString()}" has no /p2p/<peer id> component`)
    }
  }
  return addrs
}

/** The peer id string in an address's `/p2p/<id>` component, if it has one. */
export function p2pComponent (addr: Multiaddr): string | undefined {
  return addr.getComponents().find(c => c.name === 'p2p')?.value
}

/** Which transports the listen addresses need: memory when any is `/memory/...`. */
export function needsMemoryTransport (addrs: readonly Multiaddr[]): boolean {
  return addrs.some(addr => addr.getComponents().some(c => c.name === 'memory'))
}

/** Whether the listen addresses need QUIC: when any is `/udp/<port>/quic-v1`. */
export function needsQuicTransport (addrs: readonly Multiaddr[]): boolean {
  return addrs.some(addr => addr.getComponents().some(c => c.name === 'quic-v1'))
}
