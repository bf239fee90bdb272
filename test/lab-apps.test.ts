/**
 * The apps across the network lab (real processes in network namespaces, real nftables NAT
 * routers, `tc tbf` upload caps), at small sizes; `pnpm bench lab` runs the full sizes and reports
 * the goals. Needs root; elsewhere skipped with one line, except in CI (CI=true).
 *
 * - gossip: every relay strategy delivers every message to every subscriber, NATed ones included;
 * - `hearsay-relay`: 8 nodes, 3 behind NATs: every transaction reaches every mempool, and
 *   Dandelion++ stems leave the NATed nodes (how many enter them is printed: a figure);
 * - `hearsay-share` between two NATs: the pieces never cross the relay (the file index opens no
 *   stream on a limited connection), so the download runs on the direct connection DCUtR punches;
 * - `hearsay-share` swarming: four seeders capped at 10 Mbit/s each against one.
 */
import assert from 'node:assert/strict'
import { gossipAcrossNats } from './lab/gossip-scenario.ts'
import { relayAcrossNats } from './lab/relay-scenario.ts'
import { requireLab } from './lab/require-lab.ts'
import { shareAcrossNats, shareSwarm } from './lab/share-scenario.ts'

const MiB = 1024 * 1024
describe('the apps across the network lab', function () {
  this.timeout(300_000)

  before(function () { requireLab(this) })

  it('gossip: every strategy delivers to NATed subscribers (8 nodes, 3 behind NATs): 100 % of messages', async () => {
    const results = await gossipAcrossNats({ nodes: 8, natted: 3, messages: 8 })
    console.log(`      ${results.map(r => `${r.strategy} ${r.delivered}/${r.expected} in ${(r.ms / 1000).toFixed(1)} s`).join(', ')}`)
    assert.equal(results.length, 6, 'every strategy hearsay-relay offers')
    for (const r of results) {
      assert.equal(r.delivered, r.expected, `${r.strategy}: every subscriber delivers every message (${JSON.stringify(r)})`)
      assert.ok(r.expectedNatted > 0 && r.deliveredNatted === r.expectedNatted, `${r.strategy}: the NATed subscribers too`)
    }
  })

  it('hearsay-relay: 8 nodes, 3 behind NATs: every transaction reaches every mempool, and Dandelion++ stems leave the NATed nodes', async () => {
    const r = await relayAcrossNats({ nodes: 8, natted: 3, txs: 50 })
    console.log(`      ${r.txs} transactions in every mempool after ${(r.ms / 1000).toFixed(1)} s: ${JSON.stringify(r.mempools)}; stems from NATed nodes ${r.stemsFromNatted}, stem hops out of / into NATed nodes ${r.stemHopsOutOfNatted} / ${r.stemHopsIntoNatted}`)
    assert.ok(r.complete, `every mempool holds all ${r.txs}: ${JSON.stringify(r.mempools)}`)
    assert.ok(r.stemsFromNatted > 0, 'transactions were submitted behind NATs')
    // every stem that starts behind a NAT leaves it in its stem phase; stems relayed through a
    // NATed node from elsewhere add to that (how many enter NATed nodes varies with the stem
    // relays each node picked: a figure, printed above)
    assert.ok(r.stemHopsOutOfNatted >= r.stemsFromNatted, `each stem that starts behind a NAT reaches another node in its stem phase: ${r.stemHopsOutOfNatted} of ${r.stemsFromNatted}`)
  })

  it('hearsay-share across two NATs: byte-identical file through a public relay/bootstrap node, and what crossed the relay', async () => {
    const size = 4 * MiB
    const r = await shareAcrossNats(size, { timeoutS: 45 })
    console.log(`      ${r.get.done != null ? `done in ${r.get.done.seconds} s` : `failed: ${r.get.error}`}; relay host ${r.relayBytes} B (${(100 * r.relayBytes / size).toFixed(2)} % of the file); seeder addresses ${r.seederKinds.join(', ')}`)
    assert.ok(r.seederKinds.includes('relayed'), 'the seeder held a relay reservation')
    assert.ok(r.identical, `byte-identical download: ${r.get.error ?? ''}`)
    // the relay's circuits are limited to 128 KiB each, and the file index opens no stream on one
    assert.ok(r.relayBytes < size / 4, `the file did not cross the relay: ${r.relayBytes} B through it`)
  })

  it('hearsay-share swarm: four seeders capped at 10 Mbit/s each against one', async () => {
    // 32 pieces: with fewer, finding the seeders and the endgame outweigh the swarming itself
    const size = 8 * MiB
    const r = await shareSwarm(size, 10)
    const rate = (o: typeof r.one): string => o.done != null ? `${(o.done.rate * 8 / 1e6).toFixed(1)} Mbit/s from ${Object.keys(o.done.fromPeers).length} peer(s), ${o.done.duplicateBytes} B duplicate` : `failed: ${o.error}`
    console.log(`      one seeder: ${rate(r.one)}; four: ${rate(r.four)}`)
    assert.ok(r.identical.one && r.identical.four, `byte-identical downloads: ${r.one.error ?? ''} ${r.four.error ?? ''}`)
    assert.ok(r.four.done!.rate > r.one.done!.rate, 'four capped seeders beat one')
  })
})
