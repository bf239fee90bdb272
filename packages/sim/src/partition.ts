import type { GossipFrame, GossipMessage } from '@hearsay/interface'
import { prepare, recordOf, Simulation, type CrossDelivery, type RunRecord, type SimulationOptions } from './simulation.ts'

// frame types on the wire between threads
const MESSAGE = 0
const STEM = 1
const ANNOUNCE = 2
const REQUEST = 3

/**
 * Deliveries to another thread's nodes as one array of numbers (a transferable buffer rather
 * than cloned objects): per delivery `time, tie, to, from, type`, then the message's index (and
 * TTL and hops, NaN when absent) or the count of ids and their indices.
 */
export function encodeDeliveries (deliveries: CrossDelivery[], indexOf: (id: string) => number): Float64Array {
  const out: number[] = []
  for (const { time, tie, to, from, frame } of deliveries) {
    out.push(time, tie, to, from)
    switch (frame.type) {
      case 'message':
        out.push(MESSAGE, indexOf(frame.message.id), frame.ttl ?? Number.NaN, frame.hops ?? Number.NaN)
        break
      case 'stem':
        out.push(STEM, indexOf(frame.message.id))
        break
      default:
        out.push(frame.type === 'announce' ? ANNOUNCE : REQUEST, frame.ids.length)
        for (const id of frame.ids) out.push(indexOf(id))
    }
  }
  return Float64Array.from(out)
}

/** The inverse of {@link encodeDeliveries}, with this thread's copies of the messages. */
export function decodeDeliveries (data: Float64Array, messages: GossipMessage[], each: (delivery: CrossDelivery) => void): void {
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
      frame = { type: 'message', message: messages[data[k]] }
      if (!Number.isNaN(ttl)) frame.ttl = ttl
      if (!Number.isNaN(hops)) frame.hops = hops
      k += 3
    } else if (type === STEM) {
      frame = { type: 'stem', message: messages[data[k]] }
      k += 1
    } else {
      const count = data[k]
      const ids = Array.from(data.subarray(k + 1, k + 1 + count), m => messages[m].id)
      frame = { type: type === ANNOUNCE ? 'announce' : 'request', ids }
      k += 1 + count
    }
    each({ time, tie, to, from, frame })
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
  readonly #count: number

  constructor (options: SimulationOptions, index: number, count: number) {
    const { spec, rngs, graph, limits } = prepare(options)
    this.#count = count
    this.#sim = new Simulation(graph, spec, options, rngs, limits, { index, count })
    this.#sim.start(options, rngs)
  }

  /** Due time of this partition's next event. */
  get next (): number {
    return this.#sim.queue.peekTime()
  }

  /** Take deliveries from other partitions, then run every event due before `until`. */
  window (inboxes: Float64Array[], until: number): WindowDone {
    const sim = this.#sim
    for (const inbox of inboxes) decodeDeliveries(inbox, sim.messages, delivery => { sim.receiveCross(delivery) })
    sim.runUntil(until)
    const byPart: CrossDelivery[][] = Array.from({ length: this.#count }, () => [])
    for (const delivery of sim.outbox) byPart[delivery.to % this.#count].push(delivery)
    sim.outbox = []
    const indexOf = (id: string): number => {
      const m = sim.messageIndex.get(id)
      if (m == null) throw new Error(`message ${id} is not one of the run's`)
      return m
    }
    return {
      outboxes: byPart.map(list => encodeDeliveries(list, indexOf)),
      earliest: byPart.map(list => list.reduce((min, d) => Math.min(min, d.time), Infinity)),
      next: sim.queue.peekTime()
    }
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
