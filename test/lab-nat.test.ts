/**
 * NAT traversal across the lab (real processes in network namespaces, real nftables NAT): two
 * hosts behind two NATs and public hosts (one the relay and bootstrap node). Behind endpoint-
 * independent NATs both learn their outside mapping (trusted, not announced), reserve on a relay
 * and connect through it, and DCUtR turns the relayed connection into a direct TCP connection to
 * the other NAT. Its success rate and time to direct over 20 trials are a benchmark figure
 * (`pnpm bench lab`); here every trial must end direct within a generous bound. Behind a
 * symmetric NAT no mapping is ever trusted, no direct connection appears, and the relayed one
 * keeps working.
 */
import assert from 'node:assert/strict'
import { requireLab } from './lab/require-lab.ts'
import { punchTrial, startNatScenario, type NatScenario, type PunchTrial } from './lab/nat-scenario.ts'

const TRIALS = 3
const DIRECT_MS = 30_000

describe('NAT traversal in the network lab', function () {
  this.timeout(300_000)
  let scenario: NatScenario | undefined

  before(function () { requireLab(this) })
  afterEach(async () => {
    await scenario?.lab.destroy()
    scenario = undefined
  })

  it(`behind two endpoint-independent NATs: mappings trusted, relayed connections upgraded to direct ones by DCUtR (${TRIALS} trials)`, async () => {
    scenario = await startNatScenario('endpoint-independent', TRIALS)
    const wanA = scenario.lab.router('homea').wanIp
    const wanB = scenario.lab.router('homeb').wanIp
    const trials: PunchTrial[] = []
    for (let i = 0; i < TRIALS; i++) trials.push(await punchTrial(scenario, i, DIRECT_MS))
    const detail = JSON.stringify(trials.map(t => ({ relayed: t.relayed, direct: t.direct, held: t.directHeld, pinged: t.directPinged, msToDirect: t.msToDirect, directAddr: t.directAddr })))
    for (const trial of trials) {
      assert.ok(trial.trusted.a.some(x => x.startsWith(`/ip4/${wanA}/tcp/`)), `a trusts its NAT mapping: ${trial.trusted.a.join(' ')}`)
      assert.ok(!trial.announced.a.some(x => x.startsWith(`/ip4/${wanA}/`)), `a does not announce a mapping nobody can dial: ${trial.announced.a.join(' ')}`)
      assert.ok(trial.announced.b.some(x => x.includes('/p2p-circuit')), 'b announces a relay address')
    }
    console.log(`      DCUtR: ${trials.filter(t => t.direct).length}/${TRIALS} relayed connections upgraded to direct: ${detail}`)
    assert.ok(trials.every(t => t.relayed), `every trial connected through the relay: ${detail}`)
    for (const t of trials) {
      assert.equal(t.direct, true, `every relayed connection became direct: ${detail}`)
      assert.equal(t.directHeld, true, `every direct connection stayed open: ${detail}`)
      assert.equal(t.directPinged, true, `a ping went over every direct connection: ${detail}`)
      assert.match(t.directAddr ?? '', new RegExp(`^/ip4/${wanB.replaceAll('.', '\\.')}/tcp/`), 'the direct connection goes to the other NAT')
    }
  })

  it('behind a symmetric NAT keeps the relayed connection working and reports no direct one', async () => {
    scenario = await startNatScenario('symmetric', 1)
    const wanB = scenario.lab.router('homeb').wanIp
    const trial = await punchTrial(scenario, 0, 15_000)
    assert.equal(trial.relayed, true, 'the relayed connection carries a ping')
    assert.equal(trial.direct, false, 'no direct connection through a symmetric NAT')
    assert.deepEqual(trial.trusted.b, [], 'b1 never trusts a mapping its NAT changes per peer')
    assert.ok(!trial.announced.b.some(x => x.startsWith(`/ip4/${wanB}/`)), `b1 announces no mapping: ${trial.announced.b.join(' ')}`)
  })
})
