import { seededRng, exponential, shuffle } from '@hearsay/sansio'
import { TopicRouter } from '@hearsay/gossip/strategies'
import type { RouterEffects, RouterLimits, ValidationResult } from '@hearsay/gossip/strategies'
import type { Clock, GossipFrame, GossipMessage, InfractionName, PeerKey, Rng, StrategySpec } from '@hearsay/interface'
import { EventQueue } from './queue.ts'
import { DEFAULT_LATENCY, formatLatency, latencySampler, parseLatency, type LatencySpec } from './latency.ts'
import { attribution, curveFractions, quantiles, shortestTimes, coverageTime, type Attribution, type Quantiles } from './metrics.ts'
import { buildGraph, generate, meanDegree, shuffledNodes, type EdgeList, type Graph, type TopologySpec } from './topology.ts'
import { strategyByName, type StrategyName } from './strategies.ts'

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
  /** The first-spy (and, with an eavesdropper, first-timestamp) estimator, when there is an adversary */
  spy?: Attribution & { spies: number }
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

// event kinds
const DELIVER = 0
const TIMER = 1
const PUBLISH = 2
const LEAVE = 3
const JOIN = 4

/** Bytes a frame costs on the wire beyond its payload; an id in announce/request frames is 32 bytes. */
export const FRAME_OVERHEAD = 16
/** Bytes one message id costs in an announce or request frame. */
export const ID_BYTES = 32

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

function topologyOf (options: Pick<SimulationOptions, 'topology' | 'edges'>): string {
  if (options.edges != null) return 'edge list'
  const t = options.topology ?? { kind: 'random', degree: 8 }
  switch (t.kind) {
    case 'random': return `random ${t.degree}-regular`
    case 'tree': return `${t.degree}-regular tree, depth ${t.depth}`
    case 'ring': return 'random Hamiltonian cycle'
    case 'bitcoin': return `bitcoin-like (${t.outbound ?? 8} out, ≤ ${t.maxInbound ?? 117} in)`
  }
}

function latencyOf (options: Pick<SimulationOptions, 'latency'>): LatencySpec {
  const l = options.latency ?? DEFAULT_LATENCY
  return typeof l === 'string' ? parseLatency(l) : l
}

