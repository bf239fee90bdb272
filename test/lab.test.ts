/**
 * The network lab itself: its address plan, isolation from the machine's own network, the two
 * kinds of NAT seen through real packets, upload caps, and teardown on every way a run can end.
 * Needs root and network namespaces; elsewhere it is skipped with one line saying why, except in
 * CI (CI=true), which must run it.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { isPrivate } from '@libp2p/utils'
import { JsonProcess } from '../examples/demo/src/process.ts'
import { createLab, type Lab } from './lab/lab.ts'
import { requireLab } from './lab/require-lab.ts'
import { listNamespaces } from './lab/system.ts'
import { planLab } from './lab/topology.ts'

const probe = fileURLToPath(new URL('./lab/probe.ts', import.meta.url))
const hold = fileURLToPath(new URL('./lab/hold.ts', import.meta.url))

const isPrivateIp = (ip: string): boolean => isPrivate(multiaddr(`/ip4/${ip}/tcp/1`))

describe('network lab: address plan', () => {
  it('spreads the internet over at least 8 first octets js-libp2p counts as public, and keeps home LANs private', () => {
    const plan = planLab({
      public: ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'],
      homes: [{ name: 'homea', hosts: ['a1', 'a2'] }, { name: 'homeb', nat: 'symmetric', hosts: ['b1'] }]
    })
    const internet = [...plan.hosts.filter(h => h.network === 'public').map(h => h.ip), ...plan.routers.map(r => r.wanIp)]
    assert.equal(new Set(internet).size, internet.length, 'every internet address is distinct')
    assert.ok(new Set(internet.slice(0, 8).map(ip => ip.split('.')[0])).size >= 8, 'the public hosts sit in 8 netgroups')
    for (const ip of internet) assert.equal(isPrivateIp(ip), false, `${ip} must be public to js-libp2p`)
    for (const host of plan.hosts.filter(h => h.network !== 'public')) assert.equal(isPrivateIp(host.ip), true, `${host.ip} must be private`)
    assert.deepEqual(plan.routers.map(r => r.nat), ['endpoint-independent', 'symmetric'])
  })

  it('refuses malformed or repeated names', () => {
    assert.throws(() => planLab({ public: ['a', 'a'] }), /used twice/)
    assert.throws(() => planLab({ public: ['Bad-Name'] }), /bad name/)
    assert.throws(() => planLab({ public: ['internet'] }), /bad name/)
  })
})

describe('network lab: namespaces, NAT and teardown', function () {
  this.timeout(60_000)
  let lab: Lab | undefined
  const procs: JsonProcess[] = []

  before(function () { requireLab(this) })

  after(async () => {
    await lab?.destroy()
    for (const p of procs) await p.stop(2_000)
  })

  it('builds hosts, NAT routers and caps without touching the machine\'s own interfaces, addresses or routes', async () => {
    lab = await createLab({
      public: ['s0', 's1', 's2', { name: 'capped', uploadMbit: 10 }],
      homes: [
        { name: 'homea', hosts: ['a1'] },
        { name: 'homeb', nat: 'symmetric', hosts: ['b1'] }
      ]
    })
    lab.assertIsolated()
    const ns = listNamespaces()
    for (const name of ['internet', 's0', 'capped', 'homea', 'a1', 'homeb', 'b1']) assert.ok(ns.includes(lab.namespace(name)), name)
    // the machine's real interfaces are nowhere in the lab: a lab host sees only lo and eth0
    const links = (JSON.parse(lab.exec('a1', ['ip', '-j', 'link', 'show'])) as any[]).map(l => l.ifname).sort()
    assert.deepEqual(links, ['eth0', 'lo'])
    const qdisc = lab.exec('capped', ['tc', 'qdisc', 'show', 'dev', 'eth0'])
    assert.match(qdisc, /tbf .*rate 10Mbit/)
    assert.match(lab.exec('homeb', ['nft', 'list', 'ruleset']), /masquerade.*fully-random/)
  })

  it('maps a home host to one outside address:port towards every server behind endpoint-independent NAT, and to a new port per server behind symmetric NAT', async () => {
    assert.ok(lab != null)
    const servers = ['s0', 's1', 's2']
    for (const s of servers) {
      const proc = lab.spawn(s, `probe ${s}`, probe, ['serve', '7000'])
      procs.push(proc)
      await proc.waitFor(e => e.event === 'listening', 10_000)
    }
    const targets = servers.map(s => `${lab!.host(s).ip}:7000`)
    for (const [home, host] of [['homea', 'a1'], ['homeb', 'b1']] as const) {
      const ask = lab.spawn(host, `probe ${host}`, probe, ['ask', ...targets])
      procs.push(ask)
      const done = await ask.waitFor(e => e.event === 'done', 10_000)
      assert.deepEqual(done.unanswered, [], `${host}: every server answered`)
      const seen = ask.events.filter(e => e.event === 'mapped').map(e => String(e.seen))
      assert.equal(seen.length, 3)
      for (const s of seen) assert.equal(s.split(':')[0], lab.router(home).wanIp, 'servers see the router, not the LAN address')
      const ports = new Set(seen.map(s => s.split(':')[1]))
      if (home === 'homea') assert.equal(ports.size, 1, `one mapping for every server: ${seen.join(', ')}`)
      else assert.equal(ports.size, 3, `a mapping per server: ${seen.join(', ')}`)
    }
  })

  it('lets a home host reach the internet but nobody reach into a home', async () => {
    assert.ok(lab != null)
    const out = lab.spawn('a1', 'probe out', probe, ['connect', `${lab.host('s0').ip}:7000`])
    procs.push(out)
    const ok = await out.waitFor(e => e.event === 'connected' || e.event === 'error', 10_000)
    assert.equal(ok.event, 'connected')
    assert.match(String(ok.seen), new RegExp(`^${lab.router('homea').wanIp.replaceAll('.', '\\.')}:`))

    const inbound = lab.spawn('a1', 'probe a1 serve', probe, ['serve', '7001'])
    procs.push(inbound)
    await inbound.waitFor(e => e.event === 'listening', 10_000)
    const into = lab.spawn('s1', 'probe in', probe, ['connect', `${lab.host('a1').ip}:7001`])
    procs.push(into)
    const refused = await into.waitFor(e => e.event === 'connected' || e.event === 'error', 10_000)
    assert.equal(refused.event, 'error', 'a LAN address is not reachable from the internet')
  })

  it('removes every namespace and process on destroy()', async () => {
    assert.ok(lab != null)
    const names = ['internet', 's0', 'homea', 'a1', 'b1'].map(n => lab!.namespace(n))
    await lab.destroy()
    const left = listNamespaces()
    for (const n of names) assert.ok(!left.includes(n), `${n} removed`)
    lab = undefined
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`removes a lab whose owner gets ${signal}`, async () => {
      const owner = new JsonProcess('lab owner', hold, [])
      procs.push(owner)
      const ready = await owner.waitFor(e => e.event === 'ready', 20_000)
      assert.ok(ready.namespaces.every((n: string) => listNamespaces().includes(n)))
      owner.kill(signal)
      await owner.exitCode(10_000)
      const left = listNamespaces()
      assert.deepEqual(ready.namespaces.filter((n: string) => left.includes(n)), [])
    })
  }

  it('removes a lab left behind by a killed owner when the next lab is built', async () => {
    const owner = new JsonProcess('lab owner', hold, [])
    procs.push(owner)
    const ready = await owner.waitFor(e => e.event === 'ready', 20_000)
    await owner.killHard()
    assert.ok(ready.namespaces.every((n: string) => listNamespaces().includes(n)), 'SIGKILL leaves the lab behind')
    const next = await createLab({ public: ['x'] })
    try {
      const left = listNamespaces()
      assert.deepEqual(ready.namespaces.filter((n: string) => left.includes(n)), [])
    } finally {
      await next.destroy()
    }
  })
})
