import assert from 'node:assert/strict'
import { simulateEclipse, type EclipseOptions } from '@hearsay/sim'

/** A small network and small tables, so a few simulated hours run in a second or two. */
const SMALL: EclipseOptions = {
  nodes: 50,
  hours: 2,
  warmupHours: 0.5,
  seedPeers: 8,
  attackerGroups: 4,
  attackerAddrsPerGroup: 64,
  restartShare: 0.2,
  tables: { newBucketCount: 64, triedBucketCount: 16, bucketSize: 16, newBucketsPerSourceGroup: 8, triedBucketsPerGroup: 2 },
  policy: { dialIntervalMs: 60_000, pexIntervalMs: 10 * 60_000, pexMaxPeers: 64 }
}

describe('simulateEclipse', function () {
  this.timeout(60_000)

  it('is a pure function of its options: the same seed gives the same figures', () => {
    const a = simulateEclipse({ ...SMALL, seed: 7 })
    const b = simulateEclipse({ ...SMALL, seed: 7 })
    assert.deepEqual(a.timeline, b.timeline)
    assert.deepEqual(a.restart, b.restart)
    assert.equal(a.events, b.events)
    assert.equal(a.timeline.length, SMALL.hours! + 1, 'a sample at the start of the attack, then one an hour')
    for (const s of a.timeline) {
      assert.ok(s.outboundShare >= 0 && s.outboundShare <= 1)
      assert.ok(s.meanOutbound > 4 && s.meanOutbound <= 8, `${s.meanOutbound} outbound per node`)
    }
    assert.equal(a.restart.anchors.nodes + a.restart.noAnchors.nodes, 10)
  })

  it('an attacker that floods the books gains outbound slots over time', () => {
    const r = simulateEclipse({ ...SMALL, seed: 1 })
    assert.equal(r.timeline[0].outboundShare, 0, 'nothing before the attack')
    const end = r.timeline[r.timeline.length - 1]
    assert.ok(end.newShare > 0.2, `the attacker holds ${end.newShare} of the new tables`)
    assert.ok(end.outboundShare > 0 && end.mostHeld > 0, 'and some outbound slots')
  })

  it('one outbound connection per netgroup: an attacker in one /16 holds at most one slot per node', () => {
    const r = simulateEclipse({ ...SMALL, attackerGroups: 1, attackerAddrsPerGroup: 256, seed: 2 })
    for (const s of r.timeline) {
      assert.equal(s.eclipsed, 0)
      assert.ok(s.mostHeld <= 1, `hour ${s.hour}: a node with ${s.mostHeld} attacker peers`)
    }
  })

  it('an attacker nobody hears of holds nothing', () => {
    const r = simulateEclipse({ ...SMALL, attackerInbound: 0, seed: 3 })
    assert.ok(r.timeline.every(s => s.outboundShare === 0 && s.newShare === 0))
    assert.equal(r.restart.anchors.outboundShare, 0)
    assert.equal(r.restart.noAnchors.outboundShare, 0)
  })
})
