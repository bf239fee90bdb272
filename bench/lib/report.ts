import { cpus, totalmem } from 'node:os'
import type { LineChartOptions } from '@hearsay/sim'

/** One measured figure, with the baseline it is compared to in the same run. */
export interface Figure {
  /** What was measured, e.g. `flood latency p90`. */
  name: string
  value: number
  unit: string
  /** The same figure for the scenario's baseline, measured in the same run. */
  baseline?: number
  /** `value / baseline`, when there is a baseline. */
  ratio?: number
}

/** A scenario's result: its figures and a markdown table for people. */
export interface ScenarioResult {
  scenario: string
  /** What the ratios are relative to. */
  baseline: string
  figures: Figure[]
  table: string
  /** Goals of the issues, each met or missed with its figure. */
  goals: Array<{ goal: string, met: boolean, detail: string }>
  /** Data for charts; `bench/lib/results-md.ts` draws each as `bench/charts/<file>.svg`. */
  charts?: Chart[]
  /** Why the scenario could not run on this machine: then nothing is written, and its last result stays. */
  notRun?: string
}

/** A scenario: a name and a function that measures (`bench/run.ts` runs the ones named). */
export interface Scenario {
  name: string
  description: string
  run(options: { quick: boolean, log: (line: string) => void }): Promise<ScenarioResult>
}

/** A line chart's data: the options of `lineChart` from `@hearsay/sim`, and a file name (no extension). */
export type Chart = LineChartOptions & { file: string }

/**
 * The empirical CDF of `values` at `points` evenly spaced shares: [value, share] pairs, for a
 * chart that stays small whatever the sample size.
 */
export function cdf (values: readonly number[], points = 100): Array<[number, number]> {
  if (values.length === 0) return []
  const sorted = [...values].sort((a, b) => a - b)
  const out: Array<[number, number]> = []
  for (let k = 1; k <= points; k++) {
    const share = k / points
    out.push([sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)], share])
  }
  return out
}

/** The machine a run measured, since shared machines make absolute figures vary. */
export function machine (): { cores: number, memoryGiB: number, node: string, cpu: string } {
  return {
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown'
  }
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN for none. */
export function quantile (values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}

/** A markdown table. */
export function markdownTable (header: string[], rows: Array<Array<string | number>>): string {
  const cell = (v: string | number): string => typeof v === 'number' ? format(v) : v
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map(row => `| ${row.map(cell).join(' | ')} |`)
  ].join('\n')
}

function format (v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (Number.isInteger(v)) return String(v)
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3)
}
