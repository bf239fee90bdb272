import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHost, IDENTITY_FILE, InvalidOptionError, type Host } from '@hearsay/host'
import { topologyEdges } from '@hearsay/host/testnet'
import { seededRng } from '@hearsay/sansio'

async function rejectsWithOption (promise: Promise<unknown>, option: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: any) => {
    assert.ok(err instanceof InvalidOptionError, `expected InvalidOptionError, got ${err?.name}: ${err?.message}`)
    assert.equal(err.name, 'InvalidOptionError')
    assert.equal(err.option, option)
    assert.match(err.message, pattern)
    return true
  })
}

describe('createHost options', () => {
  const hosts: Host[] = []
  let dir: string

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'hearsay-host-')) })
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
    await rm(dir, { recursive: true, force: true })
  })

  it('accepts a DNS seed (/dnsaddr/...) without a /p2p/ component, and runs discovery unless told not to', async () => {
    // never started: resolving the seed would need DNS, and tests stay on loopback
    const seeded = await createHost({ bootstrap: ['/dnsaddr/seed.hearsay.invalid'], start: false })
    hosts.push(seeded)
    assert.equal(typeof seeded.services.discovery.stats, 'function')
    const without = await createHost({ discovery: false, start: false })
    hosts.push(without)
    assert.equal((without.services as Record<string, unknown>).discovery, undefined)
  })

  it('listens on loopback with a free port by default', async () => {
    const host = await createHost()
    hosts.push(host)
    const addrs = host.getMultiaddrs().map(String)
    assert.equal(addrs.length, 1)
    assert.match(addrs[0], /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
    assert.ok(host.services.ping != null && host.services.dht != null && host.services.identify != null)
  })

  it('names "listen" for an unparsable multiaddr', async () => {
    await rejectsWithOption(createHost({ listen: ['not-a-multiaddr'] }), 'listen', /not-a-multiaddr/)
  })

  it('names "listen" for a port already in use', async () => {
    const first = await createHost()
    hosts.push(first)
    const taken = first.getMultiaddrs()[0].toString().split('/p2p/')[0]
    await rejectsWithOption(createHost({ listen: [taken] }), 'listen', /EADDRINUSE/)
  })

  it('names "bootstrap" for an address without a peer id, or garbage', async () => {
    await rejectsWithOption(createHost({ bootstrap: ['/ip4/127.0.0.1/tcp/4001'] }), 'bootstrap', /\/p2p\//)
    await rejectsWithOption(createHost({ bootstrap: ['127.0.0.1:4001'] }), 'bootstrap', /not a multiaddr/)
  })

  it('names "dht.lookupConnectionIdleMs" unless it is a positive number of ms or Infinity', async () => {
    for (const bad of [0, -1, Number.NaN, '60000' as any]) {
      await rejectsWithOption(createHost({ dht: { lookupConnectionIdleMs: bad } }), 'dht.lookupConnectionIdleMs', /positive number of ms or Infinity/)
    }
    const host = await createHost({ dht: { lookupConnectionIdleMs: Infinity }, start: false })
    assert.equal(host.status, 'stopped')
  })

  it('names "dataDir" when the directory cannot be created', async () => {
    const file = join(dir, 'a-file')
    await writeFile(file, 'x')
    await rejectsWithOption(createHost({ dataDir: join(file, 'sub') }), 'dataDir', /ENOTDIR/)
  })

  it('stores the identity key with mode 0600 and reuses it', async () => {
    const first = await createHost({ dataDir: dir })
    const id = first.peerId.toString()
    await first.stop()
    const mode = (await stat(join(dir, IDENTITY_FILE))).mode & 0o777
    assert.equal(mode, 0o600)
    const second = await createHost({ dataDir: dir })
    hosts.push(second)
    assert.equal(second.peerId.toString(), id)
  })

  it('combines a user connection gater with the scoring gater', async () => {
    const allowed = await createHost()
    const blocked = await createHost()
    const banned = await createHost()
    hosts.push(allowed, blocked, banned)
    const host = await createHost({
      libp2p: { connectionGater: { denyDialPeer: (peer) => peer.equals(blocked.peerId) } }
    })
    hosts.push(host)
    await host.services.scoring.ban(banned.peerId, { reason: 'test' })
    await host.dial(allowed.getMultiaddrs())
    await assert.rejects(host.dial(blocked.getMultiaddrs()), 'the user gater still applies')
    await assert.rejects(host.dial(banned.getMultiaddrs()), 'the scoring gater still applies')
  })

  it('does not start when start is false', async () => {
    const host = await createHost({ start: false })
    hosts.push(host)
    assert.equal(host.status, 'stopped')
    await host.start()
    assert.equal(host.status, 'started')
  })
})

describe('testnet topologies', () => {
  const rng = (): ReturnType<typeof seededRng> => seededRng(9)

  it('builds the fixed shapes', () => {
    assert.deepEqual(topologyEdges('line', 4, rng()), [[0, 1], [1, 2], [2, 3]])
    assert.deepEqual(topologyEdges('ring', 4, rng()), [[0, 1], [1, 2], [2, 3], [3, 0]])
    assert.deepEqual(topologyEdges('star', 4, rng()), [[1, 0], [2, 0], [3, 0]])
    assert.equal(topologyEdges('full', 6, rng()).length, 15)
    assert.deepEqual(topologyEdges('none', 6, rng()), [])
    assert.deepEqual(topologyEdges([[0, 1], [1, 0], [2, 2]], 3, rng()), [[0, 1]])
    assert.throws(() => topologyEdges([[0, 5]], 3, rng()), RangeError)
  })

  it('random graphs are connected, reach the minimum degree and repeat for a seed', () => {
    const edges = topologyEdges({ random: 4 }, 60, rng())
    assert.deepEqual(edges, topologyEdges({ random: 4 }, 60, rng()))
    const adjacency = new Map<number, Set<number>>()
    for (const [a, b] of edges) {
      if (!adjacency.has(a)) adjacency.set(a, new Set())
      if (!adjacency.has(b)) adjacency.set(b, new Set())
      adjacency.get(a)?.add(b)
      adjacency.get(b)?.add(a)
    }
    for (let i = 0; i < 60; i++) assert.ok((adjacency.get(i)?.size ?? 0) >= 4, `node ${i} degree`)
    const seen = new Set([0])
    const queue = [0]
    while (queue.length > 0) {
      for (const next of adjacency.get(queue.shift() as number) ?? []) {
        if (!seen.has(next)) { seen.add(next); queue.push(next) }
      }
    }
    assert.equal(seen.size, 60)
  })
})
