import type { RouterLimits, ValidationResult } from '@hearsay/gossip/strategies'
import type { GossipFrame, GossipMessage, StrategySpec } from '@hearsay/interface'
import type { LatencySpec } from './latency.ts'
import type { Attribution, Quantiles } from './metrics.ts'
import type { StrategyName } from './strategies.ts'
import type { EdgeList, Graph, TopologySpec } from './topology.ts'

/** Options of {@link simulate}. Every one has a default; a run is a pure function of them. */
export interface SimulationOptions {
  /** The strategy every node runs: a name or any `StrategySpec` of `@hearsay/gossip/strategies`. */
  strategy: StrategyName | StrategySpec
  /** Nodes of a generated topology. @default 1000 */
  nodes?: number
  /** @default { kind: 'random', degree: 8 } */
  topology?: TopologySpec
  /** Links to use instead of a generated topology (e.g. {@link parseEdgeList} of a file). */
  edges?: EdgeList
  /**
   * A network built by {@link buildNetwork} with the same seed, topology and latency: lets
   * several strategies run on one network without building it again. Results are identical
   * either way.
   */
  graph?: Graph
  /** Link latency distribution, or its text form (`lognormal:50:0.5`). @default log-normal, median 50 ms, sigma 0.5 */
  latency?: LatencySpec | string
  /** Messages published, each by a random honest node. @default 20 */
  messages?: number
  /** Virtual time between publications. @default 1000 */
  intervalMs?: number
  /** Payload size of every message. @default 1024 */
  payloadBytes?: number
  /** Upload bandwidth of every node in Mbit/s: a node's sends queue behind each other. 0: unlimited. @default 10 */
  bandwidthMbps?: number
  /** Probability that a frame is lost on its link. @default 0 */
  loss?: number
  /** Share of nodes that are spies: they log the first peer each message came from (and relay honestly unless `spiesRelay` is false). @default 0 */
  spies?: number
  /** The spies, by node number, instead of a random `spies` share: an adversary that chose where to sit. */
  spyNodes?: number[]
  /** Whether spies relay as honest nodes do; false: they only listen (they send nothing). @default true */
  spiesRelay?: boolean
  /**
   * An eavesdropper with this many connections to every node (θ in Fanti & Viswanath, NeurIPS
   * 2017): each node sees them as inbound peers and relays to them as to any peer; the
   * eavesdropper never relays. The source estimator then also names the node whose copy reached
   * it first (the first-timestamp estimator), whichever of spies and eavesdropper saw it first.
   * @default 0
   */
  eavesdropper?: number
  /** Share of nodes that send nothing at all (black holes). @default 0 */
  droppers?: number
  /** Share of nodes that hold every frame they send for `delayMs` more. @default 0 */
  delayers?: number
  /** Extra delay of the delaying nodes. @default 1000 */
  delayMs?: number
  /** Churn: each online node leaves at this rate per minute (0.1: a mean session of 10 min). @default 0 */
  churn?: number
  /** Mean time a node that left stays away before it reconnects to its links. @default 30 000 */
  churnDowntimeMs?: number
  /** @default 1 */
  seed?: number | string
  /** Virtual time simulated after the last publication. @default 300 000 */
  horizonMs?: number
  /** Router limits of every node. @default small ones that fit the run (see the README) */
  limits?: Partial<RouterLimits>
  /** A node's validator; the default accepts everything at once. */
  validator?: (node: number, message: GossipMessage, from: number) => ValidationResult
  /** Publisher of each message, by node number; by default a random honest online node per message. */
  sources?: number[]
  /**
   * One message per honest node, each node publishing its own once, in a random order (the
   * anonymity papers' setting, in which their precision is defined); overrides `messages` and
   * `sources`. @default false
   */
  onePerHonest?: boolean
  /**
   * Also name a source by centrality, from the first this many nodes the adversary saw send each
   * message (0: only first-spy / first-timestamp). Against the eavesdropper it is Fanti &
   * Viswanath's reporting centrality (NeurIPS 2017), against spies Shah & Zaman's rumour centre
   * (IEEE Trans. Inf. Theory 2011) of the infected nodes the spies saw; both are the node with the
   * least sum of hop distances to those nodes (see `distanceCentre`). Costs one breadth-first
   * search of the network per observed node and message, and memory for every (message, node) pair.
   * @default 0
   */
  centreReports?: number
  /** Gnutella's TTL when `strategy` is `'gnutella'`. */
  ttl?: number
}

