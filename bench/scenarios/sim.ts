import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { SimulationResult } from '@hearsay/sim'
import { markdownTable, type Figure, type Scenario } from '../lib/report.ts'
import { eclipseSection } from './eclipse.ts'

const run = promisify(execFile)
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'sim', 'dist', 'cli.js')
// the simulator stops when the bench that started it is gone
const stopWithLauncher = new URL('../../examples/shared/src/stop-with-launcher.ts', import.meta.url).href

interface Measured {
  results: SimulationResult[]
  /** wall time of the whole CLI process: start-up, network, simulation, metrics */
  wallMs: number
}

/** One CLI run in its own process, so that its peak RSS is its own. */
async function simulateInChild (args: string[]): Promise<Measured> {
  const started = performance.now()
  // a larger young generation: frames in flight die young instead of being promoted (~10 % faster)
  const { stdout } = await run(process.execPath, ['--max-semi-space-size=64', '--import', stopWithLauncher, cli, ...args, '--json', '--no-charts', '--quiet'], {
    maxBuffer: 256 * 1024 * 1024
  })
  const wallMs = performance.now() - started
  return { results: (JSON.parse(stdout) as { results: SimulationResult[] }).results, wallMs }
}

const ms = (v: number | null): string => v == null ? '—' : v.toFixed(0)

/**
 * `sim-scale`: the simulator running the production strategy cores on 10k and 100k nodes
 * (degree 8, flood and dandelion, 20 messages): wall time and peak RSS, each run in its own
 * process; then every strategy on one 10k-node network with 10 % spies; then the eclipse attack
 * on the discovery policy (see `eclipse.ts`).
 */
