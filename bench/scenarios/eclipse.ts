import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { EclipseOptions, EclipseResult } from '@hearsay/sim'
import { markdownTable, type Figure, type ScenarioResult } from '../lib/report.ts'

const run = promisify(execFile)
const child = new URL('./eclipse-child.ts', import.meta.url).pathname

/**
 * The simulation's profile: the production policy, with the rounds that cost a simulation most
 * spaced out — a dial round a minute (production: 5 s; it only matters while a slot is empty), a
 * peer-exchange round every 30 min (production: 10 min) — and answers of `pexMaxPeers`; feelers,
 * retries, anchors, eviction and every rule of the book are the production ones.
 */
const PROFILE = { dialIntervalMs: 60_000, pexIntervalMs: 30 * 60_000 }

/** Bitcoin Core's (and the address book's default) table sizes. */
const FULL_TABLES = { newBucketCount: 1024, triedBucketCount: 256, bucketSize: 64, newBucketsPerSourceGroup: 64, triedBucketsPerGroup: 8 }
/**
 * A thirty-second of the slots (256 x 8 new, 64 x 8 tried: at most 2560 entries a node, so that
 * 10,000 books fit in memory), each source netgroup still reaching 1/16 of `new` and each
 * netgroup 1/32 of `tried`, as in Bitcoin's tables.
 */
const SCALED_TABLES = { newBucketCount: 256, triedBucketCount: 64, bucketSize: 8, newBucketsPerSourceGroup: 16, triedBucketsPerGroup: 2 }

/**
 * Hours of attack simulated. The 1,000 full-size nodes get a day (24 h: 176 s of CPU, 5.6 GB peak
 * RSS). The 10,000 scaled nodes get 8 h: their hours cost more as their books fill (about 50 s of
 * CPU an hour early on, 100 s by hour 12 with the heap near 12 GB): a 12-hour run took 1,077 s of
 * CPU in all and had used about 585 s by hour 8 (measured on the shared 2-core bench machine,
 * loaded by other work), against the section's 15 minutes; a day would take some 40 (extrapolated).
 * The full-size run's timeline shows how the shares move on after 8 h.
 */
const HOURS = { scaled: 8, full: 24 }

/** One run in its own process, so that its peak RSS is its own. */
async function simulateInChild (options: EclipseOptions, heapMiB: number): Promise<EclipseResult> {
  const { stdout } = await run(process.execPath, [`--max-old-space-size=${heapMiB}`, child, JSON.stringify(options)], { maxBuffer: 64 * 1024 * 1024 })
  return JSON.parse(stdout) as EclipseResult
}

const pct = (share: number): string => `${(100 * share).toFixed(1)} %`
const tables = (t: typeof FULL_TABLES): string => `${t.newBucketCount}x${t.bucketSize} new, ${t.triedBucketCount}x${t.bucketSize} tried`

/**
 * The eclipse attack of `@hearsay/sim` (Heilman et al. 2015) against the production discovery
 * policy: 10,000 honest nodes with scaled-down address books over 8 simulated hours and 1,000 at
 * full size over a day (see {@link HOURS}), the two runs in parallel (one per core). Part of
 * `sim-scale`.
 */
