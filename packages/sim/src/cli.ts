/**
 * `hearsay-sim`: run gossip strategies on a simulated network and report coverage, cost and
 * anonymity, as a markdown table (or JSON with `--json`) and SVG charts.
 *
 * Usage errors (a bad flag or value) print one line naming the flag and exit 2; anything else
 * that fails prints one line and exits 1.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { logger } from '@libp2p/logger'
import { buildNetwork, type SimulationOptions, type SimulationResult } from './simulation.ts'
import { defaultWorkers, simulateParallel } from './parallel.ts'
import { parseLatency } from './latency.ts'
import { parseEdgeList, type EdgeList, type TopologySpec } from './topology.ts'
import { STRATEGY_NAMES } from './strategies.ts'
import { coverageChart, latencyChart, resultsTable } from './report.ts'

/** A mistake in the command line: reported as one line naming the flag, exit code 2. */
class UsageError extends Error {}

const trace = logger('hearsay:sim')

// dist/cli.js and src/cli.ts both sit one directory below the package root
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

const number = (min: number, max = Infinity, integer = false) => (value: string): number => {
  const v = Number(value)
  if (value.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new InvalidArgumentError(`expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`)
  }
  return v
}

const latency = (value: string): string => {
  try {
    parseLatency(value)
  } catch (err: any) {
    throw new InvalidArgumentError(err.message)
  }
  return value
}

const nodeList = (value: string): number[] => {
  const list = value.split(',').map(s => s.trim()).filter(s => s !== '')
  if (list.length === 0 || list.length > 10_000_000 || !list.every(s => /^\d+$/.test(s))) throw new InvalidArgumentError('expected node numbers separated by commas')
  return list.map(Number)
}

const program = new Command()
  .name('hearsay-sim')
  .description('Run hearsay gossip strategies (the production cores, unchanged) on a simulated network in virtual time.')
  .version(version, '-V, --version')
  .option('-s, --strategy <names>', `comma-separated strategies, or "all" (${STRATEGY_NAMES.join(', ')}); gossipsub is not a core and cannot be simulated`, 'flood')
  .option('-n, --nodes <n>', 'nodes of a generated topology', number(2, 10_000_000, true), 1000)
  .option('-d, --degree <d>', 'links per node of the random regular topology (less than --nodes)', number(1, 10_000, true), 8)
  .addOption(new Option('--topology <kind>', 'random (d-regular), bitcoin (8 outbound, up to 117 inbound), ring (a random Hamiltonian cycle: the line graph) or tree (d-regular, --depth levels; --nodes ignored)').choices(['random', 'bitcoin', 'ring', 'tree']).default('random'))
  .option('--depth <levels>', 'levels of the tree topology', number(1, 64, true), 6)
  .option('--edges <file>', 'read the topology from an edge list ("a b" or "a b ms" per line; # comments); overrides --nodes/--topology')
  .option('-m, --messages <n>', 'messages published, each by a random honest node', number(1, 1_000_000, true), 20)
  .option('--one-per-node', 'every honest node publishes one message (the anonymity papers\' setting; overrides --messages)')
  .option('--interval <ms>', 'virtual time between publications', number(0), 1000)
  .option('--size <bytes>', 'payload size', number(0, 2 ** 30, true), 1024)
  .option('-l, --latency <dist>', 'link latency: constant:MS, uniform:MIN:MAX or lognormal:MEDIAN[:SIGMA]', latency, 'lognormal:50:0.5')
  .option('--bandwidth <mbps>', 'upload bandwidth per node in Mbit/s (0: unlimited)', number(0), 10)
  .option('--loss <p>', 'probability a frame is lost', number(0, 1), 0)
  .option('--spies <fraction>', 'share of nodes that are spies (first-spy source estimator)', number(0, 1), 0)
  .option('--spy-nodes <list>', 'the spies, by node number (comma-separated), instead of --spies', nodeList)
  .option('--silent-spies', 'spies only listen: they relay nothing')
  .option('--eavesdropper <connections>', 'an eavesdropper with this many connections to every node (first-timestamp estimator)', number(0, 64, true), 0)
  .option('--centre <reports>', 'also name sources by centrality on the first this many nodes seen sending each message: reporting centrality against the eavesdropper (Fanti & Viswanath 2017), the rumour centre of what spies see (Shah & Zaman 2011); 0: off', number(0, 10_000, true), 0)
  .option('--droppers <fraction>', 'share of nodes that send nothing', number(0, 1), 0)
  .option('--delayers <fraction>', 'share of nodes that delay every frame they send by --delay', number(0, 1), 0)
  .option('--delay <ms>', 'extra delay of delaying nodes', number(0), 1000)
  .option('--churn <rate>', 'leaves per online node per minute (mean session 1/rate min; offline 30 s on average)', number(0), 0)
  .option('--ttl <n>', 'gnutella TTL', number(1, 255, true))
  .option('--seed <seed>', 'seed of the run: same seed, same result', '1')
  .option('--horizon <ms>', 'virtual time simulated after the last publication', number(0), 300_000)
  .option('--json', 'print the results as JSON ({ results }) on stdout instead of the table')
  .option('-o, --out <dir>', 'directory for the SVG charts', './sim-results')
  .option('--no-charts', 'do not write SVG charts')
  .option('-w, --workers <n>', 'threads to run on (same results with any number; default: one per core, at most 8, from 20 000 nodes)', number(1, 64, true))
  .addOption(new Option('-v, --verbose', 'also print the options, each run\'s threads, events per second and memory').conflicts('quiet'))
  .option('-q, --quiet', 'print only the results (no progress on stderr)')
  .addHelpText('after', '\nThe table (or JSON) goes to stdout, progress to stderr. DEBUG=hearsay:sim traces each step with timings.\nExit codes: 0 done, 1 failed, 2 usage error.')
  .showSuggestionAfterError()
  .configureOutput({
    // commander's own messages start "error: "; one line, prefixed with the command's name
    outputError: (text, write) => { write(`hearsay-sim: ${text.replace(/^error: /, '')}`) }
  })
  .exitOverride(err => {
    // --help and --version exit 0; every parse error is a usage error
    process.exit(err.exitCode === 0 ? 0 : 2)
  })