/** The network of a run: its topology and sampled link latencies, from the run's seed. */
export function buildNetwork (options: Omit<SimulationOptions, 'strategy'>): Graph {
  const rngs = streams(options.seed ?? 1)
  const edges = options.edges ?? generate(options.topology ?? { kind: 'random', degree: 8 }, options.nodes ?? 1000, rngs.topology)
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
export function messageCount (options: SimulationOptions, role: Uint8Array): number {
  if (options.onePerHonest !== true) return options.messages ?? 20
  let honest = 0
  for (let i = 0; i < role.length; i++) if (role[i] === HONEST) honest++
  return honest
}

/** A node's side of the router: every effect becomes an event on the shared queue. */
class NodeEffects implements RouterEffects<unknown> {
  readonly #sim: Simulation
  readonly #node: number

  constructor (sim: Simulation, node: number) {
    this.#sim = sim
    this.#node = node
  }

  send (peer: PeerKey, frame: GossipFrame): void {
    this.#sim.send(this.#node, peer, frame)
  }

  schedule (delayMs: number, timer: unknown): void {
    const sim = this.#sim
    sim.queue.push(sim.now + Math.max(0, delayMs), TIMER, this.#node, 0, timer, sim.tie(this.#node))
  }

  deliver (message: GossipMessage): void {
    this.#sim.delivered(this.#node, message)
  }

  validate (message: GossipMessage, from: PeerKey): ValidationResult {
    return this.#sim.validate(this.#node, message, from)
  }

  report (_peer: PeerKey, _infraction: InfractionName): void {
    this.#sim.reports++
  }
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

/** @internal exported for the parallel runner */
export class Simulation {
  now = 0
  readonly queue = new EventQueue()
  readonly graph: Graph
  readonly n: number
  readonly routers: Array<TopicRouter<unknown>>
  readonly keys: string[]
  readonly online: Uint8Array
  /** {@link HONEST}, {@link SPY}, {@link DROPPER} or {@link DELAYER} */
  readonly role: Uint8Array
  readonly uplinkFree: Float64Array
  readonly messages: GossipMessage[]
  readonly messageIndex = new Map<string, number>()
  readonly publishedAt: Float64Array
  readonly sources: Int32Array
  /** first delivery time of message m at node i: `deliveredAt[m * n + i]`, NaN until then */
  readonly deliveredAt: Float64Array
  readonly firstSpyFrom: Int32Array
  readonly msPerByte: number
  readonly loss: number
  readonly delayMs: number
  /** spies send nothing (`spiesRelay: false`) */
  readonly silentSpies: boolean
  /** keys of the eavesdropper's connections to each node: `e0`, `e1`, ... */
  readonly eavesdropperKeys: string[]
  /** publishers chosen in advance (`sources`, or every honest node with `onePerHonest`) */
  readonly planned?: number[]
  /** tie-break of the event being run: an eavesdropper's observation is ordered by it */
  eventTie = 0
  /** per node, drawn by the sender: a frame's fate does not depend on other nodes' draws */
  readonly net: Rng[]
  readonly part: Partition
  /** per node (and one more for global events): events each has scheduled, for tie-breaking */
  readonly #scheduled: Float64Array
  /** where deliveries to other partitions' nodes go */
  cross: (delivery: CrossDelivery) => void = () => { throw new Error('no other partition') }
  /** time of the first spy observation of each message (see `firstSpyFrom`), and its tie key */
  readonly firstSpyAt: Float64Array
  readonly firstSpyTie: Float64Array
  readonly validator?: (node: number, message: GossipMessage, from: number) => ValidationResult
  reports = 0
  copies = 0
  bytesOut = 0
  payloadBytesOut = 0
  framesLost = 0
  deliveries = 0

  constructor (graph: Graph, spec: StrategySpec, options: SimulationOptions, rngs: Streams, limits: Partial<RouterLimits>, part: Partition = { index: 0, count: 1 }) {
    this.graph = graph
    this.part = part
    const n = this.n = graph.n
    this.#scheduled = new Float64Array(n + 1)
    const bandwidth = options.bandwidthMbps ?? 10
    this.msPerByte = bandwidth > 0 ? 8 / (bandwidth * 1000) : 0
    this.loss = options.loss ?? 0
    this.delayMs = options.delayMs ?? 1000
    this.net = this.loss > 0 ? Array.from({ length: n }, () => rngs.net.fork()) : []
    this.validator = options.validator
    this.keys = Array.from({ length: n }, (_, i) => String(i))
    this.online = new Uint8Array(n).fill(1)
    this.uplinkFree = new Float64Array(n)
    this.role = rolesOf(n, options, rngs.roles)
    this.silentSpies = options.spiesRelay === false
    this.eavesdropperKeys = Array.from({ length: options.eavesdropper ?? 0 }, (_, k) => `e${k}`)
    this.planned = options.onePerHonest === true ? honestOrder(this.role, rngs.sources) : options.sources
    const count = messageCount(options, this.role)

    const data = new Uint8Array(options.payloadBytes ?? 1024)
    this.messages = Array.from({ length: count }, (_, m) => ({ id: `m${m}`, topic: 'sim', data }))
    this.messages.forEach((message, m) => this.messageIndex.set(message.id, m))
    this.publishedAt = new Float64Array(count)
    this.sources = new Int32Array(count).fill(-1)
    this.deliveredAt = new Float64Array(count * n).fill(Number.NaN)
    this.firstSpyFrom = new Int32Array(count).fill(-1)
    this.firstSpyAt = new Float64Array(count).fill(Infinity)
    this.firstSpyTie = new Float64Array(count).fill(Infinity)

    const clock: Clock = { now: () => this.now }
    this.routers = new Array(n)
    for (let i = 0; i < n; i++) {
      // every node's generator is forked, owned or not, so a node's draws never depend on the partition
      const rng = rngs.nodes.fork()
      if (!this.owns(i)) continue
      this.routers[i] = new TopicRouter<unknown>({
        topic: 'sim', spec, clock, rng, effects: new NodeEffects(this, i), limits
      })
    }
    for (let i = 0; i < n; i++) if (this.owns(i)) this.#connect(i)
  }

  /** Whether node `i` runs in this partition. */
  owns (i: number): boolean {
    return i % this.part.count === this.part.index
  }

  /**
   * The tie-break of the next event scheduled by `origin` (`n` for global events): events at
   * one virtual time run in order of (origin's count of scheduled events, origin). A node's count
   * depends only on what happened to it, so the order, and the run, are the same however the
   * nodes are split between threads.
   */
  tie (origin: number): number {
    return this.#scheduled[origin]++ * (this.n + 1) + origin
  }

  /** Add node i's links to online peers, on both sides. */
  #connect (i: number): void {
    const { offsets, targets, outbound } = this.graph
    const router = this.routers[i]
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      const j = targets[e]
      if (this.online[j] === 0) continue
      router.addPeer(this.keys[j], outbound[e] === 1 ? 'outbound' : 'inbound')
    }
    for (const key of this.eavesdropperKeys) router.addPeer(key, 'inbound')
  }

  send (i: number, peer: PeerKey, frame: GossipFrame): void {
    // 'e': one of the eavesdropper's connections, which hears the frame as it is sent
    if (peer.charCodeAt(0) === 101) {
      if (this.online[i] === 1 && this.role[i] !== DROPPER) this.#spyObserves(i, frame, this.eventTie)
      return
    }
    const j = +peer
    const { offsets, targets, latency } = this.graph
    let e = offsets[i]
    const end = offsets[i + 1]
    while (e < end && targets[e] !== j) e++
    if (e === end) return
    let bytes = FRAME_OVERHEAD
    if (frame.type === 'message' || frame.type === 'stem') {
      bytes += frame.message.data.byteLength
      this.payloadBytesOut += frame.message.data.byteLength
    } else {
      bytes += ID_BYTES * frame.ids.length
    }
    const role = this.role[i]
    if (this.online[i] === 0 || role === DROPPER || (role === SPY && this.silentSpies)) {
      this.framesLost++
      return
    }
    this.bytesOut += bytes
    let start = this.now
    if (this.msPerByte > 0) {
      if (this.uplinkFree[i] > start) start = this.uplinkFree[i]
      start += bytes * this.msPerByte
      this.uplinkFree[i] = start
    }
    if (role === DELAYER) start += this.delayMs
    if (this.loss > 0 && this.net[i].next() < this.loss) {
      this.framesLost++
      return
    }
    const tie = this.tie(i)
    if (this.owns(j)) this.queue.push(start + latency[e], DELIVER, j, i, frame, tie)
    else this.cross({ time: start + latency[e], tie, to: j, from: i, frame })
  }

  validate (node: number, message: GossipMessage, from: PeerKey): ValidationResult {
    return this.validator == null ? 'accept' : this.validator(node, message, +from)
  }

  delivered (node: number, message: GossipMessage): void {
    const m = this.messageIndex.get(message.id)
    if (m == null) return
    const slot = m * this.n + node
    if (Number.isNaN(this.deliveredAt[slot])) {
      this.deliveredAt[slot] = this.now - this.publishedAt[m]
      this.deliveries++
    }
  }

  #spyObserves (from: number, frame: GossipFrame, tie: number): void {
    if (frame.type === 'message' || frame.type === 'stem') {
      this.#firstSpy(this.messageIndex.get(frame.message.id), from, tie)
    } else if (frame.type === 'announce') {
      for (const id of frame.ids) this.#firstSpy(this.messageIndex.get(id), from, tie)
    }
  }

  #firstSpy (m: number | undefined, from: number, tie: number): void {
    // events run in (time, tie) order, so the first observation here is the earliest
    if (m == null || this.firstSpyFrom[m] !== -1) return
    this.firstSpyFrom[m] = from
    this.firstSpyAt[m] = this.now
    this.firstSpyTie[m] = tie
  }

  #options: SimulationOptions = { strategy: 'flood' }
  #rngs?: Streams
  /** virtual time of the last event the run takes */
  end = 0
  /** events run */
  events = 0

  /** Schedule the run's own events: publications and, with churn, the first departures. */
  start (options: SimulationOptions, rngs: Streams): void {
    this.#options = options
    this.#rngs = rngs
    const q = this.queue
    const interval = options.intervalMs ?? 1000
    const count = this.messages.length
    for (let m = 0; m < count; m++) q.push(m * interval, PUBLISH, -1, m, undefined, this.tie(this.n))
    const churn = options.churn ?? 0
    if (churn > 0) {
      for (let i = 0; i < this.n; i++) q.push(exponential(rngs.churn, 60_000 / churn), LEAVE, i, 0, undefined, this.tie(i))
    }
    this.end = (count - 1) * interval + (options.horizonMs ?? 300_000)
  }

  /** Run the events due before `until` (and not after the run's end). */
  runUntil (until: number): void {
    const options = this.#options
    const rngs = this.#rngs as Streams
    const q = this.queue
    const churn = options.churn ?? 0
    const sessionMs = churn > 0 ? 60_000 / churn : 0
    const downtimeMs = options.churnDowntimeMs ?? 30_000
    const end = this.end
    const routers = this.routers
    const keys = this.keys
    const role = this.role
    const online = this.online
    let events = 0
    while (q.size > 0 && q.peekTime() < until && q.peekTime() <= end) {
      q.pop()
      this.now = q.time
      this.eventTie = q.tie
      events++
      switch (q.kind) {
        case DELIVER: {
          const to = q.a
          const from = q.b
          const frame = q.obj as GossipFrame
          if (online[to] === 0 || online[from] === 0) {
            this.framesLost++
            break
          }
          if (frame.type === 'message' || frame.type === 'stem') this.copies++
          if (role[to] === SPY) this.#spyObserves(from, frame, q.tie)
          routers[to].receive(keys[from], frame)
          break
        }
        case TIMER:
          routers[q.a].timer(q.obj)
          break
        case PUBLISH:
          // every partition runs every publication (the choice of publisher is shared); one counts it
          if (this.part.index !== 0) events--
          this.#publish(q.b, rngs.sources, this.planned)
          break
        case LEAVE:
          this.churnLeaves++
          this.#leave(q.a)
          q.push(this.now + exponential(rngs.churn, downtimeMs), JOIN, q.a, 0, undefined, this.tie(q.a))
          break
        case JOIN:
          this.churnJoins++
          online[q.a] = 1
          this.#rejoin(q.a)
          q.push(this.now + exponential(rngs.churn, sessionMs), LEAVE, q.a, 0, undefined, this.tie(q.a))
          break
      }
    }
    this.events += events
  }

  /** A delivery from another partition. */
  receiveCross (delivery: CrossDelivery): void {
    this.queue.push(delivery.time, DELIVER, delivery.to, delivery.from, delivery.frame, delivery.tie)
  }

  churnLeaves = 0
  churnJoins = 0

  #publish (m: number, rng: Rng, given?: number[]): void {
    // a random honest online node that has not published yet, if one is found quickly
    let source = -1
    if (given != null) {
      const i = given[m % given.length]
      if (!(Number.isInteger(i) && i >= 0 && i < this.n)) throw new RangeError(`source ${i} is not a node`)
      if (this.online[i] === 1) source = i
    }
    for (let tries = 0; given == null && tries < 1000; tries++) {
      const i = rng.int(this.n)
      if (this.role[i] !== HONEST || this.online[i] === 0) continue
      source = i
      if (!this.sources.includes(i)) break
    }
    if (source === -1) return
    this.sources[m] = source
    this.publishedAt[m] = this.now
    if (this.owns(source)) this.routers[source].publish(this.messages[m])
  }

  #leave (i: number): void {
    this.online[i] = 0
    const { offsets, targets } = this.graph
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      const j = targets[e]
      this.routers[i].removePeer(this.keys[j])
      if (this.online[j] === 1) this.routers[j].removePeer(this.keys[i])
    }
  }

  #rejoin (i: number): void {
    const { offsets, targets, outbound } = this.graph
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      const j = targets[e]
      if (this.online[j] === 0) continue
      const mine = outbound[e] === 1
      this.routers[i].addPeer(this.keys[j], mine ? 'outbound' : 'inbound')
      this.routers[j].addPeer(this.keys[i], mine ? 'inbound' : 'outbound')
    }
    for (const key of this.eavesdropperKeys) this.routers[i].addPeer(key, 'inbound')
  }
}