export async function eclipseSection ({ quick, log }: { quick: boolean, log: (line: string) => void }): Promise<Pick<ScenarioResult, 'figures' | 'table' | 'goals'>> {
  const runs = [
    // heaps that together stay under 24 GB: V8 lets a heap grow to its limit before it collects hard
    { label: 'scaled', nodes: quick ? 1000 : 10_000, hours: quick ? 4 : HOURS.scaled, tables: SCALED_TABLES, pexMaxPeers: 32, heapMiB: 12_000 },
    { label: 'full', nodes: quick ? 200 : 1000, hours: quick ? 4 : HOURS.full, tables: FULL_TABLES, pexMaxPeers: 250, heapMiB: 8000 }
  ]
  log(`eclipse: ${runs.map(r => `${r.nodes} nodes (${tables(r.tables)}) for ${r.hours} h`).join(' and ')}, in parallel`)
  const results = await Promise.all(runs.map(async r => {
    const result = await simulateInChild({ nodes: r.nodes, hours: r.hours, warmupHours: 1, seed: 1, tables: r.tables, policy: { ...PROFILE, pexMaxPeers: r.pexMaxPeers } }, r.heapMiB)
    log(`eclipse ${r.nodes} nodes: ${(result.perf.wallMs / 1000).toFixed(0)} s, peak RSS ${result.perf.peakRssMiB} MiB, ${result.events} events`)
    return { ...r, result }
  }))
  const figures: Figure[] = []
  const rows: Array<Array<string | number>> = []
  const goals: ScenarioResult['goals'] = []
  for (const { nodes, hours, tables: t, pexMaxPeers, result } of results) {
    const end = result.timeline[result.timeline.length - 1]
    const peak = Math.max(...result.timeline.map(s => s.outboundShare))
    const { anchors, noAnchors } = result.restart
    figures.push(
      { name: `eclipse ${nodes} nodes: attacker's outbound share after ${hours} h`, value: end.outboundShare, unit: 'share' },
      { name: `eclipse ${nodes} nodes: attacker's outbound share 10 min after a restart with anchors`, value: anchors.outboundShare, unit: 'share', baseline: noAnchors.outboundShare, ratio: noAnchors.outboundShare === 0 ? undefined : anchors.outboundShare / noAnchors.outboundShare },
      { name: `eclipse ${nodes} nodes: wall time`, value: result.perf.wallMs / 1000, unit: 's' },
      { name: `eclipse ${nodes} nodes: peak RSS`, value: result.perf.peakRssMiB, unit: 'MiB' }
    )
    rows.push([
      nodes, tables(t), pexMaxPeers, pct(result.timeline[Math.min(1, result.timeline.length - 1)].outboundShare), hours, pct(end.outboundShare), pct(peak),
      `${end.halfEclipsed} / ${end.eclipsed}`, end.mostHeld ?? '—', `${pct(end.newShare)} / ${pct(end.triedShare)}`,
      `${pct(anchors.outboundShare)} (${anchors.eclipsed}/${anchors.nodes})`, `${pct(noAnchors.outboundShare)} (${noAnchors.eclipsed}/${noAnchors.nodes})`,
      (result.perf.wallMs / 1000).toFixed(0), result.perf.peakRssMiB
    ])
    goals.push({ goal: `eclipse ${nodes} nodes: no honest node fully eclipsed after ${hours} h`, met: end.eclipsed === 0, detail: `${end.eclipsed} of ${nodes}` })
  }
  const { attackerAddrs, options } = results[0].result
  const table = `Eclipse attack (Heilman et al. 2015) on the production discovery policy: the attacker holds ${attackerAddrs} addresses in ${options.attackerGroups} /16s, keeps ` +
    `${options.attackerInbound} inbound connections to every honest node and answers every question with its own addresses; honest outbound connections last ` +
    `${options.connectionLifetimeMs / 3_600_000} h on average (churn); ${results.map(r => `${r.hours} h`).join(' and ')} of attack after 1 h of warm-up; then ${pct(options.restartShare)} of the nodes restart, half with their ` +
    `anchors (the default 2) and half without. Policy numbers are the production ones but a dial round a minute and a PEX round every 30 min, answers of at most "PEX max" peers:\n\n` +
    markdownTable(['honest nodes', 'tables', 'PEX max', 'outbound share 1 h', 'hours', 'outbound share at the end', 'peak', 'nodes ≥ half / all attacker', 'most held at one node', 'attacker share new / tried', 'restart with anchors (eclipsed)', 'restart without (eclipsed)', 'wall s', 'peak RSS MiB'], rows)
  return { figures, table, goals }
}
