import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { KEEP_ALIVE, type Stream } from '@libp2p/interface'
import { createHost, HEARSAY_DHT_PROTOCOL, type Host } from '@hearsay/host'
import { closingIdleLookupConnections } from '../dist/lookup-connections.js'
import { dhtComponents } from '../dist/dht-components.js'

const IDLE_MS = 1500
const HOLD_PROTOCOL = '/test/hold/1.0.0'

type DhtHost = Host & { services: { dht: KadDHT } }

/**
 * A host on 127.0.94.`n` whose DHT is wired as the host's (its ping never dials, see
 * dhtComponents) and closes the connections its queries dialled after `IDLE_MS`.
 */
async function dhtHost (n: number): Promise<DhtHost> {
  const at = `127.0.94.${n}`
  return await createHost({
    listen: [`/ip4/${at}/tcp/0`],
    dialFrom: at,
    // nothing else dials: every connection is a seeded link or the lookup's
    discovery: false,
    files: false,
    dht: false,
    services: {
      dht: (components: any) => kadDHT({ protocol: HEARSAY_DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper })(
        dhtComponents(closingIdleLookupConnections(components, { idleMs: IDLE_MS, sweepMs: 200 })))
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
  this.timeout(60_000)
  const hosts: DhtHost[] = []
  afterEach(async () => { await Promise.all(hosts.splice(0).map(async h => { await h.stop() })) })

  it('closes the connections a lookup dialled once idle; one in use, a kept-alive peer\'s and one open before stay', async () => {
    // a hub knows four more hosts the querier does not
    const querier = await dhtHost(1)
    hosts.push(querier)
    const hub = await dhtHost(2)
    hosts.push(hub)
    const others: DhtHost[] = []
    for (let n = 3; n <= 6; n++) others.push(await dhtHost(n))
    hosts.push(...others)
    for (const other of others) await other.dial(hub.getMultiaddrs())
    const link = await querier.dial(hub.getMultiaddrs())
    await waitFor('the hub has every host in its routing table', () => (hub.services.dht as any).routingTable.size === 5)
    await waitFor('the querier has the hub in its routing table', () => (querier.services.dht as any).routingTable.size >= 1)

    // a key the hub is farthest from: the lookup must go on from the hub to every other host
    const ids = [hub, ...others].map(h => kadId(h.peerId.toMultihash().bytes))
    let key = randomBytes(32)
    for (let tries = 0; tries < 1000; tries++) {
      const k = kadId(key)
      if (ids.slice(1).every(id => Buffer.compare(distance(id, k), distance(ids[0], k)) < 0)) break
      key = randomBytes(32)
    }
    for await (const _ of querier.services.dht.getClosestPeers(key)) { /* drain */ }
    const dialled = others.filter(o => querier.getConnections(o.peerId).length > 0)
    assert.equal(dialled.length, 4, 'the lookup connected the querier to the four hosts behind the hub')

    // one stays in use (a stream of an application's protocol), one peer is tagged keep-alive
    const [inUse, keptAlive, ...idle] = others
    // held open until the dialler closes it
    await inUse.handle(HOLD_PROTOCOL, async (stream: Stream) => {
      for await (const _ of stream) { /* drain */ }
      await stream.close()
    })
    const held: Stream = await querier.dialProtocol(inUse.peerId, HOLD_PROTOCOL)
    await querier.peerStore.merge(keptAlive.peerId, { tags: { [`${KEEP_ALIVE}-test`]: { value: 1 } } })

    await waitFor('the idle lookup connections closed', () => idle.every(o => querier.getConnections(o.peerId).length === 0))
    // at both ends (the ones they dialled back in their own self-query closed by them), with the
    // gossip and identify streams every connection has on it
    for (const o of idle) assert.equal(o.getConnections(querier.peerId).length, 0)
    await new Promise(resolve => setTimeout(resolve, IDLE_MS))
    assert.equal(link.status, 'open', 'the link that was open before the lookup stays')
    assert.ok(querier.getConnections(inUse.peerId).some(c => c.streams.some(s => s.protocol === HOLD_PROTOCOL)), 'the connection in use stays')
    // (if the peer had dialled the one left open, it closes it, and libp2p redials a kept-alive peer)
    await waitFor('the kept-alive peer connected', () => querier.getConnections(keptAlive.peerId).length > 0)

    // and once the stream ends, that connection is idle too
    await held.close()
    await waitFor('the connection closed after its stream', () => querier.getConnections(inUse.peerId).length === 0)
    assert.equal(link.status, 'open')
    await waitFor('the kept-alive peer connected', () => querier.getConnections(keptAlive.peerId).length > 0)
  })
})
