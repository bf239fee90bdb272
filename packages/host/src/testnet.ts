/**
 * An in-memory testnet: N hearsay hosts in one process on the `@libp2p/memory` transport
 * (still Noise and Yamux), wired in a chosen topology. For testing your own protocols on
 * many nodes without sockets or ports. Data arrives in tasks of the event loop, as from a
 * socket, so timers (timeouts, periodic rounds) run on time in a large, busy testnet too; like
 * real hosts, a host refuses inbound connections past libp2p's limits (10 upgrading at once), so
 * the testnet dials at most 4 links into one host at a time and retries a refused one
 * ({@link Testnet.wire}).
 *
 * @example
 * ```ts
 * import { createTestnet } from '@hearsay/host/testnet'
 * await using net = await createTestnet({ nodes: 10, topology: { random: 3 } })
 * const rtt = await net.nodes[0].services.ping.ping(net.nodes[1].peerId)
 * ```
 *
 * @packageDocumentation
 * @module @hearsay/host/testnet
 */
import { randomBytes } from 'node:crypto'
import { seededRng } from '@hearsay/sansio'
import type { ServiceMap } from '@libp2p/interface'
import { createHost, type Host } from './host.ts'
import { topologyEdges, type Edge, type Topology } from './topology.ts'
import type { HostOptions } from './options.ts'

export { topologyEdges } from './topology.ts'
export type { Topology, Edge } from './topology.ts'

/** Options of {@link createTestnet}. */
export interface TestnetOptions<S extends ServiceMap = ServiceMap> {
  /** How many hosts to start. */
  nodes: number
  /**
   * How to connect them.
   *
   * @default 'none'
   */
  topology?: Topology
  /** Seed for random topologies, so a failing test can be replayed. @default a random seed */
  seed?: number | string
  /**
   * Options for every host, or a function of the node's index (for per-node services).
   * `listen` is always set by the testnet.
   */
  host?: Omit<HostOptions<S>, 'listen'> | ((index: number) => Omit<HostOptions<S>, 'listen'>)
}

/** A running testnet. Stop it with `stop()` or `await using`. */
export interface Testnet<S extends ServiceMap = ServiceMap> extends AsyncDisposable {
  /** The hosts, in index order. */
  readonly nodes: Array<Host<S>>
  /** The links the topology asked for (all connected when `createTestnet` resolves). */
  readonly edges: Edge[]
  /** The seed the random topology used. */
  readonly seed: number | string
  /** Connect node `a` to node `b` (a dials); resolves once both ends hold the connection. */
  connect(a: number, b: number): Promise<void>
  /**
   * Connect these links as `createTestnet` connects the topology's: all at once but at most
   * {@link WIRING_PER_HOST} into any one host (libp2p refuses more than 10 inbound connections
   * upgrading at once), each retried for up to {@link WIRING_PATIENCE_MS}, since the hosts' own
   * dials (discovery's, the DHT's) may fill a host's upgrade slots meanwhile. Rejects with the
   * first link that failed every attempt, or at once with a `RangeError` for an index that names
   * no node.
   */
  wire(edges: readonly Edge[]): Promise<void>
  /** Stop every host; safe to call twice. */
  stop(): Promise<void>
}

/**
 * Start `options.nodes` hosts on the in-memory transport and connect them as
 * `options.topology` says. If any node fails to start, those already started are stopped.
 */
