/**
 * A thread of {@link simulateParallel}. The threads talk to each other directly, over one
 * message port per pair: after each window each sends every other thread the frames that cross
 * to it, its next event time and the earliest frame it sent anywhere. From those every thread
 * computes the same next window, so the main thread only starts them and collects the records.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { PartitionRun } from './partition.ts'
import type { RunRecord, SimulationOptions } from './simulation.ts'

/** What one thread sends another after a window. */
interface Exchange {
  /** frames to the receiving thread's nodes */
  data: Float64Array
  /** the sender's next event */
  next: number
  /** the earliest frame the sender sent to any thread in this window */
  earliest: number
}

/** The setup of a thread. */
export interface WorkerInit {
  options: SimulationOptions
  index: number
  count: number
  /** virtual time a window spans: the shortest link latency */
  lookahead: number
  /** by thread index; `null` for this thread */
  ports: Array<MessagePort | null>
}

/** What a thread reports at the end. */
export interface WorkerDone {
  record: RunRecord
  windows: number
  /** building this thread's nodes, ms */
  setupMs: number
  /** its windows, waits for other threads included, ms */
  runMs: number
}

const main = parentPort
if (main == null) throw new Error('worker.ts runs as a worker thread')
const { options, index, count, lookahead, ports } = workerData as WorkerInit
const started = performance.now()
const run = new PartitionRun(options, index, count)
const setupMs = performance.now() - started

/** Messages from each peer, in order. */
const received: Exchange[][] = ports.map(() => [])
let wake: (() => void) | undefined
ports.forEach((port, peer) => {
  port?.on('message', (exchange: Exchange) => {
    received[peer].push(exchange)
    wake?.()
  })
})

async function roundFromPeers (): Promise<Exchange[]> {
  const peers = ports.flatMap((port, peer) => port == null ? [] : [peer])
  while (peers.some(peer => received[peer].length === 0)) await new Promise<void>(resolve => { wake = resolve })
  wake = undefined
  return peers.map(peer => received[peer].shift() as Exchange)
}

async function loop (): Promise<void> {
  let outboxes: Float64Array[] = ports.map(() => new Float64Array(0))
  let earliest = Infinity
  let windows = 0
  for (;;) {
    const next = run.next
    ports.forEach((port, peer) => {
      const data = outboxes[peer]
      port?.postMessage({ data, next, earliest } satisfies Exchange, [data.buffer as ArrayBuffer])
    })
    const exchanges = await roundFromPeers()
    // the same minimum on every thread: every next event and every frame in flight
    const from = Math.min(next, earliest, ...exchanges.map(e => Math.min(e.next, e.earliest)))
    if (!(from <= run.end)) break
    windows++
    const done = run.window(exchanges.map(e => e.data), from + lookahead)
    outboxes = done.outboxes
    earliest = Math.min(...done.earliest)
  }
  const record = run.record()
  const done: WorkerDone = { record, windows, setupMs, runMs: performance.now() - started - setupMs }
  main?.postMessage(done, [record.deliveredAt.buffer as ArrayBuffer])
  for (const port of ports) port?.close()
}

// a failure is the worker's error event in the main thread
await loop()
