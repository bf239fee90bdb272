import type { ComponentLogger, IdentifyResult, Libp2pEvents, Logger, Startable, TypedEventTarget } from '@libp2p/interface'
import { isPrivate } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import { multiaddr } from '@multiformats/multiaddr'

/** Options of `observedAddresses()`. */
export interface ObservedAddressesInit {
  /**
   * How many peers, each in a different netgroup, must report the same address before it is
   * trusted and announced. One peer could lie; several in different networks rarely agree on a lie.
   *
   * @default 3
   */
  confirmations?: number
  /**
   * How long a trusted address stays trusted before peers must report it again (a NAT's mapping
   * changes when its router restarts).
   *
   * @default 600_000 (10 minutes)
   */
  ttlMs?: number
}

/** The libp2p components {@link ObservedAddresses} needs. */
export interface ObservedAddressesComponents {
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

/** At most this many candidate addresses are tracked; the oldest is dropped first. */
const MAX_CANDIDATES = 32

/** A peer's netgroup: the first octet of an IPv4 address, the first 32 bits of an IPv6 one. */
function netgroupOf (addr: Multiaddr): string | undefined {
  const ip = addr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
  if (ip?.value == null) return undefined
  return ip.name === 'ip4' ? `4:${ip.value.split('.')[0]}` : `6:${ip.value.split(':').slice(0, 2).join(':')}`
}

/**
 * Trusts the address peers observe us at, once enough of them in different netgroups agree.
 * identify alone never does this for TCP (it drops every observed TCP address, since a socket
 * dialled from an ephemeral port is observed on a different port each time). With the host's fixed
 * TCP dial port (`nat.tcpDialPort`) an endpoint-independent NAT maps every dial to the same outside
 * port: the address DCUtR must give the other side to punch ({@link ObservedAddresses.trusted}).
 *
 * A trusted address is not announced: behind a NAT it is reachable only by a simultaneous dial, and
 * every plain dial to it would time out — and worse, leave a half-open entry in the dialler's own
 * NAT for exactly the pair of ports a later punch uses, so the peer's punching SYN would be let in
 * to a socket that no longer exists and answered with a reset. It is handed to AutoNAT as a
 * candidate instead, which announces it once peers can dial it back (a public host, a full-cone NAT).
 */
export class ObservedAddresses implements Startable {
  readonly #components: ObservedAddressesComponents
  readonly #log: Logger
  readonly #confirmations: number
  readonly #ttlMs: number
  /** Candidate address → the netgroups that reported it. */
  readonly #candidates = new Map<string, Set<string>>()
  /** Trusted address → when its trust expires (ms since the epoch). */
  readonly #trusted = new Map<string, number>()

  /**
   * Watch identify's observations; see `observedAddresses()` for the service factory.
   *
   * @param components - libp2p's events (identify results), address manager and logger
   * @param init - how many netgroups must agree, and how long a confirmation lasts
   */
  constructor (components: ObservedAddressesComponents, init: ObservedAddressesInit = {}) {
    this.#components = components
    this.#log = components.logger.forComponent('hearsay:observed-addresses')
    this.#confirmations = init.confirmations ?? 3
    this.#ttlMs = init.ttlMs ?? 600_000
  }

  readonly [Symbol.toStringTag] = '@hearsay/observed-addresses'

  start (): void {
    this.#components.events.addEventListener('peer:identify', this.#onIdentify)
  }

  stop (): void {
    this.#components.events.removeEventListener('peer:identify', this.#onIdentify)
  }

  /** The addresses peers in enough netgroups agree on, whose trust has not expired. */
  trusted (): Multiaddr[] {
    const now = Date.now()
    for (const [addr, expires] of this.#trusted) if (expires <= now) this.#trusted.delete(addr)
    return [...this.#trusted.keys()].map(a => multiaddr(a))
  }

  readonly #onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { observedAddr, connection } = event.detail
    // a relay sees the relay's own connection, not ours; a private address is no use to anyone else
    if (observedAddr == null || connection.limits != null || connection.remoteAddr.getComponents().some(c => c.name === 'p2p-circuit')) return
    if (isPrivate(observedAddr) || observedAddr.getComponents().some(c => c.name === 'p2p-circuit')) return
    const reporter = netgroupOf(connection.remoteAddr)
    if (reporter == null) return
    this.report(observedAddr, reporter)
  }

  /** Count one report of `addr` from a peer in netgroup `reporter`; trust it once enough agree. */
  report (addr: Multiaddr, reporter: string): void {
    const key = addr.toString()
    let groups = this.#candidates.get(key)
    if (groups == null) {
      if (this.#candidates.size >= MAX_CANDIDATES) {
        const oldest = this.#candidates.keys().next().value
        if (oldest != null) this.#candidates.delete(oldest)
      }
      groups = new Set()
      this.#candidates.set(key, groups)
    }
    groups.add(reporter)
    if (groups.size < this.#confirmations) return
    // later reports refresh the trust while peers keep agreeing
    if (!this.#trusted.has(key)) this.#log('%s trusted: reported by %d netgroups', key, groups.size)
    this.#trusted.set(key, Date.now() + this.#ttlMs)
  }
}

/** The service factory: `services: { observedAddresses: observedAddresses() }`. */
export function observedAddresses (init: ObservedAddressesInit = {}): (components: ObservedAddressesComponents) => ObservedAddresses {
  return (components) => new ObservedAddresses(components, init)
}
