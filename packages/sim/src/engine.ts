import { exponential } from '@hearsay/sansio'
import { TopicRouter } from '@hearsay/gossip/strategies'
import type { RouterEffects, RouterLimits, ValidationResult } from '@hearsay/gossip/strategies'
import type { Clock, GossipFrame, GossipMessage, InfractionName, PeerKey, Rng, StrategySpec } from '@hearsay/interface'
import { EventQueue } from './queue.ts'
import { DELAYER, DROPPER, HONEST, SPY, honestOrder, messageCount, rolesOf, type ResolvedOptions, type Streams } from './options.ts'
import type { Graph } from './topology.ts'
import type { CrossDelivery, Partition, RunRecord } from './types.ts'

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
  /**
   * with `centreReports`: when the adversary first saw node i send message m,
   * `observedAt[m * n + i]` (NaN: not yet), the centrality estimators' input
   */
  readonly observedAt?: Float64Array
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

  /** the run's options, resolved */
  readonly #options: ResolvedOptions
  readonly #rngs: Streams

  constructor (graph: Graph, spec: StrategySpec, options: ResolvedOptions, rngs: Streams, limits: Partial<RouterLimits>, part: Partition = { index: 0, count: 1 }) {
    this.#options = options
    this.#rngs = rngs
    this.graph = graph
    this.part = part
    const n = this.n = graph.n
    this.#scheduled = new Float64Array(n + 1)
    const bandwidth = options.bandwidthMbps
    this.msPerByte = bandwidth > 0 ? 8 / (bandwidth * 1000) : 0
    this.loss = options.loss
    this.delayMs = options.delayMs
    this.net = this.loss > 0 ? Array.from({ length: n }, () => rngs.net.fork()) : []
    this.validator = options.validator
    this.keys = Array.from({ length: n }, (_, i) => String(i))
    this.online = new Uint8Array(n).fill(1)
    this.uplinkFree = new Float64Array(n)
    this.role = rolesOf(n, options, rngs.roles)
    this.silentSpies = !options.spiesRelay
    this.eavesdropperKeys = Array.from({ length: options.eavesdropper }, (_, k) => `e${k}`)
    this.planned = options.onePerHonest ? honestOrder(this.role, rngs.sources) : options.sources
    const count = messageCount(options, this.role)

    const data = new Uint8Array(options.payloadBytes)
    this.messages = Array.from({ length: count }, (_, m) => ({ id: `m${m}`, topic: 'sim', data }))
    this.messages.forEach((message, m) => this.messageIndex.set(message.id, m))
    this.publishedAt = new Float64Array(count)
    this.sources = new Int32Array(count).fill(-1)
    this.deliveredAt = new Float64Array(count * n).fill(Number.NaN)
    this.firstSpyFrom = new Int32Array(count).fill(-1)
    this.firstSpyAt = new Float64Array(count).fill(Infinity)
    this.firstSpyTie = new Float64Array(count).fill(Infinity)
    if (options.centreReports > 0) this.observedAt = new Float64Array(count * n).fill(Number.NaN)

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
    if (m == null) return
    const observed = this.observedAt
    if (observed != null && Number.isNaN(observed[m * this.n + from])) observed[m * this.n + from] = this.now
    // events run in (time, tie) order, so the first observation here is the earliest
    if (this.firstSpyFrom[m] !== -1) return
    this.firstSpyFrom[m] = from
    this.firstSpyAt[m] = this.now
    this.firstSpyTie[m] = tie
  }

  /** virtual time of the last event the run takes */
  end = 0
  /** events run */
  events = 0

  /** Schedule the run's own events: publications and, with churn, the first departures. */
  start (): void {
    const options = this.#options
    const rngs = this.#rngs
    const q = this.queue
    const interval = options.intervalMs
    const count = this.messages.length
    for (let m = 0; m < count; m++) q.push(m * interval, PUBLISH, -1, m, undefined, this.tie(this.n))
    const churn = options.churn
    if (churn > 0) {
      for (let i = 0; i < this.n; i++) q.push(exponential(rngs.churn, 60_000 / churn), LEAVE, i, 0, undefined, this.tie(i))
    }
    this.end = (count - 1) * interval + options.horizonMs
  }

  /** Run the events due before `until` (and not after the run's end). */
  runUntil (until: number): void {
    const options = this.#options
    const rngs = this.#rngs
    const q = this.queue
    const churn = options.churn
    const sessionMs = churn > 0 ? 60_000 / churn : 0
    const downtimeMs = options.churnDowntimeMs
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

/** The record of a finished run or partition. @internal */
export function recordOf (sim: Simulation): RunRecord {
  return {
    sources: sim.sources,
    deliveredAt: sim.deliveredAt,
    firstSpyFrom: sim.firstSpyFrom,
    firstSpyAt: sim.firstSpyAt,
    firstSpyTie: sim.firstSpyTie,
    observedAt: sim.observedAt,
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
