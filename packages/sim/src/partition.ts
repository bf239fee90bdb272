import type { GossipFrame, GossipMessage } from '@hearsay/interface'
import { prepare, recordOf, Simulation, type CrossDelivery, type RunRecord, type SimulationOptions } from './simulation.ts'

// frame types on the wire between threads
const MESSAGE = 0
const STEM = 1
const ANNOUNCE = 2
const REQUEST = 3
const NOTFOUND = 4
const PRUNE = 5
const ID_FRAMES = { announce: ANNOUNCE, request: REQUEST, notfound: NOTFOUND, prune: PRUNE } as const
const ID_FRAME_TYPES = ['announce', 'request', 'notfound', 'prune'] as const

/**
 * Deliveries to another thread's nodes, as numbers for a transferable buffer rather than cloned
 * objects: per delivery `time, tie, to, from, type`, then the message's index (and TTL and hops,
 * NaN when absent) or the count of ids and their indices.
 */
export class DeliveryWriter {
  #out: number[] = []
  /** time of the earliest delivery written since the last `take` */
  earliest = Infinity

  constructor (readonly indexOf: (id: string) => number) {}

  write ({ time, tie, to, from, frame }: CrossDelivery): void {
    const out = this.#out
    if (time < this.earliest) this.earliest = time
    out.push(time, tie, to, from)
    switch (frame.type) {
      case 'message':
        out.push(MESSAGE, this.indexOf(frame.message.id), frame.ttl ?? Number.NaN, frame.hops ?? Number.NaN)
        break
      case 'stem':
        out.push(STEM, this.indexOf(frame.message.id))
        break
      default:
        out.push(ID_FRAMES[frame.type], frame.ids.length)
        for (const id of frame.ids) out.push(this.indexOf(id))
    }
  }

  /** What was written, as a buffer to transfer; the writer starts again empty. */
  take (): Float64Array {
    const data = Float64Array.from(this.#out)
    this.#out = []
    this.earliest = Infinity
    return data
  }
}

/**
 * Reads what {@link DeliveryWriter} wrote, with this thread's copies of the messages. A message
 * frame without TTL is the same object for every delivery of its message (frames are never
 * changed once sent).
 */
export class DeliveryReader {
  readonly #messages: GossipMessage[]
  readonly #frames: GossipFrame[]

  constructor (messages: GossipMessage[]) {
    this.#messages = messages
    this.#frames = messages.map(message => ({ type: 'message', message }))
  }

  read (data: Float64Array, each: (delivery: CrossDelivery) => void): void {
    const messages = this.#messages
    let k = 0
    while (k < data.length) {
      const time = data[k]
      const tie = data[k + 1]
      const to = data[k + 2]
      const from = data[k + 3]
      const type = data[k + 4]
      k += 5
      let frame: GossipFrame
      if (type === MESSAGE) {
        const ttl = data[k + 1]
        const hops = data[k + 2]
        if (Number.isNaN(ttl) && Number.isNaN(hops)) {
          frame = this.#frames[data[k]]
        } else {
          frame = { type: 'message', message: messages[data[k]] }
          if (!Number.isNaN(ttl)) frame.ttl = ttl
          if (!Number.isNaN(hops)) frame.hops = hops
        }
        k += 3
      } else if (type === STEM) {
        frame = { type: 'stem', message: messages[data[k]] }
        k += 1
      } else {
        const count = data[k]
        const ids = Array.from(data.subarray(k + 1, k + 1 + count), m => messages[m].id)
        frame = { type: ID_FRAME_TYPES[type - ANNOUNCE], ids }
        k += 1 + count
      }
      each({ time, tie, to, from, frame })
    }
  }
}

/** What a partition reports after a window: deliveries for each thread, and its next event time. */
export interface WindowDone {
  /** by destination partition; empty for its own */
  outboxes: Float64Array[]
  /** earliest delivery in each outbox (Infinity when empty) */
  earliest: number[]
  next: number
}

/**
 * One thread's share of a parallel run: the nodes `i % count === index`, run window by window.
 * Everything but the nodes' routers is built as in a whole run, from the same seed.
 */
export class PartitionRun {
  readonly #sim: Simulation
  readonly #writers: DeliveryWriter[]
  readonly #reader: DeliveryReader

  constructor (options: SimulationOptions, index: number, count: number) {
    const { options: resolved, spec, rngs, graph, limits } = prepare(options)
    const sim = this.#sim = new Simulation(graph, spec, resolved, rngs, limits, { index, count })
    const indexOf = (id: string): number => {
      const m = sim.messageIndex.get(id)
      if (m == null) throw new Error(`message ${id} is not one of the run's`)
      return m
    }
    this.#writers = Array.from({ length: count }, () => new DeliveryWriter(indexOf))
    this.#reader = new DeliveryReader(sim.messages)
    sim.cross = delivery => { this.#writers[delivery.to % count].write(delivery) }
    sim.start()
  }

  /** Due time of this partition's next event. */
  get next (): number {
    return this.#sim.queue.peekTime()
  }

  /** Take deliveries from other partitions, then run every event due before `until`. */
  window (inboxes: Float64Array[], until: number): WindowDone {
    const sim = this.#sim
    for (const inbox of inboxes) this.#reader.read(inbox, delivery => { sim.receiveCross(delivery) })
    sim.runUntil(until)
    const earliest = this.#writers.map(w => w.earliest)
    return { outboxes: this.#writers.map(w => w.take()), earliest, next: sim.queue.peekTime() }
  }

  /** The partition's record, once every window has run. */
  record (): RunRecord {
    return recordOf(this.#sim)
  }

  /** The run's last event time (see {@link Simulation.end}). */
  get end (): number {
    return this.#sim.end
  }
}