// `pnpm sim -- --flag` hands the `--` on (pnpm 10): with no operands to separate, drop it
const argv = process.argv.slice(2)
if (argv[0] === '--') argv.shift()
program.parse(argv, { from: 'user' })
const opts = program.opts()

/** The checks commander cannot make alone: a value that must agree with another flag or a file. */
async function checkedOptions (): Promise<{ names: string[], edges: EdgeList | undefined }> {
  const names: string[] = opts.strategy === 'all' ? [...STRATEGY_NAMES] : String(opts.strategy).split(',').map((s: string) => s.trim()).filter(Boolean)
  if (names.length === 0) throw new UsageError('option \'-s, --strategy <names>\': no strategy named')
  for (const name of names) {
    if (name === 'gossipsub') throw new UsageError('option \'-s, --strategy <names>\': gossipsub wraps @libp2p/gossipsub and is not a sans-IO core, so it cannot be simulated')
    if (!(STRATEGY_NAMES as readonly string[]).includes(name)) throw new UsageError(`option '-s, --strategy <names>': unknown strategy "${name}" (known: ${STRATEGY_NAMES.join(', ')}, all)`)
  }
  if (opts.centre > 0 && opts.spies === 0 && opts.spyNodes == null && opts.eavesdropper === 0) {
    throw new UsageError('option \'--centre <reports>\': there is no adversary to look: add --spies, --spy-nodes or --eavesdropper')
  }
  let edges: EdgeList | undefined
  if (opts.edges != null) {
    let text: string
    try {
      text = await readFile(opts.edges, 'utf8')
    } catch (err: any) {
      throw new UsageError(`option '--edges <file>': cannot read "${opts.edges}" (${err.code ?? err.message})`)
    }
    try {
      edges = parseEdgeList(text)
    } catch (err: any) {
      throw new UsageError(`option '--edges <file>': ${err.message}`)
    }
  } else if (opts.topology === 'random' && opts.degree >= opts.nodes) {
    throw new UsageError(`option '-d, --degree <d>': ${opts.degree} links per node need more than ${opts.nodes} nodes (--nodes)`)
  } else if (opts.topology === 'ring' && opts.nodes < 3) {
    throw new UsageError('option \'-n, --nodes <n>\': a ring needs at least 3 nodes')
  } else if (opts.topology === 'tree') {
    if (opts.degree < 2) throw new UsageError(`option '-d, --degree <d>': a tree needs a degree of at least 2`)
    let n = 1
    let level = 1
    for (let h = 1; h <= opts.depth; h++) { level = h === 1 ? opts.degree : level * (opts.degree - 1); n += level }
    if (n > 10_000_000) throw new UsageError(`option '--depth <levels>': a ${opts.degree}-regular tree of ${opts.depth} levels has more than 10 million nodes`)
  }
  return { names, edges }
}

