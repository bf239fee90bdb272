/**
 * `pnpm bench lab`: hole punching in the network lab (Linux namespaces, nftables NAT routers; needs
 * root). Per NAT kind, trials of: two hosts behind two NATs reserve on a public relay, connect
 * through it, and DCUtR upgrades the connection to a direct one. Reports the success rate and the
 * time from the relayed connection to the direct one (p50/p90). TCP is the only transport the
 * host punches with (see the host README's "Behind a NAT"). Then the apps across the lab
 * (`./lab-apps.ts`): hearsay-share between two NATs and swarming under upload caps,
 * hearsay-relay and gossip with NATed nodes.
 */
import { markdownTable, quantile, type Figure, type Scenario } from '../lib/report.ts'
import { labSupport } from '../../test/lab/system.ts'
import { punchTrial, startNatScenario, type PunchTrial } from '../../test/lab/nat-scenario.ts'
import { labApps } from './lab-apps.ts'
import type { NatKind } from '../../test/lab/topology.ts'

/** Pairs of home hosts per lab: each trial needs a fresh pair (see `startNatScenario`). */
const BATCH = 4
const DIRECT_MS = 20_000

async function trialsBehind (nat: NatKind, count: number, log: (line: string) => void): Promise<PunchTrial[]> {
  const out: PunchTrial[] = []
  while (out.length < count) {
    const size = Math.min(BATCH, count - out.length)
    const scenario = await startNatScenario(nat, size)
    try {
      for (let i = 0; i < size; i++) {
        const t = await punchTrial(scenario, i, DIRECT_MS)
        out.push(t)
        log(`${nat} trial ${out.length}/${count}: ${t.earlier === true ? `direct before the trial's dial (punched when the pair met through the relay)${t.directPinged === true ? ', pinged' : ', then lost'}` : t.direct ? `direct after ${(t.msToDirect! / 1000).toFixed(2)} s${t.directHeld === true && t.directPinged === true ? ', held and pinged' : ', then lost'}` : t.relayed ? 'relayed only' : `no connection (${t.error ?? '?'})`}`)
      }
    } finally {
      await scenario.lab.destroy()
    }
  }
  return out
}

export const labScenario: Scenario = {
  name: 'lab',
  description: 'NATs in a network namespace lab (root): hole punching, and hearsay-share, hearsay-relay and gossip across them',
  async run ({ quick, log }) {
    const support = labSupport()
    if (!support.ok) {
      return {
        scenario: 'lab',
        baseline: 'none',
        figures: [],
        table: `not run: ${support.reason}`,
        goals: [{ goal: 'the network lab scenarios', met: false, detail: `not run: ${support.reason}` }],
        notRun: support.reason
      }
    }
    const count = quick ? 3 : 20
    const eim = await trialsBehind('endpoint-independent', count, log)
    const sym = await trialsBehind('symmetric', quick ? 1 : 4, log)
    // a punch counts when its direct connection lasts and carries a ping, not when it merely opened
    const punched = (t: PunchTrial): boolean => t.direct && t.directHeld === true && t.directPinged === true
    const times = eim.filter(t => punched(t) && t.msToDirect != null).map(t => t.msToDirect! / 1000)
    const rate = (ts: PunchTrial[]): number => 100 * ts.filter(punched).length / ts.length
    const figures: Figure[] = [
      { name: 'TCP punch success, endpoint-independent NATs', value: rate(eim), unit: '%' },
      { name: 'TCP time to direct p50', value: quantile(times, 0.5), unit: 's' },
      { name: 'TCP time to direct p90', value: quantile(times, 0.9), unit: 's' },
      { name: 'TCP punch success, symmetric NAT', value: rate(sym), unit: '%' },
      { name: 'relayed connection working, symmetric NAT', value: 100 * sym.filter(t => t.relayed).length / sym.length, unit: '%' }
    ]
    const apps = await labApps(quick, log)
    figures.push(...apps.figures)
    const table = markdownTable(['figure', 'value', 'unit', 'ratio'], figures.map(f => [f.name, Number(f.value.toFixed(3)), f.unit, f.ratio != null ? `${f.ratio.toFixed(2)}×` : '']))
    return {
      scenario: 'lab',
      baseline: 'none (absolute figures; four seeders against one)',
      figures,
      table: `${apps.notes.join('\n\n')}\n\n${eim.length} trials through two endpoint-independent NATs (nftables masquerade), ${sym.length} with one symmetric NAT (masquerade fully-random); each trial a fresh pair of hosts; a punch counts when the direct connection stays open and carries a ping; time to direct from the relayed connection's dial (${eim.filter(t => t.earlier === true).length} pair(s) had met through the relay and been punched before the trial's dial: counted, not timed); direct connection awaited ${DIRECT_MS / 1000} s\n\n${table}`,
      goals: [{
        goal: 'hole punching through endpoint-independent NATs: 100 % of 20 trials on at least one default transport, time to direct p50 ≤ 3 s',
        met: eim.length >= 20 && rate(eim) === 100 && quantile(times, 0.5) <= 3,
        detail: `TCP ${rate(eim).toFixed(0)} % of ${eim.length}, p50 ${quantile(times, 0.5).toFixed(2)} s, p90 ${quantile(times, 0.9).toFixed(2)} s`
      }, ...apps.goals]
    }
  }
}
