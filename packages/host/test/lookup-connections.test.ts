import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { kadDHT, passthroughMapper, type KadDHT, type KadDHTComponents } from '@libp2p/kad-dht'
import { KEEP_ALIVE, type Connection, type Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createHost, HEARSAY_DHT_PROTOCOL, type Host, type HostOptions } from '@hearsay/host'
import { closingIdleLookupConnections } from '../dist/lookup-connections.js'
import { dhtComponents } from '../dist/dht-components.js'

const IDLE_MS = 4000
const HOLD_PROTOCOL = '/test/hold/1.0.0'

type DhtHost = Host & { services: { dht: KadDHT } }

/**
 * A host on 127.0.94.`n` whose DHT is wired as the host's (its ping never dials, see
 * dhtComponents) and closes the connections its queries dialled after `IDLE_MS`.
 */
async function dhtHost (n: number, init: Partial<HostOptions> = {}, wrapped?: (components: KadDHTComponents) => void, sweepMs = 200): Promise<DhtHost> {
  const at = `127.0.94.${n}`
  return await createHost({
    listen: [`/ip4/${at}/tcp/0`],
    dialFrom: at,
    // nothing else dials: every connection is a seeded link or the lookup's
    discovery: false,
    files: false,
    dht: false,
    ...init,
    services: {
      dht: (components: any) => {
        const closing = closingIdleLookupConnections(components, { idleMs: IDLE_MS, sweepMs })
        wrapped?.(closing)
        return kadDHT({ protocol: HEARSAY_DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper })(dhtComponents(closing))
      }
    }
  })
}

/** Kademlia's distance of a key or peer id's bytes to `key`'s (both hashed, as kad-dht does). */
const kadId = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest()
const distance = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((byte, i) => byte ^ b[i]))

