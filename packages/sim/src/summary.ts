import type { StrategySpec } from '@hearsay/interface'
import { seededRng } from '@hearsay/sansio'
import { distanceCentre, firstObserved } from './estimators.ts'
import { formatLatency } from './latency.ts'
import { attribution, curveFractions, quantiles, shortestTimes, coverageTime, type Quantiles } from './metrics.ts'
import { meanDegree, type Graph } from './topology.ts'
import { FRAME_OVERHEAD } from './engine.ts'
import { SPY, resolveOptions, topologyOf } from './options.ts'
import type { RunRecord, SimulationOptions, SimulationResult } from './types.ts'

/**
 * The result of a run from its record. `times` are `performance.now()` at the start, after
 * setup and after the run. @internal
 */
export function summarize (record: RunRecord, graph: Graph, spec: StrategySpec, given: SimulationOptions, role: Uint8Array, times: [number, number, number]): SimulationResult {
  const options = resolveOptions(given)
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
  const bandwidth = options.bandwidthMbps
  const hopMs = bandwidth > 0 ? (FRAME_OVERHEAD + options.payloadBytes) * 8 / (bandwidth * 1000) : 0
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
  const eavesdropper = options.eavesdropper
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
      intervalMs: options.intervalMs,
      payloadBytes: options.payloadBytes,
      latency: formatLatency(options.latency),
      bandwidthMbps: bandwidth,
      loss: options.loss,
      spies: options.spyNodes != null ? spies / n : options.spies,
      eavesdropper,
      droppers: options.droppers,
      delayers: options.delayers,
      delayMs: options.delayMs,
      churn: options.churn,
      seed: options.seed
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
  else if (record.observedAt != null && options.centreReports > 0) {
    // ties between equally central nodes are drawn from a stream of the seed's own
    const rng = seededRng(`${String(options.seed)}/centre`)
    const observed = record.observedAt
    const centres = published.map(m => distanceCentre(graph, firstObserved(observed, m, n, options.centreReports), rng))
    result.spy.centre = { reports: options.centreReports, ...attribution(centres, sources) }
  }
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