/** Router limits that fit a run: a seen set for its messages, a request cache only for `announce`. */
function limitsFor (spec: StrategySpec, options: SimulationOptions, n: number): Partial<RouterLimits> {
  const messages = options.onePerHonest === true ? n : options.messages ?? 20
  const payload = options.payloadBytes ?? 1024
  const needsCache = spec.name === 'announce'
  return {
    seenMax: Math.max(1024, 2 * messages),
    // only announce answers requests; the other strategies never read the cache
    cacheMaxBytes: needsCache ? Math.max(1, messages) * Math.max(1, payload) * 2 : 0,
    maxMessageBytes: Math.max(1024 * 1024, payload),
    ...options.limits
  }
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

/** The record of a finished run or partition. @internal */
export function recordOf (sim: Simulation): RunRecord {
  return {
    sources: sim.sources,
    deliveredAt: sim.deliveredAt,
    firstSpyFrom: sim.firstSpyFrom,
    firstSpyAt: sim.firstSpyAt,
    firstSpyTie: sim.firstSpyTie,
    copies: sim.copies,
    bytesOut: sim.bytesOut,
    payloadBytesOut: sim.payloadBytesOut,
    framesLost: sim.framesLost,
    reports: sim.reports,
    embargoes: sim.routers.reduce((sum, router) => sum + router.stats().embargoes, 0),
    churnLeaves: sim.churnLeaves,
    churnJoins: sim.churnJoins,
    events: sim.events,
    now: sim.now,
    peakQueue: sim.queue.peak
  }
}

/** A run's setup: the strategy, its generators, the network and the routers' limits. @internal */
export function prepare (options: SimulationOptions): { spec: StrategySpec, rngs: Streams, graph: Graph, limits: Partial<RouterLimits> } {
  const spec = typeof options.strategy === 'string' ? strategyByName(options.strategy, { ttl: options.ttl }) : options.strategy
  const rngs = streams(options.seed ?? 1)
  const graph = options.graph ?? buildNetwork(options)
  if (graph.n < 2) throw new RangeError('a simulation needs at least 2 nodes')
  return { spec, rngs, graph, limits: limitsFor(spec, options, graph.n) }
}

/**
 * Run one strategy on a simulated network: every node a real `TopicRouter` with the strategy's
 * production core, every send, timer and delivery an event on one virtual-time queue.
 * {@link simulateParallel} gives the same result using several threads.
 */
export function simulate (options: SimulationOptions): SimulationResult {
  const t0 = performance.now()
  const { spec, rngs, graph, limits } = prepare(options)
  const sim = new Simulation(graph, spec, options, rngs, limits)
  const t1 = performance.now()
  sim.start(options, rngs)
  sim.runUntil(Infinity)
  const t2 = performance.now()
  return summarize(recordOf(sim), graph, spec, options, sim.role, [t0, t1, t2])
}

/**
 * The result of a run from its record. `times` are `performance.now()` at the start, after
 * setup and after the run. @internal
 */
export function summarize (record: RunRecord, graph: Graph, spec: StrategySpec, options: SimulationOptions, role: Uint8Array, times: [number, number, number]): SimulationResult {
  const [t0, t1, t2] = times
  const events = record.events
  const n = graph.n
  const count = record.sources.length
  const published: number[] = []
  for (let m = 0; m < count; m++) if (record.sources[m] >= 0) published.push(m)
  const total = published.length * (n - 1)
  const latencies = new Float64Array(total)
  const bounds = new Float64Array(total)
  let reached = 0
  let bounded = 0
  const bandwidth = options.bandwidthMbps ?? 10
  const hopMs = bandwidth > 0 ? (FRAME_OVERHEAD + (options.payloadBytes ?? 1024)) * 8 / (bandwidth * 1000) : 0
  for (const m of published) {
    const source = record.sources[m]
    const dist = shortestTimes(graph, source, hopMs)
    for (let i = 0; i < n; i++) {
      if (i === source) continue
      const at = record.deliveredAt[m * n + i]
      if (!Number.isNaN(at)) latencies[reached++] = at
      if (Number.isFinite(dist[i])) bounds[bounded++] = dist[i]
    }
  }
  const delivered = latencies.subarray(0, reached).sort()
  const bound = bounds.subarray(0, bounded).sort()
  const fractions = curveFractions()
  const round = (v: number | null): number | null => v == null ? null : Math.round(v * 1000) / 1000
  const roundQ = (q: Quantiles): Quantiles => ({ t50: round(q.t50), t90: round(q.t90), t99: round(q.t99), t100: round(q.t100) })
  const spies = role.reduce((s, r) => s + (r === SPY ? 1 : 0), 0)
  const eavesdropper = options.eavesdropper ?? 0
  const sources = published.map(m => record.sources[m])
  const guesses = published.map(m => record.firstSpyFrom[m])
  const nodesForBytes = Math.max(1, n)
  const result: SimulationResult = {
    strategy: spec.name,
    config: {
      nodes: n,
      links: graph.targets.length / 2,
      meanDegree: round(meanDegree(graph)) as number,
      topology: topologyOf(options),
      messages: published.length,
      intervalMs: options.intervalMs ?? 1000,
      payloadBytes: options.payloadBytes ?? 1024,
      latency: formatLatency(latencyOf(options)),
      bandwidthMbps: bandwidth,
      loss: options.loss ?? 0,
      spies: options.spyNodes != null ? spies / n : options.spies ?? 0,
      eavesdropper,
      droppers: options.droppers ?? 0,
      delayers: options.delayers ?? 0,
      delayMs: options.delayMs ?? 1000,
      churn: options.churn ?? 0,
      seed: options.seed ?? 1
    },
    deliveryPct: total === 0 ? 0 : round(100 * reached / total) as number,
    coverage: roundQ(quantiles(delivered, total)),
    bound: roundQ(quantiles(bound, total)),
    copiesPerNodePerMessage: round(published.length === 0 ? 0 : record.copies / n / published.length) as number,
    bytesOutPerNode: round(record.bytesOut / nodesForBytes) as number,
    payloadBytesPerNodePerMessage: round(published.length === 0 ? 0 : record.payloadBytesOut / n / published.length) as number,
    spy: spies > 0 || eavesdropper > 0 ? { spies, ...attribution(guesses, sources) } : undefined,
    churnEvents: { leaves: record.churnLeaves, joins: record.churnJoins },
    reports: record.reports,
    embargoes: record.embargoes,
    framesLost: record.framesLost,
    events,
    virtualMs: round(record.now) as number,
    curve: {
      fraction: fractions,
      coverageMs: fractions.map(f => round(coverageTime(delivered, total, f))),
      boundMs: fractions.map(f => round(coverageTime(bound, total, f))),
      latencyMs: reached === 0 ? [] : fractions.map(f => round(coverageTime(delivered, reached, f)) as number)
    }
  }
  if (result.spy == null) delete result.spy
  const t3 = performance.now()
  const memory = process.memoryUsage()
  result.perf = {
    setupMs: Math.round(t1 - t0),
    runMs: Math.round(t2 - t1),
    metricsMs: Math.round(t3 - t2),
    wallMs: Math.round(t3 - t0),
    eventsPerSecond: Math.round(events / Math.max(1e-9, (t2 - t1) / 1000)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedMiB: Math.round(memory.heapUsed / 2 ** 20),
    peakQueue: record.peakQueue,
    threads: 1,
    windows: 0
  }
  return result
}
