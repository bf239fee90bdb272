/**
 * A lab's shape and its address plan, without touching the system: which hosts sit on the
 * "internet", which homes sit behind which kind of NAT, and the address each interface gets.
 */

/** How a home router maps its hosts' outgoing flows. */
export type NatKind =
  /**
   * nftables `masquerade`: Linux keeps a flow's source port when it is free, so one inside
   * address:port appears as the same outside address:port towards every peer (endpoint-
   * independent mapping, what most home routers do). Inbound is filtered to replies.
   */
  | 'endpoint-independent'
  /**
   * nftables `masquerade fully-random`: every flow gets a random outside port, so the mapping a
   * third party observed is useless to anyone else (address-and-port-dependent, "symmetric").
   */
  | 'symmetric'

/** One host: a network namespace running the processes started on it. */
export interface HostSpec {
  /** Lower-case letters and digits, unique in the lab (e.g. `relay`, `a1`). */
  name: string
  /** Upload cap in Mbit/s (`tc tbf` on its interface), if any. */
  uploadMbit?: number
}

/** A home network: hosts on a private LAN behind one NAT router namespace. */
export interface HomeSpec {
  /** Lower-case letters and digits, unique in the lab; the router is this name's namespace. */
  name: string
  /** @default 'endpoint-independent' */
  nat?: NatKind
  hosts: Array<string | HostSpec>
}

/** What {@link createLab} builds. */
export interface LabTopology {
  /** Hosts with a public address of their own, on the lab's "internet". */
  public: Array<string | HostSpec>
  homes?: HomeSpec[]
}

/**
 * First octets of the lab's internet addresses, spread so that peers fall in different netgroups
 * (AutoNAT and hearsay's discovery group peers by first octet). None of these is a reserved
 * range that js-libp2p's `isPrivate` (and so DCUtR) would ignore. They are only ever configured
 * inside the lab's namespaces, which have no link to the machine's real interfaces.
 */
export const PUBLIC_OCTETS = [11, 23, 37, 41, 53, 61, 73, 83, 97, 109, 131, 151, 163, 181, 193, 211] as const

/** The address a planned interface gets. */
export interface PlannedHost {
  name: string
  /** `public` or the name of its home. */
  network: string
  /** The host's own address. */
  ip: string
  /** Its prefix length on its interface. */
  prefix: number
  /** The next hop of its default route (absent on the internet: every address there is on-link). */
  gateway?: string
  uploadMbit?: number
}

/** A planned NAT router. */
export interface PlannedRouter {
  name: string
  nat: NatKind
  /** Its outside (WAN) address on the internet. */
  wanIp: string
  /** Its inside address, the home hosts' gateway. */
  lanIp: string
  /** The LAN, e.g. `192.168.1.0/24`. */
  lan: string
}

/** Every address of a lab, decided before anything is built. */
export interface LabPlan {
  hosts: PlannedHost[]
  routers: PlannedRouter[]
}

const NAME = /^[a-z][a-z0-9]{0,11}$/
const RESERVED = new Set(['internet'])

/** The `i`-th address on the lab's internet: first octets rotate so neighbours differ in netgroup. */
export function internetAddress (i: number): string {
  const octet = PUBLIC_OCTETS[i % PUBLIC_OCTETS.length]
  return `${octet}.${Math.floor(i / PUBLIC_OCTETS.length)}.0.1`
}

function hostSpec (h: string | HostSpec): HostSpec {
  return typeof h === 'string' ? { name: h } : h
}

/**
 * Assign every address: public hosts first, then each router's WAN side, on the internet; home
 * `k` gets `192.168.<k+1>.0/24` with its router at `.1` and its hosts from `.2`.
 *
 * @throws when a name is malformed or used twice, or the lab is larger than its plan allows
 */
export function planLab (topology: LabTopology): LabPlan {
  const names = new Set<string>()
  const claim = (name: string): void => {
    if (!NAME.test(name) || RESERVED.has(name)) throw new Error(`lab: bad name "${name}" (lower-case letters and digits, at most 12, not "internet")`)
    if (names.has(name)) throw new Error(`lab: "${name}" is used twice`)
    names.add(name)
  }
  const homes = topology.homes ?? []
  if (homes.length > 250) throw new Error('lab: at most 250 homes')
  let next = 0
  const hosts: PlannedHost[] = topology.public.map(h => {
    const spec = hostSpec(h)
    claim(spec.name)
    return { name: spec.name, network: 'public', ip: internetAddress(next++), prefix: 32, uploadMbit: spec.uploadMbit }
  })
  const routers: PlannedRouter[] = homes.map((home, k) => {
    claim(home.name)
    if (home.hosts.length > 200) throw new Error(`lab: home "${home.name}" has more than 200 hosts`)
    const lanIp = `192.168.${k + 1}.1`
    home.hosts.forEach((h, i) => {
      const spec = hostSpec(h)
      claim(spec.name)
      hosts.push({ name: spec.name, network: home.name, ip: `192.168.${k + 1}.${i + 2}`, prefix: 24, gateway: lanIp, uploadMbit: spec.uploadMbit })
    })
    return { name: home.name, nat: home.nat ?? 'endpoint-independent', wanIp: internetAddress(next++), lanIp, lan: `192.168.${k + 1}.0/24` }
  })
  return { hosts, routers }
}
