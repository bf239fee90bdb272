/**
 * The apps part of `pnpm bench lab`: `hearsay-share` between two NATs (relay bytes against the
 * file), four capped seeders against one (throughput, duplicates), `hearsay-relay` with NATed
 * nodes, and gossip with NATed subscribers, at full size (`--quick`: the integration test's
 * sizes). Each scenario builds its own lab; see `test/lab/*-scenario.ts`.
 */
import type { Figure, ScenarioResult } from '../lib/report.ts'
import { gossipAcrossNats } from '../../test/lab/gossip-scenario.ts'
import { relayAcrossNats } from '../../test/lab/relay-scenario.ts'
import { shareAcrossNats, shareSwarm } from '../../test/lab/share-scenario.ts'

const MiB = 1024 * 1024

/** Figures, table lines and goals of the apps across the lab. */
export async function labApps (quick: boolean, log: (line: string) => void): Promise<Pick<ScenarioResult, 'figures' | 'goals'> & { notes: string[] }> {
  const figures: Figure[] = []
  const goals: ScenarioResult['goals'] = []
  const notes: string[] = []

  const natSize = quick ? 4 * MiB : 64 * MiB
  log(`hearsay-share: ${natSize / MiB} MiB from behind NAT A to behind NAT B`)
  const nat = await shareAcrossNats(natSize, { timeoutS: 60, limitMs: 600_000 })
  const relayShare = 100 * nat.relayBytes / natSize
  figures.push(
    { name: 'share across two NATs: byte-identical', value: nat.identical ? 1 : 0, unit: 'bool' },
    { name: 'share across two NATs: bytes through the relay host / file', value: relayShare, unit: '%' }
  )
  notes.push(`share across two NATs (${natSize / MiB} MiB): ${nat.get.done != null ? `done in ${nat.get.done.seconds} s` : `failed: ${nat.get.error}`}; relay host ${nat.relayBytes} B in and out during the download; seeder addresses: ${nat.seederKinds.join(', ')}`)
  goals.push({
    goal: `relay bytes ≤ 1 % of a ${natSize / MiB} MiB NAT-to-NAT transfer`,
    met: nat.identical && relayShare <= 1,
    detail: nat.identical ? `${relayShare.toFixed(2)} % (${nat.relayBytes} B)` : `no download: ${nat.get.error ?? ''}`
  })

  const swarmSize = quick ? 4 * MiB : 64 * MiB
  log(`hearsay-share: ${swarmSize / MiB} MiB from one seeder, then four, each capped at 10 Mbit/s`)
  const swarm = await shareSwarm(swarmSize, 10, { limitMs: 600_000 })
  const rateOne = swarm.one.done?.rate ?? 0
  const rateFour = swarm.four.done?.rate ?? 0
  const dup = 100 * (swarm.four.done?.duplicateBytes ?? 0) / swarmSize
  figures.push(
    { name: 'one capped seeder', value: rateOne * 8 / 1e6, unit: 'Mbit/s' },
    { name: 'four capped seeders', value: rateFour * 8 / 1e6, unit: 'Mbit/s', baseline: rateOne * 8 / 1e6, ratio: rateOne > 0 ? rateFour / rateOne : undefined },
    { name: 'four capped seeders: duplicate bytes', value: dup, unit: '%' }
  )
  notes.push(`swarm (${swarmSize / MiB} MiB, 10 Mbit/s tbf per seeder): one ${swarm.one.done != null ? `${swarm.one.done.seconds} s` : `failed: ${swarm.one.error}`}; four ${swarm.four.done != null ? `${swarm.four.done.seconds} s from ${Object.keys(swarm.four.done.fromPeers).length} peers` : `failed: ${swarm.four.error}`}`)
  goals.push({
    goal: '4 capped seeders ≥ 3.6× one capped seeder, duplicates ≤ 2 %',
    met: swarm.identical.one && swarm.identical.four && rateFour >= 3.6 * rateOne && dup <= 2,
    detail: rateOne > 0 && rateFour > 0 ? `${(rateFour / rateOne).toFixed(2)}×, ${dup.toFixed(2)} % duplicates` : `no comparison: ${swarm.one.error ?? ''} ${swarm.four.error ?? ''}`
  })

  log('hearsay-relay: 8 nodes, 3 behind NATs, 50 transactions')
  const relay = await relayAcrossNats({ nodes: 8, natted: 3, txs: 50 })
  figures.push(
    { name: 'hearsay-relay: transactions in every mempool', value: relay.complete ? 100 : 0, unit: '%' },
    { name: 'hearsay-relay: time until every mempool held all', value: relay.ms / 1000, unit: 's' },
    { name: 'hearsay-relay: stem hops into NATed nodes', value: relay.stemHopsIntoNatted, unit: 'hops' },
    { name: 'hearsay-relay: stems leaving NATed nodes', value: relay.stemHopsOutOfNatted, unit: 'transactions' }
  )
  goals.push({
    goal: 'hearsay-relay, 8 nodes, 3 behind NATs: 50 transactions reach every mempool; the Dandelion++ stem passes through NATed nodes',
    met: relay.complete && relay.stemHopsOutOfNatted >= relay.stemsFromNatted && relay.stemsFromNatted > 0,
    detail: `${JSON.stringify(relay.mempools)}; stems from / out of / into NATed nodes ${relay.stemsFromNatted} / ${relay.stemHopsOutOfNatted} / ${relay.stemHopsIntoNatted}`
  })

  const messages = quick ? 8 : 40
  log(`gossip: ${messages} messages per strategy, 8 nodes, 3 behind NATs`)
  const gossip = await gossipAcrossNats({ nodes: 8, natted: 3, messages })
  for (const g of gossip) figures.push({ name: `gossip ${g.strategy}: delivered`, value: 100 * g.delivered / g.expected, unit: '%' })
  goals.push({
    goal: 'gossip: every strategy delivers 100 % with NATed subscribers',
    met: gossip.every(g => g.delivered === g.expected),
    detail: gossip.map(g => `${g.strategy} ${g.delivered}/${g.expected}`).join(', ')
  })
  return { figures, goals, notes }
}
