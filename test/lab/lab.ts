/**
 * A network lab of Linux network namespaces: an "internet" bridge with public hosts on it, and
 * home networks each behind a NAT router namespace (nftables masquerade). Real node processes run
 * inside the hosts (`ip netns exec`); everything is removed on `destroy()`, on process exit, on
 * SIGINT/SIGTERM and after a timeout, and a lab left behind by a killed run is removed by the next.
 *
 * Safety: every interface is created inside a lab namespace (`ip -n <ns> link add ... peer ...
 * netns <ns>`), so no lab interface, address, route or NAT rule ever exists in the machine's own
 * namespace, and the lab has no link to its real interfaces; {@link Lab.assertIsolated} checks it.
 */
import { JsonProcess } from '../../examples/demo/src/process.ts'
import { labSupport, listNamespaces, NS_PREFIX, removeNamespace, removeStaleLabs, sh, type LabSupport } from './system.ts'
import { planLab, type LabPlan, type LabTopology, type PlannedHost, type PlannedRouter } from './topology.ts'

export { labSupport, type LabSupport }
export type { LabTopology, HomeSpec, HostSpec, NatKind, LabPlan, PlannedHost, PlannedRouter } from './topology.ts'

/** Options of {@link createLab}. */
export interface LabOptions {
  /**
   * Tear the lab down (processes and namespaces) after this long, whatever the caller is doing.
   *
   * @default 600_000
   */
  timeoutMs?: number
}

/** Bytes through a host's (or a router's WAN) interface since the lab was built. */
export interface InterfaceBytes {
  rx: number
  tx: number
}

/** A built lab. */
export interface Lab {
  /** Every address, decided before building. */
  readonly plan: LabPlan
  /** The namespace a host or router runs in. */
  namespace(name: string): string
  /** A host's plan (its address, network, cap). */
  host(name: string): PlannedHost
  /** A router's plan (WAN and LAN addresses, NAT kind). */
  router(name: string): PlannedRouter
  /** Run a command inside a host's namespace and return its stdout. */
  exec(name: string, argv: string[]): string
  /** Start a Node script inside a host's namespace; it is stopped with the lab. */
  spawn(name: string, label: string, script: string, args: string[]): JsonProcess
  /** Bytes through a host's `eth0` (or a router's `wan`). */
  bytes(name: string): InterfaceBytes
  /**
   * Check that the machine's own namespace has exactly the interfaces, addresses and routes it had
   * before the lab was built, and that every lab namespace holds only the lab's own loopback, veth
   * and bridge interfaces with the planned addresses.
   *
   * @throws naming what differs
   */
  assertIsolated(): void
  /** Stop every process started in the lab and remove its namespaces. Idempotent. */
  destroy(): Promise<void>
}

interface RootSnapshot {
  links: string
  addrs: string
  routes: string
}

/** The root namespace's interfaces, addresses and routes, in a comparable form. */
function rootSnapshot (): RootSnapshot {
  const links = (JSON.parse(sh('ip', ['-j', 'link', 'show'])) as any[]).map(l => `${l.ifindex}:${l.ifname}`).sort().join(',')
  const addrs = (JSON.parse(sh('ip', ['-j', 'addr', 'show'])) as any[])
    .flatMap(l => (l.addr_info ?? []).map((a: any) => `${l.ifname}:${a.local}/${a.prefixlen}`)).sort().join(',')
  const routes = sh('ip', ['route', 'show', 'table', 'all']).split('\n').sort().join('\n')
  return { links, addrs, routes }
}

const live = new Set<LabImpl>()
let labs = 0
let handlersInstalled = false

/** Remove every live lab synchronously: the only kind of work an 'exit' handler may do. */
function destroyAllNow (): void {
  for (const lab of live) lab.destroyNow()
}

function onSignal (signal: NodeJS.Signals): void {
  destroyAllNow()
  // with nobody else listening, end the way the signal would have
  if (process.listenerCount(signal) <= 1) process.exit(signal === 'SIGINT' ? 130 : 143)
}

function installHandlers (): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', destroyAllNow)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

function uninstallHandlers (): void {
  if (!handlersInstalled || live.size > 0) return
  handlersInstalled = false
  process.off('exit', destroyAllNow)
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}

class LabImpl implements Lab {
  readonly plan: LabPlan
  readonly #prefix: string
  readonly #namespaces: string[] = []
  readonly #processes: JsonProcess[] = []
  readonly #root: RootSnapshot
  readonly #timer: NodeJS.Timeout
  #destroyed = false

