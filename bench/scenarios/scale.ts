import { execFile } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { figure } from '../lib/measure.ts'
import { markdownTable, type Figure, type Scenario } from '../lib/report.ts'
import type { ScaleSample } from '../lib/scale-child.ts'

const run = promisify(execFile)
const child = fileURLToPath(new URL('../lib/scale-child.ts', import.meta.url))
const DEGREE = 3

/**
 * The hosts measured. `bare`: the libp2p stack alone (memory transport, Noise, Yamux, no
 * services); `lean`: hearsay as the gossip bench runs it (no discovery or file index, DHT client);
 * `full`: `createHost()` defaults (DHT server, discovery, gossip, files, scoring).
 */
const VARIANTS = ['bare', 'lean', 'full'] as const
type Variant = typeof VARIANTS[number]

/** Run one size in its own process; a crash or a timeout is reported, never thrown. */
async function sample (nodes: number, variant: Variant, settleMs: number, idleMs: number, timeoutMs: number): Promise<ScaleSample | { error: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--max-old-space-size=8192', child, String(nodes), variant, String(DEGREE), String(settleMs), String(idleMs)], {
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024
    })
    const line = stdout.trim().split('\n').pop() ?? ''
    return JSON.parse(line) as ScaleSample
  } catch (err: any) {
    const reason = err?.killed === true ? `killed after ${timeoutMs / 1000} s` : err?.signal != null ? `ended by ${err.signal}` : `exit ${err?.code ?? '?'}`
    const last = String(err?.stderr ?? err?.message ?? '').trim().split('\n').filter(Boolean).pop() ?? ''
    return { error: `${reason}${last === '' ? '' : `: ${last.slice(0, 160)}`}` }
  }
}

const perNode = (s: ScaleSample): number => (s.rssMiB - s.rssBeforeMiB) / s.nodes

/**
 * `scale`: how many real hosts fit in one process. `createTestnet` (in-memory transport, Noise,
 * Yamux) at growing sizes, each size in its own process, connected as a random graph of degree
 * ≥ 3: RSS, time to start and to connect, idle CPU. Baseline: the smallest size of the same
 * kind of host (per-node ratios), and bare libp2p hosts of the same size.
 */
