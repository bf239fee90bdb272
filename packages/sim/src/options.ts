import { seededRng, shuffle } from '@hearsay/sansio'
import type { RouterLimits } from '@hearsay/gossip/strategies'
import type { Rng, StrategySpec } from '@hearsay/interface'
import { DEFAULT_LATENCY, latencySampler, parseLatency, type LatencySpec } from './latency.ts'
import { strategyByName } from './strategies.ts'
import { buildGraph, generate, shuffledNodes, type Graph, type TopologySpec } from './topology.ts'
import type { SimulationOptions } from './types.ts'

/** Every option a run reads, with its default applied: what {@link resolveOptions} returns. @internal */
export interface ResolvedOptions extends SimulationOptions {
  nodes: number
  topology: TopologySpec
  latency: LatencySpec
  messages: number
  intervalMs: number
  payloadBytes: number
  bandwidthMbps: number
  loss: number
  spies: number
  spiesRelay: boolean
  eavesdropper: number
  droppers: number
  delayers: number
  delayMs: number
  churn: number
  churnDowntimeMs: number
  seed: number | string
  horizonMs: number
  onePerHonest: boolean
  centreReports: number
}

/** The default topology: a random 8-regular graph. */
const DEFAULT_TOPOLOGY: TopologySpec = { kind: 'random', degree: 8 }

/** The options with every default applied, once, so that no other part of a run repeats them. @internal */
export function resolveOptions (options: SimulationOptions): ResolvedOptions {
  return {
    ...options,
    nodes: options.nodes ?? 1000,
    topology: options.topology ?? DEFAULT_TOPOLOGY,
    latency: latencyOf(options),
    messages: options.messages ?? 20,
    intervalMs: options.intervalMs ?? 1000,
    payloadBytes: options.payloadBytes ?? 1024,
    bandwidthMbps: options.bandwidthMbps ?? 10,
    loss: options.loss ?? 0,
    spies: options.spies ?? 0,
    spiesRelay: options.spiesRelay ?? true,
    eavesdropper: options.eavesdropper ?? 0,
    droppers: options.droppers ?? 0,
    delayers: options.delayers ?? 0,
    delayMs: options.delayMs ?? 1000,
    churn: options.churn ?? 0,
    churnDowntimeMs: options.churnDowntimeMs ?? 30_000,
    seed: options.seed ?? 1,
    horizonMs: options.horizonMs ?? 300_000,
    onePerHonest: options.onePerHonest ?? false,
    centreReports: options.centreReports ?? 0
  }
}

/** The seeded generators of a run. @internal */
export interface Streams { topology: Rng, latency: Rng, roles: Rng, sources: Rng, net: Rng, churn: Rng, nodes: Rng }

/** The seeded generators of a run, forked in a fixed order. */
function streams (seed: number | string): Streams {
  const root = seededRng(seed)
  return {
    topology: root.fork(),
    latency: root.fork(),
    roles: root.fork(),
    sources: root.fork(),
    net: root.fork(),
    churn: root.fork(),
    nodes: root.fork()
  }
}

/** The topology's description in a result. @internal */
export function topologyOf (options: Pick<SimulationOptions, 'topology' | 'edges'>): string {
  if (options.edges != null) return 'edge list'
  const t = options.topology ?? DEFAULT_TOPOLOGY
  switch (t.kind) {
    case 'random': return `random ${t.degree}-regular`
    case 'tree': return `${t.degree}-regular tree, depth ${t.depth}`
    case 'ring': return 'random Hamiltonian cycle'
    case 'bitcoin': return `bitcoin-like (${t.outbound ?? 8} out, ≤ ${t.maxInbound ?? 117} in)`
  }
}

/** The latency distribution of a run. @internal */
export function latencyOf (options: Pick<SimulationOptions, 'latency'>): LatencySpec {
  const l = options.latency ?? DEFAULT_LATENCY
  return typeof l === 'string' ? parseLatency(l) : l
}

/** The network of a run: its topology and sampled link latencies, from the run's seed. */
export function buildNetwork (options: Omit<SimulationOptions, 'strategy'>): Graph {
  const rngs = streams(options.seed ?? 1)
  const edges = options.edges ?? generate(options.topology ?? DEFAULT_TOPOLOGY, options.nodes ?? 1000, rngs.topology)
  return buildGraph(edges, latencySampler(latencyOf(options), rngs.latency))
}

/** A node's role (`Simulation.role`). @internal */
export const HONEST = 0
/** @internal */
export const SPY = 1
/** @internal */
export const DROPPER = 2
/** @internal */
export const DELAYER = 3

/** Each node's role ({@link HONEST}, {@link SPY}, ...), drawn from the run's role stream; `spyNodes` are spies by choice. @internal */
export function rolesOf (n: number, options: Pick<SimulationOptions, 'spies' | 'spyNodes' | 'droppers' | 'delayers'>, rng: Rng): Uint8Array {
  const roles = new Uint8Array(n)
  const order = shuffledNodes(n, rng)
  for (const i of options.spyNodes ?? []) {
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`spy ${i} is not a node`)
    roles[i] = SPY
  }
  let k = 0
  const assign = (share: number | undefined, role: number): void => {
    const count = Math.round((share ?? 0) * n)
    for (let c = 0; c < count; c++) {
      while (k < n && roles[order[k]] !== HONEST) k++
      if (k === n) return
      roles[order[k++]] = role
    }
  }
  if (options.spyNodes == null) assign(options.spies, SPY)
  assign(options.droppers, DROPPER)
  assign(options.delayers, DELAYER)
  return roles
}

/** The publishers of a run with `onePerHonest`: every honest node once, in an order drawn from `rng`. @internal */
export function honestOrder (role: Uint8Array, rng: Rng): number[] {
  const honest: number[] = []
  for (let i = 0; i < role.length; i++) if (role[i] === HONEST) honest.push(i)
  return shuffle(rng, honest)
}

/** Messages a run publishes. @internal */
export function messageCount (options: ResolvedOptions, role: Uint8Array): number {
  if (!options.onePerHonest) return options.messages
  let honest = 0
  for (let i = 0; i < role.length; i++) if (role[i] === HONEST) honest++
  return honest
}

/** Router limits that fit a run: a seen set for its messages, a request cache only for `announce`. */
function limitsFor (spec: StrategySpec, options: ResolvedOptions, n: number): Partial<RouterLimits> {
  const messages = options.onePerHonest ? n : options.messages
  const payload = options.payloadBytes
  const needsCache = spec.name === 'announce'
  return {
    seenMax: Math.max(1024, 2 * messages),
    // only announce answers requests; the other strategies never read the cache
    cacheMaxBytes: needsCache ? Math.max(1, messages) * Math.max(1, payload) * 2 : 0,
    maxMessageBytes: Math.max(1024 * 1024, payload),
    ...options.limits
  }
}

/** A run's setup: its options resolved, the strategy, its generators, the network and the routers' limits. @internal */
export function prepare (given: SimulationOptions): { options: ResolvedOptions, spec: StrategySpec, rngs: Streams, graph: Graph, limits: Partial<RouterLimits> } {
  const options = resolveOptions(given)
  const spec = typeof options.strategy === 'string' ? strategyByName(options.strategy, { ttl: options.ttl }) : options.strategy
  const rngs = streams(options.seed)
  const graph = options.graph ?? buildNetwork(given)
  if (graph.n < 2) throw new RangeError('a simulation needs at least 2 nodes')
  return { options, spec, rngs, graph, limits: limitsFor(spec, options, graph.n) }
}