  constructor (plan: LabPlan, timeoutMs: number) {
    this.plan = plan
    this.#prefix = `${NS_PREFIX}${process.pid}-${++labs}-`
    this.#root = rootSnapshot()
    live.add(this)
    installHandlers()
    this.#timer = setTimeout(() => {
      process.stderr.write(`lab: torn down after its ${timeoutMs} ms timeout\n`)
      this.destroyNow()
    }, timeoutMs)
    this.#timer.unref()
  }

  namespace (name: string): string {
    if (name !== 'internet' && !this.plan.hosts.some(h => h.name === name) && !this.plan.routers.some(r => r.name === name)) {
      throw new Error(`lab: no host or router "${name}"`)
    }
    return this.#prefix + name
  }

  host (name: string): PlannedHost {
    const host = this.plan.hosts.find(h => h.name === name)
    if (host == null) throw new Error(`lab: no host "${name}"`)
    return host
  }

  router (name: string): PlannedRouter {
    const router = this.plan.routers.find(r => r.name === name)
    if (router == null) throw new Error(`lab: no router "${name}"`)
    return router
  }

  /** Make a namespace with loopback up and IPv6 off (the lab is IPv4 only; no link-local noise). */
  addNamespace (name: string): string {
    const ns = this.#prefix + name
    sh('ip', ['netns', 'add', ns])
    this.#namespaces.push(ns)
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    sh('ip', ['netns', 'exec', ns, 'sh', '-c',
      'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'])
    return ns
  }

  /** A veth pair made inside `from` with its other end moved straight into `to`: neither end ever exists in the root namespace. */
  link (from: string, fromIf: string, to: string, toIf: string): void {
    sh('ip', ['-n', from, 'link', 'add', fromIf, 'type', 'veth', 'peer', 'name', toIf, 'netns', to])
  }

  exec (name: string, argv: string[]): string {
    return sh('ip', ['netns', 'exec', this.namespace(name), ...argv])
  }

  spawn (name: string, label: string, script: string, args: string[]): JsonProcess {
    if (this.#destroyed) throw new Error('lab: destroyed')
    const proc = new JsonProcess(label, script, args, ['ip', 'netns', 'exec', this.namespace(name)])
    this.#processes.push(proc)
    return proc
  }

  bytes (name: string): InterfaceBytes {
    const dev = this.plan.routers.some(r => r.name === name) ? 'wan' : 'eth0'
    const [link] = JSON.parse(sh('ip', ['-n', this.namespace(name), '-s', '-j', 'link', 'show', 'dev', dev])) as any[]
    return { rx: Number(link.stats64.rx.bytes), tx: Number(link.stats64.tx.bytes) }
  }

  assertIsolated (): void {
    const now = rootSnapshot()
    for (const key of ['links', 'addrs', 'routes'] as const) {
      if (now[key] !== this.#root[key]) {
        throw new Error(`lab: the machine's own ${key} changed while the lab was built:\nbefore: ${this.#root[key]}\nnow: ${now[key]}`)
      }
    }
    const planned = new Set([
      ...this.plan.hosts.map(h => h.ip),
      ...this.plan.routers.flatMap(r => [r.wanIp, r.lanIp]),
      '127.0.0.1'
    ])
    for (const ns of this.#namespaces) {
      const links = JSON.parse(sh('ip', ['-n', ns, '-j', '-d', 'link', 'show'])) as any[]
      for (const link of links) {
        const kind = link.linkinfo?.info_kind ?? (link.link_type === 'loopback' ? 'loopback' : 'unknown')
        if (!['loopback', 'veth', 'bridge'].includes(kind)) throw new Error(`lab: ${ns} has a ${kind} interface ${link.ifname}`)
      }
      const addrs = JSON.parse(sh('ip', ['-n', ns, '-j', 'addr', 'show'])) as any[]
      for (const link of addrs) {
        for (const a of link.addr_info ?? []) {
          if (!planned.has(a.local)) throw new Error(`lab: ${ns} has an address outside the plan: ${a.local} on ${link.ifname}`)
        }
      }
    }
  }

  /** Kill the lab's processes and remove its namespaces, synchronously. */
  destroyNow (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    clearTimeout(this.#timer)
    for (const proc of this.#processes) proc.kill('SIGKILL')
    for (const ns of this.#namespaces.reverse()) removeNamespace(ns)
    // a namespace added but not yet recorded when a step failed
    for (const ns of listNamespaces()) if (ns.startsWith(this.#prefix)) removeNamespace(ns)
    live.delete(this)
    uninstallHandlers()
  }

  async destroy (): Promise<void> {
    if (this.#destroyed) return
    // let the processes shut down on their own first, so they can report and flush
    await Promise.all(this.#processes.map(async p => { await p.stop(3_000).catch(() => {}) }))
    this.destroyNow()
  }
}

/**
 * nftables for a home router: NAT out of `wan`, only replies (or the LAN's own flows) forwarded in,
 * and unsolicited connections from the internet silently dropped (as home routers do: a reset
 * would abort a hole punch whose first SYN arrives before the other side's has left).
 */
function routerRules (router: PlannedRouter): string {
  const masquerade = router.nat === 'symmetric' ? 'masquerade fully-random' : 'masquerade'
  return `table ip hearsay_lab {
  chain lab_postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" ip saddr ${router.lan} ${masquerade}
  }
  chain lab_input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state new drop
  }
  chain lab_forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
}
`
}

function capUpload (ns: string, dev: string, mbit: number | undefined): void {
  if (mbit == null) return
  // burst: enough for a full TSO segment, so tbf never has to drop one for being too large
  sh('tc', ['-n', ns, 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '64kb', 'latency', '50ms'])
}

/**
 * Build a lab: the internet namespace with its bridge, one namespace per public host, one per
 * home router (nftables NAT, `ip_forward` on) and one per home host, with `tc tbf` upload caps.
 * Removes the namespaces of labs whose owner process died first.
 *
 * @throws when the machine cannot build it (see {@link labSupport}) or the topology is malformed;
 * whatever was built is removed
 */
export async function createLab (topology: LabTopology, options: LabOptions = {}): Promise<Lab> {
  // yield once first, so a caller's synchronous work (and a Ctrl-C) is not held up behind the build
  await new Promise(resolve => setImmediate(resolve))
  const plan = planLab(topology)
  removeStaleLabs()
  const lab = new LabImpl(plan, options.timeoutMs ?? 600_000)
  try {
    const inet = lab.addNamespace('internet')
    sh('ip', ['-n', inet, 'link', 'add', 'br0', 'type', 'bridge'])
    sh('ip', ['-n', inet, 'link', 'set', 'br0', 'up'])
    let port = 0
    const plug = (ns: string, dev: string): void => {
      const p = `p${port++}`
      lab.link(inet, p, ns, dev)
      sh('ip', ['-n', inet, 'link', 'set', p, 'master', 'br0', 'up'])
    }
    for (const host of plan.hosts.filter(h => h.network === 'public')) {
      const ns = lab.addNamespace(host.name)
      plug(ns, 'eth0')
      sh('ip', ['-n', ns, 'addr', 'add', `${host.ip}/32`, 'dev', 'eth0'])
      sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
      // every internet address is on-link: one flat segment, reached by ARP over the bridge
      sh('ip', ['-n', ns, 'route', 'add', 'default', 'dev', 'eth0'])
      capUpload(ns, 'eth0', host.uploadMbit)
    }
    for (const router of plan.routers) {
      const ns = lab.addNamespace(router.name)
      plug(ns, 'wan')
      sh('ip', ['-n', ns, 'addr', 'add', `${router.wanIp}/32`, 'dev', 'wan'])
      sh('ip', ['-n', ns, 'link', 'set', 'wan', 'up'])
      sh('ip', ['-n', ns, 'route', 'add', 'default', 'dev', 'wan'])
      sh('ip', ['-n', ns, 'link', 'add', 'lan', 'type', 'bridge'])
      sh('ip', ['-n', ns, 'addr', 'add', `${router.lanIp}/24`, 'dev', 'lan'])
      sh('ip', ['-n', ns, 'link', 'set', 'lan', 'up'])
      sh('ip', ['netns', 'exec', ns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward'])
      sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], routerRules(router))
      plan.hosts.filter(h => h.network === router.name).forEach((host, i) => {
        const hostNs = lab.addNamespace(host.name)
        lab.link(ns, `l${i}`, hostNs, 'eth0')
        sh('ip', ['-n', ns, 'link', 'set', `l${i}`, 'master', 'lan', 'up'])
        sh('ip', ['-n', hostNs, 'addr', 'add', `${host.ip}/${host.prefix}`, 'dev', 'eth0'])
        sh('ip', ['-n', hostNs, 'link', 'set', 'eth0', 'up'])
        sh('ip', ['-n', hostNs, 'route', 'add', 'default', 'via', host.gateway!])
        capUpload(hostNs, 'eth0', host.uploadMbit)
      })
    }
    lab.assertIsolated()
  } catch (err) {
    lab.destroyNow()
    throw err
  }
  return lab
}
