import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { guardedYamux, rttFromKeepAlive } from './guarded-yamux.ts'
import { hostNoiseCrypto } from './noise-crypto.ts'
import { withCheapNoiseLengths } from './noise-length.ts'
import { withCachedSigning } from './signing-key.ts'
import { bootstrap } from '@libp2p/bootstrap'
import { identify, type Identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, type KadDHT, type KadDHTComponents } from '@libp2p/kad-dht'
import { memory } from '@libp2p/memory'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import { scoring, type Scoring } from '@hearsay/scoring'
import { gossip, type Gossip } from '@hearsay/gossip'
import { discovery, type Discovery } from '@hearsay/discovery'
import { fileIndex, type FileIndex } from '@hearsay/file-index'
import { mdns } from '@libp2p/mdns'
import type { Libp2p, ServiceMap } from '@libp2p/interface'
import { hideLoopbackWhenReachable } from './announce.ts'
import { bootstrapRedial } from './bootstrap-redial.ts'
import { InvalidOptionError } from './errors.ts'
import { leanComponentLogger } from './logger.ts'
import { combineGaters } from './gaters.ts'
import { closingIdleLookupConnections, LOOKUP_CONNECTION_IDLE_MS } from './lookup-connections.ts'
import { dhtComponents, withAddresslessPeersLookedUp, withSelfQueryOfPeers, withUnresponsivePeersRemoved, withoutClosestPeerTagger } from './dht-components.ts'
import { loadOrCreateIdentity, newIdentityKey } from './identity.ts'
import { coalescedTcp } from './coalesced-tcp.ts'
import { natByDefault, natParts, punchableTcp } from './nat.ts'
import { needsMemoryTransport, needsQuicTransport, p2pComponent, parseBootstrap, parseMultiaddrs, type HostOptions } from './options.ts'
import { pacedMemory } from './paced-memory.ts'
import { openDatastore, prepareDataDir, type HostDatastore } from './storage.ts'

/** The hearsay DHT's protocol id: a network of its own, apart from the IPFS DHT. */
export const HEARSAY_DHT_PROTOCOL = '/hearsay/kad/1.0.0'

/**
 * How often the DHT looks up its own id after the first time (`querySelfInterval`; kad-dht's
 * default is 5 minutes). A self-query that finds its neighbours (see `withSelfQueryOfPeers`)
 * dials those it is not connected to: every 5 minutes, at 1000 hosts of the `scale` bench, that
 * was 290 more connections opened a minute and 17 % more held. It is the DHT's only periodic
 * lookup: `@libp2p/kad-dht` 16.4's routing-table refresh never runs (its `RoutingTableRefresh`
 * has `afterStart` and `stop` but no `start`, so libp2p's `start()` passes it over), so between
 * two self-queries the routing table learns from the connections the host makes and the lookups
 * it runs.
 */
export const DHT_SELF_QUERY_INTERVAL_MS = 60 * 60_000

/**
 * The services a host runs unless its options leave them out (`gossip: false`, ...); see
 * {@link HostServices} for those of a given set of options.
 */
export interface DefaultServices extends ServiceMap {
  identify: Identify
  ping: Ping
  /** The Kademlia DHT (`@libp2p/kad-dht`) on `/hearsay/kad/1.0.0`; absent with `dht: false`. */
  dht: KadDHT
  /**
   * Misbehaviour scores and bans; every hearsay protocol reports into it (`PeerReporter`).
   * Absent with `scoring: false`.
   */
  scoring: Scoring
  /** Publish/subscribe with a relay strategy per topic (`@hearsay/gossip`); absent with `gossip: false`. */
  gossip: Gossip
  /**
   * Peer exchange and the eclipse-resistant address book (`@hearsay/discovery`); absent when
   * created with `discovery: false`.
   */
  discovery: Discovery
  /**
   * Files: content-addressed manifests, verified multi-peer piece download, search
   * (`@hearsay/file-index`); stored under `<dataDir>/files`, in memory without a `dataDir`.
   * Absent when created with `files: false`.
   */
  files: FileIndex
}

/** The names of the {@link DefaultServices}. */
export type DefaultServiceName = 'identify' | 'ping' | 'dht' | 'scoring' | 'gossip' | 'discovery' | 'files'

/** The names of the default services that options `O` leave out (`<name>: false`). */
export type LeftOut<O> = {
  [K in DefaultServiceName]: O extends Record<K, false> ? K : never
}[DefaultServiceName]

/**
 * The default services of a host created with options `O`: {@link DefaultServices}, with those
 * `O` leaves out typed `never`, so that using one does not compile (`node.services.gossip.publish`
 * after `gossip: false`) while the host still fits where any {@link Host} is expected.
 */
export type HostServices<O = unknown> = {
  [K in DefaultServiceName]: K extends LeftOut<O> ? never : DefaultServices[K]
}

/**
 * A hearsay host: a js-libp2p node with the default services (but those its options `O` left
 * out) and the caller's own `S`.
 */
