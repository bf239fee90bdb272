#!/usr/bin/env node
/**
 * `hearsay-sim`: run gossip strategies on a simulated network and report coverage, cost and
 * anonymity, as a markdown table, JSON and SVG charts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { buildNetwork, type SimulationOptions, type SimulationResult } from './simulation.ts'
import { defaultWorkers, simulateParallel } from './parallel.ts'
import { parseLatency } from './latency.ts'
import { parseEdgeList, type TopologySpec } from './topology.ts'
import { STRATEGY_NAMES } from './strategies.ts'
import { coverageChart, latencyChart, resultsTable } from './report.ts'

const number = (min: number, max = Infinity, integer = false) => (value: string): number => {
  const v = Number(value)
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new InvalidArgumentError(`expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`)
  }
  return v
}

const program = new Command()
  .name('hearsay-sim')
  .description('Run hearsay gossip strategies (the production cores, unchanged) on a simulated network in virtual time.')
  .option('-s, --strategy <names>', `comma-separated strategies, or "all" (${STRATEGY_NAMES.join(', ')}); gossipsub is not a core and cannot be simulated`, 'flood')
  .option('-n, --nodes <n>', 'nodes of a generated topology', number(2, 10_000_000, true), 1000)
  .option('-d, --degree <d>', 'links per node of the random regular topology', number(1, 10_000, true), 8)
  .addOption(new Option('--topology <kind>', 'random (d-regular) or bitcoin (8 outbound, up to 117 inbound)').choices(['random', 'bitcoin']).default('random'))
  .option('--edges <file>', 'read the topology from an edge list ("a b" or "a b ms" per line; # comments); overrides --nodes/--topology')
  .option('-m, --messages <n>', 'messages published, each by a random honest node', number(1, 1_000_000, true), 20)
  .option('--interval <ms>', 'virtual time between publications', number(0), 1000)
  .option('--size <bytes>', 'payload size', number(0, 2 ** 30, true), 1024)
  .option('-l, --latency <dist>', 'link latency: constant:MS, uniform:MIN:MAX or lognormal:MEDIAN[:SIGMA]', 'lognormal:50:0.5')
  .option('--bandwidth <mbps>', 'upload bandwidth per node in Mbit/s (0: unlimited)', number(0), 10)
  .option('--loss <p>', 'probability a frame is lost', number(0, 1), 0)
  .option('--spies <fraction>', 'share of nodes that are spies (first-spy source estimator)', number(0, 1), 0)
  .option('--droppers <fraction>', 'share of nodes that send nothing', number(0, 1), 0)
  .option('--delayers <fraction>', 'share of nodes that delay every frame they send by --delay', number(0, 1), 0)
  .option('--delay <ms>', 'extra delay of delaying nodes', number(0), 1000)
  .option('--churn <rate>', 'leaves per online node per minute (mean session 1/rate min; offline 30 s on average)', number(0), 0)
  .option('--ttl <n>', 'gnutella TTL', number(1, 255, true))
  .option('--seed <seed>', 'seed of the run: same seed, same result', '1')
  .option('--horizon <ms>', 'virtual time simulated after the last publication', number(0), 300_000)
  .option('--json [file]', 'write the results as JSON (default <out>/results.json; "-" for stdout, the table then goes to stderr)')
  .option('-o, --out <dir>', 'directory for JSON and SVG charts', './sim-results')
  .option('--no-charts', 'do not write SVG charts')
  .option('-w, --workers <n>', 'threads to run on (same results with any number; default: one per core, at most 8, from 20 000 nodes)', number(1, 64, true))
  .option('-q, --quiet', 'no progress on stderr')

program.parse()
const opts = program.opts()

async function main (): Promise<void> {
  const names: string[] = opts.strategy === 'all' ? [...STRATEGY_NAMES] : String(opts.strategy).split(',').map((s: string) => s.trim()).filter(Boolean)
  for (const name of names) {
    if (name === 'gossipsub') throw new InvalidArgumentError('gossipsub() wraps @libp2p/gossipsub and is not a sans-IO core: the simulator cannot run it')
    if (!(STRATEGY_NAMES as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown strategy "${name}" (known: ${STRATEGY_NAMES.join(', ')})`)
  }
  const seed = /^-?\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed
  const topology: TopologySpec = opts.topology === 'bitcoin' ? { kind: 'bitcoin' } : { kind: 'random', degree: opts.degree }
  const base: Omit<SimulationOptions, 'strategy'> = {
    nodes: opts.nodes,
    topology,
    edges: opts.edges == null ? undefined : parseEdgeList(await readFile(opts.edges, 'utf8')),
    latency: parseLatency(opts.latency),
    messages: opts.messages,
    intervalMs: opts.interval,
    payloadBytes: opts.size,
    bandwidthMbps: opts.bandwidth,
    loss: opts.loss,
    spies: opts.spies,
    droppers: opts.droppers,
    delayers: opts.delayers,
    delayMs: opts.delay,
    churn: opts.churn,
    ttl: opts.ttl,
    seed,
    horizonMs: opts.horizon
  }
  const log = (line: string): void => { if (opts.quiet !== true) process.stderr.write(`${line}\n`) }
  const t0 = performance.now()
  const graph = buildNetwork(base)
  log(`network: ${graph.n} nodes, ${graph.targets.length / 2} links (${Math.round(performance.now() - t0)} ms)`)
  const results: SimulationResult[] = []
  for (const name of names) {
    const options: SimulationOptions = { ...base, strategy: name as SimulationOptions['strategy'], graph }
    const result = await simulateParallel(options, opts.workers ?? defaultWorkers(options))
    results.push(result)
    log(`${name}: ${result.events} events in ${((result.perf?.wallMs ?? 0) / 1000).toFixed(2)} s, peak RSS ${result.perf?.peakRssMiB} MiB`)
  }
  const table = resultsTable(results)
  const out = resolve(opts.out)
  const toStdout = opts.json === '-'
  const summary = `${graph.n} nodes, ${graph.targets.length / 2} links, ${base.messages} messages, latency ${opts.latency}, seed ${opts.seed}`
  if (toStdout) process.stderr.write(`${summary}\n\n${table}\n`)
  else console.log(`${summary}\n\n${table}`)
  if (opts.json != null && opts.json !== false) {
    const document = JSON.stringify({ results }, null, 2) + '\n'
    if (toStdout) {
      process.stdout.write(document)
    } else {
      const file = typeof opts.json === 'string' ? resolve(opts.json) : join(out, 'results.json')
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, document)
      log(`wrote ${file}`)
    }
  }
  if (opts.charts !== false) {
    await mkdir(out, { recursive: true })
    await writeFile(join(out, 'coverage.svg'), coverageChart(results))
    await writeFile(join(out, 'latency-cdf.svg'), latencyChart(results))
    log(`wrote ${join(out, 'coverage.svg')} and ${join(out, 'latency-cdf.svg')}`)
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`hearsay-sim: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
