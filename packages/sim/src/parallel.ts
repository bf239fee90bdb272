import { availableParallelism } from 'node:os'
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { prepare, rolesOf, simulate, summarize, type RunRecord, type SimulationOptions, type SimulationResult } from './simulation.ts'
import type { WorkerDone, WorkerInit } from './worker.ts'

/** Fewer nodes than this run on one thread by default: below it, threads cost more than they save. */
const PARALLEL_FROM_NODES = 20_000

/**
 * Why `options` cannot run on several threads, or undefined when they can. Threads need
 * everything in the options to be data (a strategy by name, no validator function), and every
 * node's fate to be its own (no churn, whose generator is shared by all nodes).
 */
export function notParallel (options: SimulationOptions): string | undefined {
  if (typeof options.strategy !== 'string') return 'the strategy is not given by name'
  if (options.validator != null) return 'a validator function cannot be shared with threads'
  if ((options.churn ?? 0) > 0) return 'churn draws from one generator for all nodes'
  return undefined
}

/** Threads {@link simulateParallel} uses when not told: one per core (at most 8) on large networks. */
export function defaultWorkers (options: SimulationOptions): number {
  const nodes = options.graph?.n ?? options.edges?.n ?? options.nodes ?? 1000
  if (nodes < PARALLEL_FROM_NODES || notParallel(options) != null) return 1
  return Math.max(1, Math.min(8, availableParallelism()))
}

/**
 * {@link simulate} on several threads: the nodes are split between worker threads, which run in
 * windows of virtual time as long as the shortest link latency — nothing a node does in a window
 * can reach another node before the window ends — and exchange the frames that cross between
 * them after each window, directly, thread to thread. Same options, same result, down to the JSON (only `perf` differs):
 * events at one virtual time run in an order that does not depend on the split.
 *
 * Falls back to {@link simulate} on this thread with one worker, or when {@link notParallel}
 * says the options cannot be shared, or when some link has no latency.
 */
export async function simulateParallel (options: SimulationOptions, workers = defaultWorkers(options)): Promise<SimulationResult> {
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError('workers must be an integer >= 1')
  if (workers === 1 || notParallel(options) != null) return simulate(options)
  const t0 = performance.now()
  const { spec, rngs, graph } = prepare(options)
  let lookahead = Infinity
  for (const latency of graph.latency) if (latency < lookahead) lookahead = latency
  if (!(lookahead > 0)) return simulate({ ...options, graph })

  const url = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)
  // one channel per pair of threads: they exchange frames and agree on windows without us
  const ports: Array<Array<MessagePort | null>> = Array.from({ length: workers }, () => new Array(workers).fill(null))
  for (let a = 0; a < workers; a++) {
    for (let b = a + 1; b < workers; b++) {
      const channel = new MessageChannel()
      ports[a][b] = channel.port1
      ports[b][a] = channel.port2
    }
  }
  // the network goes to every thread as built here, not rebuilt from the seed in each
  const shared: SimulationOptions = { ...options, graph }
  const threads: Worker[] = []
  try {
    for (let index = 0; index < workers; index++) {
      const init: WorkerInit = { options: shared, index, count: workers, lookahead, ports: ports[index] }
      threads.push(new Worker(url, { workerData: init, transferList: ports[index].filter(p => p != null) }))
    }
    const t1 = performance.now()
    const done = await Promise.all(threads.map(async thread => await reply(thread)))
    const records = done.map(d => d.record)
    const t2 = performance.now()
    const role = rolesOf(graph.n, options, rngs.roles)
    const result = summarize(merge(records, graph.n), graph, spec, options, role, [t0, t1, t2])
    if (result.perf != null) {
      // the threads' own setup and loop: the slowest of each, so the figures compare with one thread's
      const setupMs = (t1 - t0) + Math.max(...done.map(d => d.setupMs))
      const runMs = Math.max(...done.map(d => d.runMs))
      Object.assign(result.perf, {
        setupMs: Math.round(setupMs),
        runMs: Math.round(runMs),
        eventsPerSecond: Math.round(result.events / Math.max(1e-9, runMs / 1000)),
        threads: workers,
        windows: done[0].windows
      })
    }
    return result
  } finally {
    await Promise.all(threads.map(async thread => await thread.terminate()))
    // ports not handed to a thread (one failed to start) are closed here
    for (const row of ports) for (const port of row) port?.close()
  }
}

/** One record from the partitions' records: node i's deliveries are partition i % count's. */
function merge (records: RunRecord[], n: number): RunRecord {
  const count = records.length
  const first = records[0]
  const deliveredAt = first.deliveredAt
  const messages = first.sources.length
  for (let m = 0; m < messages; m++) {
    for (let i = 0; i < n; i++) deliveredAt[m * n + i] = records[i % count].deliveredAt[m * n + i]
  }
  const firstSpyFrom = first.firstSpyFrom
  const firstSpyAt = first.firstSpyAt
  const firstSpyTie = first.firstSpyTie
  for (const r of records.slice(1)) {
    for (let m = 0; m < messages; m++) {
      // the earliest observation in (time, tie) order, as one thread would have seen it
      if (r.firstSpyAt[m] < firstSpyAt[m] || (r.firstSpyAt[m] === firstSpyAt[m] && r.firstSpyTie[m] < firstSpyTie[m])) {
        firstSpyFrom[m] = r.firstSpyFrom[m]
        firstSpyAt[m] = r.firstSpyAt[m]
        firstSpyTie[m] = r.firstSpyTie[m]
      }
    }
  }
  const observedAt = first.observedAt
  if (observedAt != null) {
    for (const r of records.slice(1)) {
      const other = r.observedAt as Float64Array
      for (let k = 0; k < observedAt.length; k++) {
        if (other[k] < observedAt[k] || (Number.isNaN(observedAt[k]) && !Number.isNaN(other[k]))) observedAt[k] = other[k]
      }
    }
  }
  const sum = (key: 'copies' | 'bytesOut' | 'payloadBytesOut' | 'framesLost' | 'reports' | 'embargoes' | 'churnLeaves' | 'churnJoins' | 'events' | 'peakQueue'): number =>
    records.reduce((total, r) => total + r[key], 0)
  return {
    sources: first.sources,
    deliveredAt,
    firstSpyFrom,
    firstSpyAt,
    firstSpyTie,
    observedAt,
    copies: sum('copies'),
    bytesOut: sum('bytesOut'),
    payloadBytesOut: sum('payloadBytesOut'),
    framesLost: sum('framesLost'),
    reports: sum('reports'),
    embargoes: sum('embargoes'),
    churnLeaves: sum('churnLeaves'),
    churnJoins: sum('churnJoins'),
    events: sum('events'),
    now: Math.max(...records.map(r => r.now)),
    peakQueue: sum('peakQueue')
  }
}

/** A thread's one message, its record; its error or exit before that fails the wait. */
async function reply (worker: Worker): Promise<WorkerDone> {
  return await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', code => { reject(new Error(`simulation thread exited (code ${code})`)) })
  })
}