export const scaleScenario: Scenario = {
  name: 'scale',
  description: 'createTestnet with 100, 300, 1000 hosts (default, lean and bare libp2p): RSS, start and connect time, idle CPU',
  async run ({ quick, log }) {
    const sizes = quick ? [20, 40] : [100, 300, 1000]
    // quick leaves the middle kind out: four small processes instead of nine large ones
    const variants: readonly Variant[] = quick ? ['bare', 'full'] : VARIANTS
    // a default host's CPU comes in bursts every 10 s (most likely libp2p's connection monitor
    // pinging every connection), so the full run's idle window spans exactly one period
    const settleMs = quick ? 1000 : 15_000
    const idleMs = quick ? 1000 : 10_000
    const timeoutMs = quick ? 60_000 : 600_000
    const samples = new Map<string, ScaleSample>()
    const failures: string[] = []
    for (const variant of variants) {
      for (const nodes of sizes) {
        const s = await sample(nodes, variant, settleMs, idleMs, timeoutMs)
        if ('error' in s) {
          // a larger network of the same hosts would not fit either
          failures.push(`${variant} ${nodes} nodes: did not complete (${s.error}); larger sizes skipped`)
          log(failures[failures.length - 1])
          break
        }
        log(`${variant} ${nodes}: RSS ${s.rssMiB} MiB, start ${(s.startMs / 1000).toFixed(1)} s, connect ${(s.connectMs / 1000).toFixed(1)} s, ${s.connections} connections, CPU settling ${s.settlingCpuPct.toFixed(0)} % then idle ${s.idleCpuPct.toFixed(1)} %`)
        samples.set(`${variant} ${nodes}`, s)
      }
    }
    const figures: Figure[] = []
    const rows: Array<Array<string | number>> = []
    for (const variant of variants) {
      const base = samples.get(`${variant} ${sizes[0]}`)
      let previous: ScaleSample | undefined
      for (const nodes of sizes) {
        const s = samples.get(`${variant} ${nodes}`)
        if (s == null || base == null) continue
        // what one more host costs, free of what the first host loads once (code, JIT, pools)
        const marginal = previous == null ? undefined : (s.rssMiB - previous.rssMiB) / (s.nodes - previous.nodes)
        previous = s
        const bare = samples.get(`bare ${nodes}`)
        const label = `${variant} ${nodes} hosts`
        figures.push(
          figure(`${label} RSS`, s.rssMiB, 'MiB', base.rssMiB),
          figure(`${label} RSS per host`, perNode(s), 'MiB', perNode(base)),
          figure(`${label} start time per host`, s.startMs / nodes, 'ms', base.startMs / base.nodes),
          figure(`${label} connect time per link`, s.connectMs / s.links, 'ms', base.connectMs / base.links),
          figure(`${label} CPU per host while settling`, s.settlingCpuPct / nodes, '% of a core', base.settlingCpuPct / base.nodes),
          figure(`${label} idle CPU per host`, s.idleCpuPct / nodes, '% of a core', base.idleCpuPct / base.nodes)
        )
        if (marginal != null) figures.push(figure(`${label} marginal RSS per added host`, marginal, 'MiB', perNode(base)))
        if (variant !== 'bare' && bare != null) {
          figures.push(figure(`${label} RSS per host vs bare libp2p`, perNode(s), 'MiB', perNode(bare)))
        }
        rows.push([variant, nodes, s.links, s.connections, s.rssMiB, perNode(s), perNode(s) / perNode(base),
          marginal ?? '—', bare == null || variant === 'bare' ? '—' : (perNode(s) / perNode(bare)).toFixed(1),
          s.startMs / 1000, s.connectMs / 1000, s.settlingCpuPct, s.idleCpuPct, s.stopMs / 1000])
      }
    }
    const table = markdownTable(
      ['host', 'hosts', 'links', 'connections after settling', 'RSS MiB', 'MiB per host', 'per host / smallest', 'MiB per added host', 'per host / bare', 'start s', 'connect s', 'CPU settling % of a core', 'CPU idle % of a core', 'stop s'],
      rows
    )
    const biggest = sizes[sizes.length - 1]
    const goals = [{
      goal: `${biggest} default hosts fit in one process`,
      met: samples.has(`full ${biggest}`),
      detail: samples.has(`full ${biggest}`) ? `${samples.get(`full ${biggest}`)?.rssMiB} MiB RSS` : failures.find(f => f.startsWith('full')) ?? 'not run'
    }]
    return {
      scenario: 'scale',
      baseline: `the smallest size (${sizes[0]} hosts) of the same kind of host, and bare libp2p hosts of the same size, in the same run`,
      figures,
      table: `createTestnet (in-memory transport, Noise, Yamux), one process per row; links: a seeded random graph of degree ≥ ${DEGREE}, dialled all at once after every host started; CPU while settling over the ${settleMs / 1000} s after connecting, then RSS after a GC (the process starts at ~${[...samples.values()][0]?.rssBeforeMiB ?? '?'} MiB, subtracted per host; "per added host" is the slope between sizes), then idle CPU over ${idleMs / 1000} s; CPU is the whole process, in % of one core (the machine has ${cpus().length}). **bare** = libp2p with no services; **lean** = hearsay without discovery or files, DHT in client mode (as the gossip bench runs it); **full** = \`createHost()\` defaults (DHT server, identify, ping, scoring, gossip, discovery, files), whose discovery and DHT dial beyond the seeded links\n\n${table}${failures.length > 0 ? `\n\n${failures.map(f => `- ${f}`).join('\n')}` : ''}`,
      goals
    }
  }
}
