import type { SimulationResult } from './simulation.ts'
import { lineChart, type ChartSeries } from './svg.ts'

const fmt = (v: number | null | undefined, digits = 0): string => v == null ? '—' : v.toFixed(digits)

/** A markdown table comparing results: coverage times beside the bound, delivery, cost, spies (and the centrality estimator, when run). */
export function resultsTable (results: SimulationResult[]): string {
  const spies = results.some(r => r.spy != null)
  const header = ['strategy', 'delivery %', 't50 ms', 't90 ms', 't99 ms', 't100 ms', 'bound t50/t90/t100 ms', 't90 / bound', 'copies/node/msg', 'KiB out/node', 'embargo fires']
  if (spies) header.push('precision (papers)', 'guess accuracy', 'recall')
  const centre = results.some(r => r.spy?.centre != null)
  if (centre) header.push('centre precision (papers)', 'centre recall')
  header.push('wall s')
  const rows = results.map(r => {
    const row = [
      r.strategy,
      fmt(r.deliveryPct, 2),
      fmt(r.coverage.t50),
      fmt(r.coverage.t90),
      fmt(r.coverage.t99),
      fmt(r.coverage.t100),
      `${fmt(r.bound.t50)} / ${fmt(r.bound.t90)} / ${fmt(r.bound.t100)}`,
      r.coverage.t90 == null || r.bound.t90 == null || r.bound.t90 === 0 ? '—' : (r.coverage.t90 / r.bound.t90).toFixed(2),
      fmt(r.copiesPerNodePerMessage, 2),
      fmt(r.bytesOutPerNode / 1024, 1),
      String(r.embargoes)
    ]
    if (spies) row.push(r.spy == null ? '—' : r.spy.precision.toFixed(3), r.spy == null ? '—' : r.spy.accuracy.toFixed(3), r.spy == null ? '—' : r.spy.recall.toFixed(3))
    if (centre) row.push(r.spy?.centre == null ? '—' : r.spy.centre.precision.toFixed(3), r.spy?.centre == null ? '—' : r.spy.centre.recall.toFixed(3))
    row.push(r.perf == null ? '—' : (r.perf.wallMs / 1000).toFixed(2))
    return row
  })
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map(row => `| ${row.join(' | ')} |`)
  ].join('\n')
}

function curve (times: Array<number | null>, fractions: number[]): Array<[number, number]> {
  const points: Array<[number, number]> = []
  times.forEach((t, k) => { if (t != null) points.push([t, fractions[k]]) })
  return points
}

/**
 * Coverage over time: the share of (message, node) pairs reached by each time after publishing,
 * one curve per strategy and its shortest-path bound dashed. Log time axis when the strategies'
 * time scales differ by more than 20×.
 */
export function coverageChart (results: SimulationResult[], title = 'Coverage over time'): string {
  const series: ChartSeries[] = []
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf']
  results.forEach((r, i) => {
    const color = palette[i % palette.length]
    series.push({ name: r.strategy, color, points: curve(r.curve.coverageMs, r.curve.fraction) })
    series.push({ name: `${r.strategy} bound`, color, dashed: true, points: curve(r.curve.boundMs, r.curve.fraction) })
  })
  const t50s = results.map(r => r.coverage.t50).filter((t): t is number => t != null && t > 0)
  const logX = t50s.length > 1 && Math.max(...t50s) / Math.min(...t50s) > 20
  const n = results[0]?.config.nodes ?? 0
  return lineChart({
    title: `${title} (${n} nodes)`,
    xLabel: `ms after publishing${logX ? ' (log scale)' : ''}`,
    yLabel: 'nodes reached',
    yPercent: true,
    logX,
    series
  })
}

/** Latency CDF: the delivery latency of delivered (message, node) pairs, log time axis. */
export function latencyChart (results: SimulationResult[], title = 'Delivery latency CDF'): string {
  const series: ChartSeries[] = results.map(r => ({
    name: r.strategy,
    points: r.curve.latencyMs.map((t, k) => [t, r.curve.fraction[k]] as [number, number])
  }))
  const n = results[0]?.config.nodes ?? 0
  return lineChart({
    title: `${title} (${n} nodes)`,
    xLabel: 'delivery latency, ms (log scale)',
    yLabel: 'share of deliveries',
    yPercent: true,
    logX: true,
    series
  })
}
