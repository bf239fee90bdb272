/**
 * NAT traversal for a host: AutoNAT to learn reachability, circuit relay v2 (client reservations,
 * and a server on public hosts), DCUtR to upgrade a relayed connection to a direct one, optional
 * UPnP, and the two things js-libp2p lacks for DCUtR over TCP: a fixed TCP dial port (so an
 * endpoint-independent NAT maps every dial to one outside port) and trust in the address peers
 * observe once several netgroups agree ({@link ObservedAddresses}).
 */
import { createServer } from 'node:net'
import { autoNAT, type AutoNATServiceInit } from '@libp2p/autonat'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayServerInit } from '@libp2p/circuit-relay-v2'
import { dcutr, type DCUtRServiceInit } from '@libp2p/dcutr'
import { uPnPNAT, type UPnPNATInit } from '@libp2p/upnp-nat'
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2pOptions } from 'libp2p'
import { ObservedAddresses, type ObservedAddressesInit } from './observed-addresses.ts'
import { overriding } from './overriding.ts'

/** Options of the host's `nat` option; every part can be turned off or tuned. */
export interface NatInit {
  /**
   * AutoNAT (`@libp2p/autonat`): ask peers to dial our addresses back, so a public address is
   * confirmed (and announced) and answer others' requests.
   *
   * @default true
   */
  autonat?: boolean | AutoNATServiceInit
  /**
   * Reserve a slot on relays among our peers (listen on `/p2p-circuit`), so peers can reach us
   * through them while we are behind a NAT. Relayed connections are limited in time and bytes.
   *
   * @default true
   */
  relayClient?: boolean
  /**
   * Relay for others (`@libp2p/circuit-relay-v2` server, with its reservation and per-connection
   * data and time limits). Only useful on a publicly reachable host.
   *
   * @default true when the host has `announce` addresses, false otherwise
   */
  relayServer?: boolean | CircuitRelayServerInit
  /**
   * DCUtR (`@libp2p/dcutr`): upgrade a relayed connection to a direct one by simultaneous dials.
   *
   * @default true
   */
  dcutr?: boolean | DCUtRServiceInit
  /**
   * Ask the home router for a port mapping with UPnP (`@libp2p/upnp-nat`). Off by default: it
   * opens a port on the router, which some users do not want.
   *
   * @default false
   */
  upnp?: boolean | UPnPNATInit
  /**
   * Local port every outgoing TCP connection leaves from. Node cannot dial from the listening port
   * (no `SO_REUSEPORT` on outgoing sockets), but dialling from one fixed port makes an
   * endpoint-independent NAT map all our dials to one outside port, which peers then observe and
   * DCUtR can punch. `0` picks a free port at creation; `false` dials from ephemeral ports (no TCP
   * hole punching).
   *
   * @default 0
   */
  tcpDialPort?: number | false
  /** When an address peers observe is trusted (and offered to DCUtR, never announced). */
  observedAddresses?: ObservedAddressesInit
}

/** The dial priority `@libp2p/dcutr` gives its hole-punching dials (and nothing else uses). */
const DCUTR_DIAL_PRIORITY = 100

type TransportFactory = (components: any) => any

/**
 * The host's TCP transport, ready for hole punching:
 *
 * - every dial leaves from the fixed dial port (`nat.tcpDialPort`), except a second one to an
 *   address the port already holds a connection to, and a dial whose 4-tuple still sits in
 *   `TIME_WAIT` (a minute after a close), which go again from an ephemeral port;
 * - on a hole punch both sockets are "outbound" (TCP simultaneous open), and DCUtR asks one side
 *   to respond (`initiator: false`; its dials reach the transport with their options, see
 *   `adaptedDcutr`). Multistream-select and Noise follow `initiator`, but Noise hands Yamux the
 *   socket's direction, and two Yamux clients kill the connection at its first stream ("Both
 *   endpoints are clients"): the responder's upgrader takes its socket for an inbound one.
 */
