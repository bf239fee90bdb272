/**
 * Where a default host's memory goes, by service: `memoryByService({ nodes })` runs one process
 * per step of {@link MEMORY_STEPS} (defaults, then one more service left out at a time, down to
 * bare libp2p), each with `nodes` hosts in a `createTestnet` connected as a seeded random graph,
 * and reports what each service adds per host: RSS, V8 heap and off-heap (Buffers), in MiB.
 *
 * ```ts
 * const m = await memoryByService({ nodes: 100 })
 * for (const s of m.services) console.log(s.service, s.rssMiBPerHost.toFixed(2))
 * ```
 *
 * From the command line: `node bench/lib/memory-by-service.ts [nodes] [settleMs] [runs]` prints a table.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { MEMORY_STEPS, type MemorySample } from './memory-steps.ts'
import { HOSTS_HEAP_LIMIT_MIB } from './measure.ts'

export { MEMORY_STEPS, type MemorySample, type MemoryStep } from './memory-steps.ts'

const run = promisify(execFile)
const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url))

/** Options of {@link memoryByService}. */
export interface MemoryByServiceOptions {
  /** Hosts per process. */
  nodes: number
  /** Degree of the seeded random graph the hosts are connected in. @default 3 */
  degree?: number
  /** How long the hosts run after connecting before memory is read, ms. @default 15000 */
  settleMs?: number
  /** Longest a step's process may take, ms. @default 600000 */
  timeoutMs?: number
  /**
   * Processes per step; each figure is the median of theirs. The DHT and discovery dial beyond
   * the seeded links at their own pace, so connections (most of a host's memory) differ from run
   * to run by a factor up to 2 at 100 hosts after 15 s: one run per step can give a service a
   * negative cost. @default 1
   */
  runs?: number
  /** Called with each step's sample as it completes. */
  log?: (line: string) => void
}

/** What one service adds to each host (the difference between two consecutive steps). */
export interface ServiceMemory {
  /** The service, or `bare libp2p` for the last step itself. */
  service: string
  rssMiBPerHost: number
  heapMiBPerHost: number
  externalMiBPerHost: number
  /** Connections per host with the service, minus without it. */
  connectionsPerHost: number
}

/** What {@link memoryByService} measured. */
export interface MemoryByService {
  nodes: number
  /** Every step's own sample, defaults first. */
  samples: MemorySample[]
  /** Per service, then `bare libp2p`; their RSS adds up to `total.rssMiBPerHost`. */
  services: ServiceMemory[]
  /** What a default host costs in all. */
  total: ServiceMemory
}

/** Measure one step in a process of its own. */
async function sample (nodes: number, step: number, degree: number, settleMs: number, timeoutMs: number): Promise<MemorySample> {
  const { stdout } = await run(process.execPath, ['--expose-gc', `--max-old-space-size=${HOSTS_HEAP_LIMIT_MIB}`, child, String(nodes), String(step), String(degree), String(settleMs)], {
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024
  })
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as MemorySample
}

const median = (values: number[]): number => {
  const sorted = values.slice().sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Each figure the median of the runs'. */
const medianSample = (runs: MemorySample[]): MemorySample => ({
  nodes: runs[0].nodes,
  step: runs[0].step,
  rssMiB: median(runs.map(r => r.rssMiB)),
  heapMiB: median(runs.map(r => r.heapMiB)),
  externalMiB: median(runs.map(r => r.externalMiB)),
  connections: median(runs.map(r => r.connections))
})

const perHost = (service: string, s: MemorySample, less?: MemorySample): ServiceMemory => ({
  service,
  rssMiBPerHost: (s.rssMiB - (less?.rssMiB ?? 0)) / s.nodes,
  heapMiBPerHost: (s.heapMiB - (less?.heapMiB ?? 0)) / s.nodes,
  externalMiBPerHost: (s.externalMiB - (less?.externalMiB ?? 0)) / s.nodes,
  connectionsPerHost: (s.connections - (less?.connections ?? 0)) / s.nodes
})

/**
 * Measure what each default service adds per host, one process per step, one after the other
 * (so they do not compete for cores). Throws if a step's process fails or times out.
 */
export async function memoryByService (options: MemoryByServiceOptions): Promise<MemoryByService> {
  const { nodes, degree = 3, settleMs = 15_000, timeoutMs = 600_000, runs = 1 } = options
  const samples: MemorySample[] = []
  for (let step = 0; step < MEMORY_STEPS.length; step++) {
    const each: MemorySample[] = []
    for (let run = 0; run < runs; run++) each.push(await sample(nodes, step, degree, settleMs, timeoutMs))
    const s = medianSample(each)
    options.log?.(`${nodes} hosts${runs > 1 ? ` (median of ${runs})` : ''}, ${step === 0 ? 'defaults' : `without ${MEMORY_STEPS.slice(1, step + 1).map(m => m.name).join(', ')}`}: RSS +${s.rssMiB.toFixed(0)} MiB, heap +${s.heapMiB.toFixed(0)} MiB, external +${s.externalMiB.toFixed(0)} MiB, ${s.connections} connections`)
    samples.push(s)
  }
  const services = MEMORY_STEPS.slice(1).map((step, i) => perHost(step.name, samples[i], samples[i + 1]))
  services.push(perHost('bare libp2p', samples[samples.length - 1]))
  return { nodes, samples, services, total: perHost('defaults', samples[0]) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const nodes = Number(process.argv[2] ?? 100)
  const settleMs = Number(process.argv[3] ?? 15_000)
  const runs = Number(process.argv[4] ?? 1)
  const m = await memoryByService({ nodes, settleMs, runs, log: line => { process.stderr.write(line + '\n') } })
  const row = (s: ServiceMemory): string => `| ${s.service} | ${s.rssMiBPerHost.toFixed(3)} | ${s.heapMiBPerHost.toFixed(3)} | ${s.externalMiBPerHost.toFixed(3)} | ${s.connectionsPerHost.toFixed(2)} |`
  process.stdout.write(`${nodes} hosts, MiB per host\n\n| service | RSS | heap | external | connections |\n|---|---|---|---|---|\n${[...m.services, m.total].map(row).join('\n')}\n`)
}
