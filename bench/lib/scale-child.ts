/**
 * One `scale` measurement in a process of its own, so that its RSS is its own and running out
 * of memory ends this process, not the benchmark run:
 * `node --expose-gc bench/lib/scale-child.ts <nodes> <full|lean|bare> <degree> <settleMs> <idleMs>`.
 * Prints one JSON line ({@link ScaleSample}) on stdout.
 *
 * @module
 */
// stops when the bench that started it is gone
import '../../examples/shared/src/stop-with-launcher.ts'
import { seededRng } from '@hearsay/sansio'
import { createTestnet, topologyEdges } from '@hearsay/host/testnet'

/** What one child measured. */
export interface ScaleSample {
  nodes: number
  variant: 'full' | 'lean' | 'bare'
  /** RSS of the process before any host, MiB */
  rssBeforeMiB: number
  /** RSS after start, connect and the settling pause, after a GC, MiB */
  rssMiB: number
  /** V8 heap in use at the same moment, MiB */
  heapMiB: number
  /** time to create and start every host, ms */
  startMs: number
  /** time to dial every link of the topology, ms */
  connectMs: number
  /** connections open after settling (each counted once) */
  connections: number
  /** links the topology asked for */
  links: number
  /** CPU used while settling, right after connecting, as % of one core */
  settlingCpuPct: number
  /** CPU used while idle, after settling, as % of one core */
  idleCpuPct: number
  /** time to stop every host, ms */
  stopMs: number
}

const [nodesArg, variantArg, degreeArg, settleArg, idleArg] = process.argv.slice(2)
const nodes = Number(nodesArg)
const variant = variantArg === 'bare' || variantArg === 'lean' ? variantArg : 'full'
const degree = Number(degreeArg)
const settleMs = Number(settleArg)
const idleMs = Number(idleArg)
const mib = (bytes: number): number => Math.round(bytes / 2 ** 20)
/** CPU this process uses over the next `ms`, as % of one core. */
async function cpuPercent (ms: number): Promise<number> {
  const before = process.cpuUsage()
  const started = performance.now()
  await new Promise(resolve => setTimeout(resolve, ms))
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000 / (performance.now() - started) * 100
}
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }

const rssBefore = process.memoryUsage().rss
let started = performance.now()
const net = await createTestnet({
  nodes,
  seed: 1,
  // bare: the same transport, Noise and Yamux with no services at all (no DHT, identify, gossip,
  // scoring, discovery, files, ping monitor): what the libp2p stack alone costs per node
  // lean: hearsay as the gossip bench runs it, without the parts that dial on their own
  host: variant === 'bare'
    ? { libp2p: { services: {}, connectionMonitor: { enabled: false } } }
    : variant === 'lean' ? { discovery: false, files: false, dht: { clientMode: true } } : {}
})
const startMs = performance.now() - started
// the testnet was created without links so that starting and connecting are timed apart
const edges = topologyEdges({ random: degree }, nodes, seededRng(1))
started = performance.now()
await Promise.all(edges.map(async ([a, b]) => { await net.connect(a, b) }))
const connectMs = performance.now() - started
// a new default host keeps busy for a while (identify, DHT self-queries, discovery dialling
// beyond the seeded links): that is measured apart, and "idle" only after it
const settlingCpuPct = await cpuPercent(settleMs)
gc()
const memory = process.memoryUsage()
const idleCpuPct = await cpuPercent(idleMs)
const connections = net.nodes.reduce((sum, node) => sum + node.getConnections().length, 0) / 2
started = performance.now()
await net.stop()
const sample: ScaleSample = {
  nodes,
  variant,
  rssBeforeMiB: mib(rssBefore),
  rssMiB: mib(memory.rss),
  heapMiB: mib(memory.heapUsed),
  startMs,
  connectMs,
  connections,
  links: edges.length,
  settlingCpuPct,
  idleCpuPct,
  stopMs: performance.now() - started
}
process.stdout.write(JSON.stringify(sample) + '\n')
// a stopped libp2p node may still hold a timer or two; the measurement is done
process.exit(0)