export async function createTestnet<S extends ServiceMap = ServiceMap> (options: TestnetOptions<S>): Promise<Testnet<S>> {
  const { nodes: count } = options
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`nodes must be a non-negative integer, got ${count}`)
  const seed = options.seed ?? randomBytes(4).readUInt32BE()
  const edges = topologyEdges(options.topology ?? 'none', count, seededRng(seed))
  // a unique prefix keeps two testnets in one process from dialling each other
  const prefix = `hearsay-testnet-${randomBytes(6).toString('hex')}`

  const nodes: Array<Host<S>> = []
  const stop = async (): Promise<void> => {
    const stopping = nodes.splice(0)
    await Promise.all(stopping.map(async node => { await node.stop() }))
  }

  try {
    for (let i = 0; i < count; i++) {
      const hostOptions = typeof options.host === 'function' ? options.host(i) : options.host
      nodes.push(await createHost<S>({ ...hostOptions, listen: [`/memory/${prefix}-${i}`] }))
    }
    const all = nodes.slice()
    const node = (i: number): Host<S> => {
      if (!Number.isInteger(i) || all[i] == null) throw new RangeError(`no testnet node ${i}: indexes run from 0 to ${all.length - 1}`)
      return all[i]
    }
    const connect = async (a: number, b: number): Promise<void> => {
      await node(a).dial(node(b).getMultiaddrs())
      // as over a socket, the dialler may finish its upgrade before the listener does
      await inboundOpen(all[b], all[a])
    }
    const wire = async (links: readonly Edge[]): Promise<void> => {
      // a wrong index is the caller's mistake: said at once, not after every retry
      for (const [a, b] of links) { node(a); node(b) }
      await wireLinks(links, connect)
    }
    await wire(edges)
    return {
      nodes: all,
      edges,
      seed,
      connect,
      wire,
      stop,
      [Symbol.asyncDispose]: stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Most links {@link Testnet.wire} dials into one host at once: below libp2p's 10 upgrading inbound connections. */
export const WIRING_PER_HOST = 4
/**
 * How long {@link Testnet.wire} keeps trying one link: again after 250 ms, doubling to at most
 * {@link WIRING_RETRY_MAX_MS} (about 20 attempts in all). A host refuses while 10 inbound
 * connections upgrade, and in one process of many hosts an upgrade waits its turn on the one CPU:
 * at 1000 default hosts a busy host refused one link 8 times in a row over 32 s (the earlier
 * limit) in about one wiring out of four, which failed the whole testnet for one link of 1926.
 */
export const WIRING_PATIENCE_MS = 120_000

/** Longest wait between two attempts of one link in {@link Testnet.wire}. */
export const WIRING_RETRY_MAX_MS = 8000

/**
 * Most links {@link Testnet.wire} dials at once in all. Every handshake runs on the process's one
 * thread: 1000 hosts wiring 8000 links 4 into each host at once (~4000 handshakes) ran theirs past
 * the upgrade timeout, and the retries only added to the pile.
 */
export const WIRING_IN_FLIGHT = 512

/** Dial every link within the bounds above, each retried; the first link that never connects rejects. */
async function wireLinks (links: readonly Edge[], connect: (a: number, b: number) => Promise<void>): Promise<void> {
  const waiting = links.slice()
  const into = new Map<number, number>()
  let running = 0
  let failed: Error | undefined
  await new Promise<void>(resolve => {
    const pump = (): void => {
      if (failed != null ? running === 0 : waiting.length === 0 && running === 0) { resolve(); return }
      for (let i = 0; failed == null && running < WIRING_IN_FLIGHT && i < waiting.length; i++) {
        const [a, b] = waiting[i]
        if ((into.get(b) ?? 0) >= WIRING_PER_HOST) continue
        waiting.splice(i--, 1)
        running++
        into.set(b, (into.get(b) ?? 0) + 1)
        void connectWithRetries(a, b, connect)
          .catch((err: Error) => { failed ??= err })
          .finally(() => {
            running--
            into.set(b, (into.get(b) ?? 1) - 1)
            pump()
          })
      }
    }
    pump()
  })
  if (failed != null) throw failed
}

/** Connect `a` to `b`, retried for {@link WIRING_PATIENCE_MS}; the error names the link and how often it failed, its cause the last error. */
async function connectWithRetries (a: number, b: number, connect: (a: number, b: number) => Promise<void>): Promise<void> {
  const started = performance.now()
  for (let attempt = 1; ; attempt++) {
    try {
      await connect(a, b)
      return
    } catch (err: any) {
      const wait = Math.min(WIRING_RETRY_MAX_MS, 250 * 2 ** (attempt - 1))
      const spent = performance.now() - started
      if (spent + wait > WIRING_PATIENCE_MS) {
        throw new Error(`testnet link ${a} -> ${b} failed ${attempt} times over ${(spent / 1000).toFixed(1)} s: ${err?.message ?? String(err)}`, { cause: err })
      }
      await new Promise(resolve => setTimeout(resolve, wait))
    }
  }
}

/** How long {@link inboundOpen} waits for the listening end, ms. */
const INBOUND_OPEN_TIMEOUT_MS = 10_000

/** Resolve once `host` holds a connection from `from` (at once if it does already). */
async function inboundOpen (host: Host<any>, from: Host<any>): Promise<void> {
  const open = (): boolean => host.getConnections(from.peerId).some(c => c.status === 'open')
  if (open()) return
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      host.removeEventListener('connection:open', check)
    }
    const check = (): void => { if (open()) { done(); resolve() } }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${host.peerId.toString()} never saw the connection from ${from.peerId.toString()} open`))
    }, INBOUND_OPEN_TIMEOUT_MS)
    host.addEventListener('connection:open', check)
  })
}
