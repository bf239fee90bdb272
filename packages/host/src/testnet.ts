/**
 * An in-memory testnet: N hearsay hosts in one process on the `@libp2p/memory` transport
 * (still Noise and Yamux), wired in a chosen topology. For testing your own protocols on
 * many nodes without sockets or ports. The transport hands data over in microtasks: while the
 * hosts keep each other busy no timer fires (1000 default hosts connecting went half a minute
 * without one), so timeouts and periodic rounds run late in a large, busy testnet.
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
  /** Connect node `a` to node `b` (a dials). */
  connect(a: number, b: number): Promise<void>
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
    const connect = async (a: number, b: number): Promise<void> => {
      await all[a].dial(all[b].getMultiaddrs())
    }
    await Promise.all(edges.map(async ([a, b]) => { await connect(a, b) }))
    return {
      nodes: all,
      edges,
      seed,
      connect,
      stop,
      [Symbol.asyncDispose]: stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}