export function punchableTcp (factory: TransportFactory): TransportFactory {
  return (components) => {
    const transport = factory(components)
    const dial = transport.dial.bind(transport)
    transport.dial = async (ma: Multiaddr, options: any): Promise<unknown> => {
      const opts = options?.initiator === false ? { ...options, upgrader: responderUpgrader(options.upgrader) } : options
      // an explicit `localPort: undefined` overrides the transport's fixed one
      const ephemeral = { ...opts, localPort: undefined }
      if (holdsConnectionTo(components, ma)) return await dial(ma, ephemeral)
      return await dial(ma, opts).catch(async (err: any) => {
        if (!portTaken(err)) throw err
        return await dial(ma, ephemeral)
      })
    }
    return transport
  }
}

/** An upgrader that takes the dialled socket for an inbound one, so every layer above it responds. */
function responderUpgrader (upgrader: any): unknown {
  return overriding(upgrader, {
    upgradeOutbound: async (maConn: { direction: string }, options: unknown) => {
      maConn.direction = 'inbound'
      return await upgrader.upgradeOutbound(maConn, options)
    }
  })
}

/** Whether a dial failed because its local address and port could not be used for that remote. */
function portTaken (err: any): boolean {
  const codes = [err?.code, err?.cause?.code, ...(Array.isArray(err?.errors) ? err.errors.map((e: any) => e?.code) : [])]
  return codes.some(code => code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') || /EADDRINUSE|EADDRNOTAVAIL/.test(String(err?.message))
}

/** Whether some connection already goes to `ma`'s IP address and TCP port. */
function holdsConnectionTo (components: any, ma: Multiaddr): boolean {
  const key = (addr: Multiaddr): string => addr.getComponents().filter(c => c.name === 'ip4' || c.name === 'ip6' || c.name === 'tcp').map(c => c.value).join(':')
  const target = key(ma)
  const connections: Array<{ remoteAddr: Multiaddr }> = components.connectionManager?.getConnections?.() ?? []
  return connections.some(c => !c.remoteAddr.getComponents().some(x => x.name === 'p2p-circuit') && key(c.remoteAddr) === target)
}

/**
 * DCUtR adapted in two ways (`@libp2p/dcutr` 3.0 reads both from the components it is given):
 *
 * - its CONNECT message offers, besides the announced addresses, the NAT mappings peers agree on
 *   ({@link ObservedAddresses.trusted}): they are the addresses to punch, and are not announced to
 *   everyone (a plain dial to one fails and spoils a later punch; see `ObservedAddresses`);
 * - its punching dials go straight to the transport. Through libp2p's dial queue, a punch that
 *   finds a dial to the same peer already queued (the one that is opening the relayed connection,
 *   say) joins it and gets back that dial's connection — the relayed one — which DCUtR then takes
 *   for the direct connection and closes.
 */
function adaptedDcutr (factory: ServiceFactory, trusted: () => Multiaddr[]): ServiceFactory {
  return replacing(factory, {
    addressManager: (own, components) => overriding(own, {
      getAddresses: (): Multiaddr[] => {
        const announced: Multiaddr[] = own.getAddresses()
        const known = new Set(announced.map(String))
        const self = components.peerId.toString()
        const mappings = trusted().map(a => a.getComponents().some(c => c.name === 'p2p') ? a : a.encapsulate(`/p2p/${self}`))
        return [...announced, ...mappings.filter(a => !known.has(a.toString()))]
      }
    }),
    connectionManager: (own, components) => overriding(own, {
      openConnection: async (target: Multiaddr | Multiaddr[], options: any = {}) => {
        if (options.priority !== DCUTR_DIAL_PRIORITY || !Array.isArray(target)) return await own.openConnection(target, options)
        return await punch(target, options, components.transportManager)
      }
    })
  })
}

/**
 * Dial every address of `target` through the transports at once, for the first connection. DCUtR
 * gives its dials `AbortSignal.timeout(5 s)`, and a connection the upgrader takes for inbound keeps
 * listening to its dial's signal for the rest of its life: given as it is, the responder aborted
 * every punched connection 5 s after it opened (libp2p's dial queue gives the transport a signal of
 * its own). Each dial gets a signal that follows DCUtR's only until the first connection is there;
 * then the other dials are cancelled.
 */
async function punch (target: Multiaddr[], options: { signal?: AbortSignal }, transportManager: { dial: (ma: Multiaddr, options: any) => Promise<Connection> }): Promise<Connection> {
  const dials = target.map(() => new AbortController())
  const abortAll = (): void => { for (const dial of dials) dial.abort(options.signal?.reason) }
  options.signal?.addEventListener('abort', abortAll, { once: true })
  try {
    const [connection, winner] = await Promise.any(target.map(async (ma, i) => [await transportManager.dial(ma, { ...options, signal: dials[i].signal }), i] as const))
    dials.forEach((dial, i) => { if (i !== winner) dial.abort(new Error('another punch connected')) })
    return connection
  } finally {
    options.signal?.removeEventListener('abort', abortAll)
  }
}

/**
 * AutoNAT whose dial-backs open a connection of their own. `@libp2p/autonat` 3.0 dials a peer's
 * address back without `force`, so when we already hold a connection to that address (we dialled
 * the peer: a relay, a bootstrap node) it is handed the existing connection, reports the address
 * reachable without dialling anything, and then *closes* it — dropping our relay reservation and
 * every relayed connection through it. Forcing the dial makes the check real and closes only the
 * connection it opened.
 */
function forcingDialBack (factory: ServiceFactory): ServiceFactory {
  return replacing(factory, {
    connectionManager: own => overriding(own, {
      openConnection: async (target: unknown, options: Record<string, unknown> = {}) =>
        await own.openConnection(target, { ...options, force: true })
    })
  })
}

type ServiceFactory = (components: any) => unknown

/** `factory` given the libp2p components with some of them replaced. */
function replacing (factory: ServiceFactory, replace: Record<string, (own: any, components: any) => unknown>): ServiceFactory {
  return (components) => factory(overriding(components, Object.fromEntries(
    Object.entries(replace).map(([name, make]) => [name, make(components[name], components)])
  )))
}

/** What the host adds to its libp2p options for NAT traversal. */
export interface NatParts {
  transports: NonNullable<Libp2pOptions['transports']>
  services: Record<string, (components: any) => unknown>
  /** Extra listen addresses (`/p2p-circuit` for relay reservations). */
  listen: string[]
  /** Extra TCP dial options (the fixed local port). */
  tcpDialOpts: { localPort?: number }
}

/**
 * Whether NAT traversal is on when the user did not say: on for a host listening on a non-loopback
 * IP address (one other machines may reach, perhaps through a NAT), off for loopback and in-memory
 * hosts (tests and single-machine setups), where it would only add traffic.
 */
export function natByDefault (listen: readonly Multiaddr[]): boolean {
  return listen.some(addr => {
    const ip = addr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value
    return ip != null && !ip.startsWith('127.') && ip !== '::1'
  })
}

/** A TCP port free right now on every interface. */
async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address != null ? address.port : 0) })
    })
  })
}

