/**
 * A thread of {@link simulateParallel}: runs one partition's windows on the main thread's word.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { PartitionRun } from './partition.ts'
import type { SimulationOptions } from './simulation.ts'

/** A message from the main thread. */
export type ToWorker =
  | { type: 'window', inboxes: Float64Array[], until: number }
  | { type: 'finish' }

const port = parentPort
if (port == null) throw new Error('worker.ts runs as a worker thread')
const { options, index, count } = workerData as { options: SimulationOptions, index: number, count: number }
const run = new PartitionRun(options, index, count)
port.postMessage({ type: 'ready', next: run.next, end: run.end })
port.on('message', (message: ToWorker) => {
  if (message.type === 'window') {
    const done = run.window(message.inboxes, message.until)
    port.postMessage({ type: 'window', ...done }, done.outboxes.map(o => o.buffer as ArrayBuffer))
    return
  }
  const record = run.record()
  port.postMessage({ type: 'record', record }, [record.deliveredAt.buffer as ArrayBuffer])
})