async function main (): Promise<void> {
  const { names, edges } = await checkedOptions()
  const seed = /^-?\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed
  const topology: TopologySpec = opts.topology === 'bitcoin'
    ? { kind: 'bitcoin' }
    : opts.topology === 'tree'
      ? { kind: 'tree', degree: opts.degree, depth: opts.depth }
      : opts.topology === 'ring' ? { kind: 'ring' } : { kind: 'random', degree: opts.degree }
  const base: Omit<SimulationOptions, 'strategy'> = {
    nodes: opts.nodes,
    topology,
    edges,
    latency: parseLatency(opts.latency),
    messages: opts.messages,
    intervalMs: opts.interval,
    payloadBytes: opts.size,
    bandwidthMbps: opts.bandwidth,
    loss: opts.loss,
    spies: opts.spies,
    spyNodes: opts.spyNodes,
    spiesRelay: opts.silentSpies !== true,
    eavesdropper: opts.eavesdropper,
    centreReports: opts.centre,
    onePerHonest: opts.onePerNode === true,
    droppers: opts.droppers,
    delayers: opts.delayers,
    delayMs: opts.delay,
    churn: opts.churn,
    ttl: opts.ttl,
    seed,
    horizonMs: opts.horizon
  }
  const progress = (line: string): void => { if (opts.quiet !== true) process.stderr.write(`${line}\n`) }
  const detail = (line: string): void => { if (opts.verbose === true) process.stderr.write(`${line}\n`) }
  trace('options %o', { strategies: names, ...base, edges: edges == null ? undefined : `${edges.n} nodes from ${opts.edges}` })
  detail(`strategies: ${names.join(', ')}; options: ${JSON.stringify({ ...base, edges: edges == null ? undefined : opts.edges, latency: opts.latency })}`)

  const t0 = performance.now()
  const graph = buildNetwork(base)
  const outside = (opts.spyNodes as number[] | undefined)?.find(i => i >= graph.n)
  if (outside != null) throw new UsageError(`option '--spy-nodes <list>': node ${outside} is not in the network of ${graph.n} nodes`)
  progress(`network: ${graph.n} nodes, ${graph.targets.length / 2} links (${Math.round(performance.now() - t0)} ms)`)
  trace('network built: %d nodes, %d links in %d ms', graph.n, graph.targets.length / 2, Math.round(performance.now() - t0))
  const results: SimulationResult[] = []
  for (const name of names) {
    const options: SimulationOptions = { ...base, strategy: name as SimulationOptions['strategy'], graph }
    const workers: number = opts.workers ?? defaultWorkers(options)
    trace('%s: start on %d thread(s)', name, workers)
    const result = await simulateParallel(options, workers)
    results.push(result)
    const perf = result.perf
    progress(`${name}: ${result.events} events in ${((perf?.wallMs ?? 0) / 1000).toFixed(2)} s, peak RSS ${perf?.peakRssMiB} MiB`)
    if (perf != null) {
      detail(`${name}: ${perf.threads} thread(s), ${perf.windows} windows, ${perf.eventsPerSecond} events/s, setup ${perf.setupMs} ms, run ${perf.runMs} ms, metrics ${perf.metricsMs} ms, peak queue ${perf.peakQueue}, heap ${perf.heapUsedMiB} MiB`)
    }
    trace('%s: done %o', name, perf)
  }

  const summary = `${graph.n} nodes, ${graph.targets.length / 2} links, ${results[0]?.config.messages ?? base.messages} messages, latency ${opts.latency}, seed ${opts.seed}`
  if (opts.json === true) {
    process.stdout.write(JSON.stringify({ results }, null, 2) + '\n')
  } else {
    process.stdout.write(`${summary}\n\n${resultsTable(results)}\n`)
  }
  if (opts.charts !== false) {
    const out = resolve(opts.out)
    await mkdir(out, { recursive: true })
    await writeFile(join(out, 'coverage.svg'), coverageChart(results))
    await writeFile(join(out, 'latency-cdf.svg'), latencyChart(results))
    progress(`wrote ${join(out, 'coverage.svg')} and ${join(out, 'latency-cdf.svg')}`)
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err)
  trace.error('failed: %o', err)
  process.stderr.write(`hearsay-sim: ${message.split('\n')[0]}\n`)
  process.exit(err instanceof UsageError ? 2 : 1)
})