export const simScenario: Scenario = {
  name: 'sim-scale',
  description: 'simulator at 10k and 100k nodes (flood, dandelion): wall time, peak RSS; all strategies at 10k; an eclipse attack on discovery at 10k and 1k nodes',
  async run ({ quick, log }) {
    const sizes = quick ? [2000, 5000] : [10_000, 100_000]
    const compareNodes = quick ? 2000 : 10_000
    const figures: Figure[] = []
    const scaleRows: Array<Array<string | number>> = []
    const goals: Array<{ goal: string, met: boolean, detail: string }> = []
    for (const strategy of ['flood', 'dandelion']) {
      let base: { wallMs: number, rss: number } | undefined
      for (const nodes of sizes) {
        const { results, wallMs } = await simulateInChild(['--strategy', strategy, '--nodes', String(nodes), '--degree', '8', '--messages', '20', '--seed', '1'])
        const r = results[0]
        const rss = r.perf?.peakRssMiB ?? Number.NaN
        log(`${strategy} ${nodes} nodes: ${(wallMs / 1000).toFixed(1)} s on ${r.perf?.threads ?? 1} thread(s), peak RSS ${rss} MiB, ${r.events} events`)
        base ??= { wallMs, rss }
        figures.push(
          { name: `${strategy} ${nodes} nodes wall time`, value: wallMs / 1000, unit: 's', baseline: base.wallMs / 1000, ratio: wallMs / base.wallMs },
          { name: `${strategy} ${nodes} nodes peak RSS`, value: rss, unit: 'MiB', baseline: base.rss, ratio: rss / base.rss }
        )
        scaleRows.push([
          strategy, nodes, r.perf?.threads ?? 1, r.events, (wallMs / 1000).toFixed(1), ((r.perf?.runMs ?? 0) / 1000).toFixed(1),
          Math.round((r.perf?.eventsPerSecond ?? 0) / 1000), rss, r.deliveryPct, ms(r.coverage.t90), ms(r.bound.t90)
        ])
        if (nodes === 100_000) {
          goals.push(
            { goal: `${strategy}: 100k nodes in under 60 s`, met: wallMs < 60_000, detail: `${(wallMs / 1000).toFixed(1)} s (${r.events} events)` },
            { goal: `${strategy}: 100k nodes in under 4 GB`, met: rss < 4096, detail: `${rss} MiB peak RSS` }
          )
        }
      }
    }

    log(`all strategies on ${compareNodes} nodes with 10 % spies`)
    const { results, wallMs } = await simulateInChild(['--strategy', 'all', '--nodes', String(compareNodes), '--degree', '8', '--messages', '20', '--spies', '0.1', '--seed', '1'])
    log(`comparison: ${(wallMs / 1000).toFixed(1)} s`)
    const compareRows = results.map(r => [
      r.strategy, r.deliveryPct, ms(r.coverage.t50), ms(r.coverage.t90), ms(r.coverage.t100),
      `${ms(r.bound.t50)} / ${ms(r.bound.t90)} / ${ms(r.bound.t100)}`,
      r.coverage.t90 == null || r.bound.t90 == null ? '—' : (r.coverage.t90 / r.bound.t90).toFixed(2),
      r.copiesPerNodePerMessage, r.spy == null ? '—' : r.spy.precision.toFixed(2), r.spy == null ? '—' : r.spy.accuracy.toFixed(2),
      r.spy == null ? '—' : r.spy.recall.toFixed(2)
    ])
    for (const r of results) {
      if (r.coverage.t90 != null && r.bound.t90 != null) {
        figures.push({ name: `${r.strategy} t90 at ${compareNodes} nodes`, value: r.coverage.t90, unit: 'ms', baseline: r.bound.t90, ratio: r.coverage.t90 / r.bound.t90 })
      }
      figures.push({ name: `${r.strategy} copies per node per message`, value: r.copiesPerNodePerMessage, unit: 'copies' })
      if (r.spy != null) {
        figures.push(
          { name: `${r.strategy} first-spy precision (papers'), 10 % spies`, value: r.spy.precision, unit: 'share' },
          { name: `${r.strategy} first-spy guess accuracy (correct / guesses), 10 % spies`, value: r.spy.accuracy, unit: 'share' },
          { name: `${r.strategy} first-spy recall, 10 % spies`, value: r.spy.recall, unit: 'share' }
        )
      }
    }
    const spy = (name: string): number | undefined => results.find(r => r.strategy === name)?.spy?.precision
    const dandelionP = spy('dandelion')
    const diffusionP = spy('diffusion')
    if (dandelionP != null && diffusionP != null) {
      goals.push({ goal: "dandelion's first-spy precision (the papers' definition) below diffusion's (10 % spies)", met: dandelionP < diffusionP, detail: `${dandelionP.toFixed(2)} vs ${diffusionP.toFixed(2)}` })
    }

    const scaleTable = markdownTable(
      ['strategy', 'nodes', 'threads', 'events', 'wall s', 'sim loop s', 'k events/s', 'peak RSS MiB', 'delivery %', 't90 ms', 'bound t90 ms'],
      scaleRows
    )
    const compareTable = markdownTable(
      ['strategy', 'delivery %', 't50 ms', 't90 ms', 't100 ms', 'bound t50 / t90 / t100 ms', 't90 / bound', 'copies/node/msg', 'precision (papers)', 'guess accuracy', 'recall'],
      compareRows
    )
    const eclipse = await eclipseSection({ quick, log })
    figures.push(...eclipse.figures)
    goals.push(...eclipse.goals)
    const table = `Scale (random 8-regular, 20 messages of 1 KiB, log-normal latency median 50 ms, 10 Mbit/s uplinks; each run one process, with the CLI's default threads: one per core, at most 8, from 20 000 nodes):\n\n${scaleTable}\n\n` +
      `All strategies on ${compareNodes} nodes, 10 % spies (first-spy estimator), same network and publishers. Precision is the papers' (per publishing node, 1 / the messages attributed to it; with 20 messages from 20 nodes nearly equal to recall), guess accuracy is correct guesses ÷ guesses (labelled "spy precision" before):\n\n${compareTable}` +
      `\n\n${eclipse.table}`
    // coverage over time per strategy, and the shortest-path bound (the same network for all)
    const coverage = (times: Array<number | null>, fractions: number[]): Array<[number, number]> =>
      times.flatMap((t, k) => t == null ? [] : [[t, fractions[k]] as [number, number]])
    const charts = [{
      file: 'sim-coverage',
      title: `Simulated coverage over time (${compareNodes} nodes, 10 % spies)`,
      xLabel: 'ms after publishing (log scale)',
      yLabel: 'nodes reached',
      yPercent: true,
      logX: true,
      series: [
        ...results.map(r => ({ name: r.strategy, points: coverage(r.curve.coverageMs, r.curve.fraction) })),
        ...(results.length > 0 ? [{ name: 'shortest-path bound', dashed: true, color: '#333', points: coverage(results[0].curve.boundMs, results[0].curve.fraction) }] : [])
      ]
    }]
    return { scenario: 'sim-scale', baseline: `the same strategy at ${sizes[0]} nodes (scale); the shortest-path bound (t90)`, figures, table, goals, charts }
  }
}