export type Host<S extends ServiceMap = ServiceMap, O = unknown> = Libp2p<HostServices<O> & S>

/** Services that need others: libp2p would only say so at start, without naming an option. */
const NEEDS: Array<[service: DefaultServiceName, needs: DefaultServiceName]> = [
  ['dht', 'identify'],
  ['dht', 'ping'],
  ['files', 'dht']
]

/**
 * Create a js-libp2p 3 node with TCP + Noise + Yamux, identify, ping, a Kademlia DHT, scoring,
 * gossip, discovery and the file index (each can be left out: `gossip: false`, ...), plus the
 * services in `options.services`. It is started unless `options.start` is `false`.
 *
 * @throws {@link InvalidOptionError} naming the option when an address does not parse, the data
 * directory cannot be used, a listen address cannot be bound, or a service is left out that
 * another one needs (the DHT needs `identify` and `ping`; `files` needs the DHT)
 */
export async function createHost<S extends ServiceMap = ServiceMap, O extends HostOptions<S> = HostOptions<S>> (hostOptions: O & HostOptions<S> = {} as O): Promise<Host<NoInfer<S>, NoInfer<O>>> {
  // `O` only types the result; inside, the options are plain HostOptions
  const options: HostOptions<S> = hostOptions
  for (const [service, needs] of NEEDS) {
    if (options[service] !== false && options[needs] === false) {
      throw new InvalidOptionError(needs, `${service} needs ${needs}: leave both out (${service}: false) or keep ${needs}`)
    }
  }
  const { lookupConnectionIdleMs: lookupIdleMs = LOOKUP_CONNECTION_IDLE_MS, ...dhtInit } = options.dht !== false ? options.dht ?? {} : {}
  if (typeof lookupIdleMs !== 'number' || !(lookupIdleMs > 0)) {
    throw new InvalidOptionError('dht.lookupConnectionIdleMs', `must be a positive number of ms or Infinity, not ${String(lookupIdleMs)}`)
  }
  const listen = parseMultiaddrs('listen', options.listen ?? ['/ip4/127.0.0.1/tcp/0'])
  const bootstrapAddrs = parseBootstrap(options.bootstrap)

  let datastore: HostDatastore | undefined
  let privateKey = options.privateKey
  if (options.dataDir != null) {
    try {
      await prepareDataDir(options.dataDir)
      privateKey ??= await loadOrCreateIdentity(options.dataDir)
      datastore = await openDatastore(options.dataDir)
    } catch (err: any) {
      throw new InvalidOptionError('dataDir', `cannot use "${options.dataDir}": ${err?.message ?? err}`, { cause: err })
    }
  }

  const peerDiscovery: Array<NonNullable<Libp2pOptions['peerDiscovery']>[number]> = []
  if (bootstrapAddrs.length > 0) {
    peerDiscovery.push(bootstrap({
      list: bootstrapAddrs.map(a => a.toString()),
      timeout: 10,
      // a keep-alive tag makes libp2p's reconnect queue redial a bootstrap peer that drops
      tagName: 'keep-alive-hearsay-bootstrap'
    }))
  }

  if (options.mdns != null && options.mdns !== false) {
    peerDiscovery.push(mdns(options.mdns === true ? {} : options.mdns))
  }

  // NAT traversal (./nat.ts): relay, AutoNAT, DCUtR and the fixed TCP dial port, merged in below
  const announce = parseMultiaddrs('announce', options.announce)
  const nat = options.nat === false || (options.nat == null && !natByDefault(listen))
    ? undefined
    : await natParts(options.nat ?? {}, announce.length > 0)

  // one ledger per host: its gater refuses banned peers in both directions
  const scoringService = options.scoring === false ? undefined : scoring(options.scoring)
  const gater = scoringService?.connectionGater

  const libp2pOptions: Libp2pOptions<any> = {
    // made here when not given (libp2p would make the same kind) so that it too signs with a cached key
    privateKey: withCachedSigning(privateKey ?? await newIdentityKey()),
    datastore,
    addresses: {
      listen: [...listen.map(a => a.toString()), ...(nat?.listen ?? [])],
      announceFilter: hideLoopbackWhenReachable(listen),
      ...(announce.length > 0 ? { appendAnnounce: announce.map(a => a.toString()) } : {})
    },
    transports: [
      // ./nat.ts: hole-punched TCP connections need a settled handshake role
      // ./coalesced-tcp.ts: one write per tick to the kernel
      coalescedTcp((nat != null ? punchableTcp : (t: ReturnType<typeof tcp>) => t)(tcp({
        ...options.tcp,
        // @libp2p/tcp hands dialOpts to net.connect, so localAddress reaches the socket
        dialOpts: {
          ...nat?.tcpDialOpts,
          ...options.tcp?.dialOpts,
          ...(options.dialFrom != null ? { localAddress: options.dialFrom } : {})
        }
      }))),
      // ./paced-memory.ts: data arrives in tasks, as from a socket, so timers run between
      ...(needsMemoryTransport(listen) ? [pacedMemory(memory())] : []),
      // loaded only when asked for: a native module a TCP-only host need not carry
      ...(needsQuicTransport(listen) ? [(await import('@chainsafe/libp2p-quic')).quic(options.quic)] : []),
      ...(nat?.transports ?? [])
    ],
    // ./noise-length.ts: Noise's length decoder built an Error for every message received
    connectionEncrypters: [withCheapNoiseLengths(noise({ crypto: hostNoiseCrypto }))],
    streamMuxers: [guardedYamux()],
    peerDiscovery,
    metrics: options.metrics,
    // a logger per connection and per stream, made cheap while nobody enables it
    logger: leanComponentLogger(),
    services: {
      ...(options.identify !== false ? { identify: identify(options.identify) } : {}),
      // the DHT pings through this service too (and libp2p's connection monitor, if turned on):
      // one stream per direction (the default) makes an application's ping fail when it meets theirs
      ...(options.ping !== false ? { ping: ping({ maxInboundStreams: 4, maxOutboundStreams: 4, ...options.ping }) } : {}),
      ...(options.dht !== false
        ? {
            // ./dht-components.ts: the DHT neither dials to ping nor pins connections, and its
            // periodic self-query finds its neighbours instead of aborting every dial it began, and
            // its routing table forgets peers that fail a request unconnected, and findPeer asks
            // the network for a peer it knows no address of; ./lookup-connections.ts: the
            // connections its queries dialled are closed once idle
            dht: (components: KadDHTComponents) => withoutClosestPeerTagger(withAddresslessPeersLookedUp(withUnresponsivePeersRemoved(withSelfQueryOfPeers(kadDHT({
              protocol: HEARSAY_DHT_PROTOCOL,
              clientMode: false,
              peerInfoMapper: passthroughMapper,
              querySelfInterval: DHT_SELF_QUERY_INTERVAL_MS,
              // every query waits for the first self-query, which kad-dht starts 1 s after start
              initialQuerySelfInterval: 0,
              ...dhtInit
            })(dhtComponents(lookupIdleMs === Infinity ? components : closingIdleLookupConnections(components, { idleMs: lookupIdleMs })))), components)), components.peerStore)
          }
        : {}),
      ...(scoringService != null ? { scoring: scoringService } : {}),
      ...(options.gossip !== false ? { gossip: gossip(options.gossip) } : {}),
      ...(options.discovery !== false ? { discovery: discovery(options.discovery ?? {}) } : {}),
      ...(options.files !== false
        ? { files: fileIndex({ ...options.files, dataDir: options.files?.dataDir ?? (options.dataDir != null ? join(options.dataDir, 'files') : undefined) }) }
        : {}),
      // DNS seeds name no single peer: @libp2p/bootstrap resolves them, the redialer skips them
      ...(bootstrapAddrs.some(a => p2pComponent(a) != null)
        ? { bootstrapRedial: bootstrapRedial({ list: bootstrapAddrs.filter(a => p2pComponent(a) != null) }) }
        : {}),
      ...nat?.services,
      ...options.services
    },
    // libp2p's connection monitor opened a ping stream from both ends of every connection, every
    // interval, to learn round-trip times (and find dead connections): guardedYamux's keep-alive
    // pings learn both without a stream, and rttFromKeepAlive below makes them `connection.rtt`
    connectionMonitor: { enabled: false },
    ...options.libp2p,
    connectionGater: options.libp2p?.connectionGater == null
      ? gater
      : gater == null ? options.libp2p.connectionGater : combineGaters(gater, options.libp2p.connectionGater),
    start: false
  }

  let node: Host<S, O>
  try {
    node = await createLibp2p(libp2pOptions) as Host<S, O>
  } catch (err) {
    await datastore?.close()
    throw err
  }
  // puts the accessor on libp2p's connection class at the first connection (libp2p runs its
  // services' listeners of this event first; they read no rtt then, as none is measured yet)
  node.addEventListener('connection:open', event => { rttFromKeepAlive(event.detail) })

  if (options.start !== false) {
    try {
      await node.start()
    } catch (err: any) {
      await Promise.resolve(node.stop()).catch(() => {})
      await datastore?.close()
      throw listenError(err) ?? err
    }
  }
  return node
}

/** Name the `listen` option when a transport failed to bind, since that is what a user must change. */
function listenError (err: any): InvalidOptionError | undefined {
  const text = `${err?.name ?? ''} ${err?.code ?? ''} ${err?.message ?? ''} ${err?.cause?.code ?? ''}`
  if (/EADDRINUSE|EADDRNOTAVAIL|EACCES|NoValidAddresses|listen/i.test(text)) {
    return new InvalidOptionError('listen', err?.message ?? String(err), { cause: err })
  }
  return undefined
}