/** The outcome of one run. Everything but `perf` is a pure function of the options. */
export interface SimulationResult {
  strategy: string
  config: {
    nodes: number
    links: number
    meanDegree: number
    topology: string
    messages: number
    intervalMs: number
    payloadBytes: number
    latency: string
    bandwidthMbps: number
    loss: number
    spies: number
    /** eavesdropper connections to every node (0: none) */
    eavesdropper: number
    droppers: number
    delayers: number
    delayMs: number
    churn: number
    seed: number | string
  }
  /** Share of (message, node other than its publisher) pairs delivered, in % */
  deliveryPct: number
  /** Pooled over messages: times after publishing by which 50/90/99/100 % of the pairs were delivered */
  coverage: Quantiles
  /** The same for the shortest-path lower bound over the same links and latencies */
  bound: Quantiles
  /** Payload copies (message and stem frames) received per node per message */
  copiesPerNodePerMessage: number
  /** Bytes sent per node over the run, frame overhead and announce/request frames included */
  bytesOutPerNode: number
  /** Payload bytes sent per node per message */
  payloadBytesPerNodePerMessage: number
  /**
   * The first-spy (and, with an eavesdropper, first-timestamp) estimator, when there is an
   * adversary; `centre`: the centrality estimator on the first `reports` nodes seen (with `centreReports`)
   */
  spy?: Attribution & { spies: number, centre?: Attribution & { reports: number } }
  churnEvents: { leaves: number, joins: number }
  /** Infractions the routers reported */
  reports: number
  /** Embargo timers that fired (Dandelion): stems that died on their way. 0 among honest nodes on a lossless network. */
  embargoes: number
  /** Frames lost to `loss`, churn or droppers */
  framesLost: number
  /** Events run */
  events: number
  /** Virtual time of the last event run */
  virtualMs: number
  /** Curves sampled at shares 0.5 %, 1 %, ... 100 %: coverage and bound times (ms, null: never), and the delivered latency CDF */
  curve: {
    fraction: number[]
    coverageMs: Array<number | null>
    boundMs: Array<number | null>
    /** latency at each share of the delivered pairs only */
    latencyMs: number[]
  }
  /** Wall time and memory: the only part that differs between runs of one seed. */
  perf?: Perf
}

/** Wall time and memory of one run (`SimulationResult.perf`). */
export interface Perf {
  setupMs: number
  runMs: number
  metricsMs: number
  wallMs: number
  eventsPerSecond: number
  /** Peak resident set of the process so far (all its threads), MiB */
  peakRssMiB: number
  /** Heap in use at the end, of the thread that called (not of worker threads), MiB */
  heapUsedMiB: number
  /** most events waiting at once (summed over threads) */
  peakQueue: number
  /** threads the run used (see `simulateParallel`) */
  threads: number
  /** windows of virtual time the threads ran in step (0 on one thread) */
  windows: number
}

/** Which nodes a {@link Simulation} runs: those with `node % count === index`. */
export interface Partition {
  index: number
  count: number
}

/** A delivery to a node of another partition, as {@link Simulation.send} leaves it. */
export interface CrossDelivery {
  time: number
  tie: number
  to: number
  from: number
  frame: GossipFrame
}

/**
 * What a run (or one partition of it) leaves to be measured: everything a {@link SimulationResult}
 * is computed from. @internal exported for the parallel runner.
 */
export interface RunRecord {
  sources: Int32Array
  /** first delivery time of message m at node i: `deliveredAt[m * n + i]`, NaN until then */
  deliveredAt: Float64Array
  firstSpyFrom: Int32Array
  firstSpyAt: Float64Array
  firstSpyTie: Float64Array
  /** with `centreReports`: when the adversary first saw node i send message m, `[m * n + i]`, NaN: never */
  observedAt?: Float64Array
  copies: number
  bytesOut: number
  payloadBytesOut: number
  framesLost: number
  reports: number
  embargoes: number
  churnLeaves: number
  churnJoins: number
  events: number
  /** virtual time of the last event run */
  now: number
  peakQueue: number
}