async function waitFor (what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('closingIdleLookupConnections', function () {
  this.timeout(90_000)
  const hosts: DhtHost[] = []
  afterEach(async () => { await Promise.all(hosts.splice(0).map(async h => { await h.stop() })) })

  it('closes the connections a lookup dialled once idle, at both ends; one in use, one polled, a kept-alive peer\'s and one open before stay', async () => {
    // a hub knows four hosts; their first self-queries are over before the querier exists, so
    // every connection between the querier and them is one the querier's lookup dialled
    const hub = await dhtHost(2)
    hosts.push(hub)
    const others: DhtHost[] = []
    for (let n = 3; n <= 6; n++) others.push(await dhtHost(n))
    hosts.push(...others)
    for (const other of others) await other.dial(hub.getMultiaddrs())
    await waitFor('the hub has the four hosts in its routing table', () => (hub.services.dht as any).routingTable.size === 4)
    await new Promise(resolve => setTimeout(resolve, 2000))
    const querier = await dhtHost(1)
    hosts.push(querier)
    const link = await querier.dial(hub.getMultiaddrs())
    await waitFor('the hub has the querier in its routing table', () => (hub.services.dht as any).routingTable.size === 5)
    await waitFor('the querier has the hub in its routing table', () => (querier.services.dht as any).routingTable.size >= 1)

    const [inUse, keptAlive, polled, idle] = others
    await querier.peerStore.merge(keptAlive.peerId, { tags: { [`${KEEP_ALIVE}-test`]: { value: 1 } } })
    for (const o of [inUse, polled]) {
      // held open until the dialler closes it
      await o.handle(HOLD_PROTOCOL, async (stream: Stream) => {
        for await (const _ of stream) { /* drain */ }
        await stream.close()
      })
    }

    // a key the hub is farthest from: the lookup must go on from the hub to every other host
    const ids = [hub, ...others].map(h => kadId(h.peerId.toMultihash().bytes))
    let key = randomBytes(32)
    for (let tries = 0; tries < 1000; tries++) {
      const k = kadId(key)
      if (ids.slice(1).every(id => Buffer.compare(distance(id, k), distance(ids[0], k)) < 0)) break
      key = randomBytes(32)
    }
    for await (const _ of querier.services.dht.getClosestPeers(key)) { /* drain */ }
    const dialled = new Map(others.map(o => [o, querier.getConnections(o.peerId)]))
    for (const [o, connections] of dialled) {
      assert.deepEqual(connections.map(c => c.direction), ['outbound'], `the lookup dialled host ${others.indexOf(o)}, once`)
    }
    const connectionTo = (o: DhtHost): Connection => (dialled.get(o) ?? [])[0]

    // one carries a long stream, one a short request every 500 ms
    const held: Stream = await querier.dialProtocol(inUse.peerId, HOLD_PROTOCOL)
    assert.ok(connectionTo(inUse).streams.includes(held), 'the held stream runs on the connection the lookup dialled')
    let polling = true
    const poll = (async () => {
      while (polling) {
        const stream = await querier.dialProtocol(polled.peerId, HOLD_PROTOCOL)
        await stream.close()
        await new Promise(resolve => setTimeout(resolve, 500))
      }
    })()

    await waitFor('the idle lookup connection closed, at both ends', () =>
      querier.getConnections(idle.peerId).length === 0 && idle.getConnections(querier.peerId).length === 0)
    await new Promise(resolve => setTimeout(resolve, IDLE_MS))
    assert.equal(link.status, 'open', 'the link that was open before the lookup stays')
    assert.equal(connectionTo(inUse).status, 'open', 'the connection in use stays')
    assert.equal(connectionTo(polled).status, 'open', 'the connection polled with short requests stays')
    assert.equal(connectionTo(keptAlive).status, 'open', 'the kept-alive peer\'s connection stays')

    // once the stream ends and the polling stops, those connections are idle too
    await held.close()
    polling = false
    await poll
    await waitFor('the connections closed after their use', () => connectionTo(inUse).status === 'closed' && connectionTo(polled).status === 'closed')
    assert.equal(link.status, 'open')
    assert.equal(connectionTo(keptAlive).status, 'open')
  })

  it('the direct connection that replaces a relayed one the DHT dialled, as DCUtR does, closes once idle; one opened after the relayed one closed is not the DHT\'s', async () => {
    // a relay, two peers with a reservation on it that the querier knows only by their relay
    // addresses, and a querier whose DHT request dials each over the relay (DHT streams never
    // run on a relayed connection: the request fails, the connection stays). DCUtR's hole punch
    // needs public addresses, so the test does what it does on success: a forced direct dial,
    // then the relayed connection closed; and, for the second peer, the other way round
    const relay = await dhtHost(11, { nat: { relayServer: {}, relayClient: false, dcutr: false, autonat: false } })
    hosts.push(relay)
    const natted: DhtHost[] = []
    for (const n of [12, 13]) {
      const peer = await dhtHost(n, { nat: { dcutr: false, autonat: false }, bootstrap: [relay.getMultiaddrs()[0].toString()] })
      hosts.push(peer)
      natted.push(peer)
    }
    const circuit = (peer: DhtHost): Multiaddr | undefined => peer.getMultiaddrs().find(a => a.toString().startsWith('/ip4/') && a.toString().includes('/p2p-circuit'))
    const directAddrs = (peer: DhtHost): Multiaddr[] => peer.getMultiaddrs().filter(a => !a.toString().includes('/p2p-circuit'))
    await waitFor('reservations on the relay', () => natted.every(p => circuit(p) != null))
    let components: KadDHTComponents | undefined
    // sweeps 2 s apart: the direct connection dialled right after a relayed one closed is open
    // before the sweep that finds the relayed one closed
    const SWEEP_MS = 2000
    const querier = await dhtHost(14, { nat: { dcutr: false, autonat: false } }, c => { components = c }, SWEEP_MS)
    hosts.push(querier)
    const relayedTo = async (peer: DhtHost): Promise<Connection> => {
      await querier.peerStore.merge(peer.peerId, { multiaddrs: [circuit(peer)!] })
      await assert.rejects(components!.connectionManager.openStream(peer.peerId, HEARSAY_DHT_PROTOCOL), 'no DHT stream on a relayed connection')
      const [relayed] = querier.getConnections(peer.peerId)
      assert.equal(relayed?.direct, false, 'the DHT dialled the peer over the relay')
      return relayed
    }
    const [upgraded, later] = natted

    // DCUtR's order: the direct connection, then the relayed one closed
    const relayed = await relayedTo(upgraded)
    const direct = await querier.dial(directAddrs(upgraded), { force: true })
    assert.equal(direct.direct, true, 'a direct connection')
    await relayed.close()
    const closedAt = Date.now()
    // the other order: the relayed connection closed, then a direct one (nobody's to close)
    await (await relayedTo(later)).close()
    const afterwards = await querier.dial(directAddrs(later), { force: true })

    await new Promise(resolve => setTimeout(resolve, IDLE_MS / 2))
    assert.equal(direct.status, 'open', 'the direct connection stays while not yet idle for IDLE_MS')
    await waitFor('the direct connection closed once idle, at both ends', () =>
      direct.status === 'closed' && upgraded.getConnections(querier.peerId).length === 0)
    assert.ok(Date.now() - closedAt >= IDLE_MS, 'not before IDLE_MS')
    // one more sweep
    await new Promise(resolve => setTimeout(resolve, SWEEP_MS + 500))
    assert.equal(afterwards.status, 'open', 'the connection opened after the relayed one closed stays')
  })
})