const on = <T extends object>(value: boolean | T | undefined, byDefault: boolean): T | undefined =>
  value === false || (value == null && !byDefault) ? undefined : (value === true || value == null ? {} as T : value)

/** The transports, services, listen addresses and dial options for `nat`. */
export async function natParts (init: NatInit, hasAnnounce: boolean): Promise<NatParts> {
  const parts: NatParts = { transports: [], services: {}, listen: [], tcpDialOpts: {} }
  const relayClient = init.relayClient !== false
  const relayServer = on(init.relayServer, hasAnnounce)
  // the relay transport dials and accepts relayed connections; a relay server needs it too
  if (relayClient || relayServer != null) parts.transports.push(circuitRelayTransport())
  if (relayClient) parts.listen.push('/p2p-circuit')
  if (relayServer != null) parts.services.relay = circuitRelayServer(relayServer)
  const autonat = on(init.autonat, true)
  if (autonat != null) parts.services.autonat = forcingDialBack(autoNAT(autonat))
  let observed: ObservedAddresses | undefined
  parts.services.observedAddresses = (components: any) => (observed = new ObservedAddresses(components, init.observedAddresses))
  const dcutrInit = on(init.dcutr, true)
  if (dcutrInit != null) parts.services.dcutr = adaptedDcutr(dcutr(dcutrInit), () => observed?.trusted() ?? [])
  const upnp = on(init.upnp, false)
  if (upnp != null) parts.services.upnp = uPnPNAT(upnp)
  if (init.tcpDialPort !== false) parts.tcpDialOpts.localPort = init.tcpDialPort == null || init.tcpDialPort === 0 ? await freePort() : init.tcpDialPort
  return parts
}
