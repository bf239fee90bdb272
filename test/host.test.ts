import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { flood, type ReceivedMessage } from '@hearsay/gossip'
import { createHost, type Host } from '@hearsay/host'
import { createTestnet } from '@hearsay/host/testnet'
import { onLoopback } from './helpers/loopback.ts'
import { waitFor } from './helpers/wait.ts'

type Connection = Awaited<ReturnType<Host['dial']>>

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
/** The routing table of `host`'s DHT (a private part of `@libp2p/kad-dht` 16). */
const routingTable = (host: Host): { find: (peer: Host['peerId']) => Promise<unknown> } => (host.services.dht as any).routingTable

describe('hosts over TCP and QUIC on loopback', function () {
  this.timeout(120_000)
  const hosts: Host[] = []
  afterEach(async () => { await Promise.all(hosts.splice(0).map(async h => { await h.stop() })) })

  it('two hosts connect with Noise and Yamux and ping', async () => {
    const a = await createHost()
    hosts.push(a)
    const b = await createHost({ bootstrap: [a.getMultiaddrs()[0].toString()] })
    hosts.push(b)
    await waitFor(() => b.getConnections(a.peerId).length > 0, { what: 'b connected to a' })
    const conn = b.getConnections(a.peerId)[0]
    assert.equal(conn.encryption, '/noise')
    assert.equal(conn.multiplexer, '/yamux/1.0.0')
    assert.match(conn.remoteAddr.toString(), /^\/ip4\/127\.0\.0\.1\/tcp\//)
    const rtt = await b.services.ping.ping(a.peerId)
    assert.ok(rtt >= 0 && rtt < 1000, `rtt ${rtt}`)
    // both ends know the connection's round trip from Yamux's keep-alive ping, with no ping stream
    await waitFor(() => [conn, ...a.getConnections(b.peerId)].every(c => c.rtt != null), { what: 'rtt at both ends' })
    for (const c of [conn, ...a.getConnections(b.peerId)]) assert.ok(c.rtt != null && c.rtt >= 0 && c.rtt < 1000, `${c.direction} rtt ${c.rtt}`)
  })

  it('two hosts listening on QUIC connect over it, and ping, gossip and a verified download run on the connection', async () => {
    const a = await createHost({ listen: ['/ip4/127.0.0.1/udp/0/quic-v1'] })
    hosts.push(a)
    const quicAddr = a.getMultiaddrs().find(ma => ma.toString().includes('/quic-v1'))
    assert.ok(quicAddr != null, `a listens on QUIC: ${a.getMultiaddrs().join(' ')}`)
    const b = await createHost({ listen: ['/ip4/127.0.0.1/udp/0/quic-v1'], bootstrap: [quicAddr.toString()] })
    hosts.push(b)
    await waitFor(() => b.getConnections(a.peerId).length > 0, { what: 'b connected to a' })
    const conn = b.getConnections(a.peerId)[0]
    assert.match(conn.remoteAddr.toString(), /\/udp\/\d+\/quic-v1/, 'the connection runs over QUIC')
    assert.ok((await b.services.ping.ping(a.peerId)) >= 0)

    const got: ReceivedMessage[] = []
    for (const h of [a, b]) h.services.gossip.subscribe('q', { strategy: flood() })
    b.services.gossip.addEventListener('message', e => { got.push(e.detail) })
    await waitFor(() => a.services.gossip.getSubscribers('q').length === 1, { what: 'a sees b subscribed' })
    await a.services.gossip.publish('q', new TextEncoder().encode('over quic'))
    await waitFor(() => got.length === 1, { what: 'b receives the message' })
    assert.equal(new TextDecoder().decode(got[0].data), 'over quic')

    const data = randomBytes(3 * 256 * 1024 + 1000)
    const id = await a.services.files.add(data, { name: 'q.bin' })
    await b.services.files.get(id)
    assert.deepEqual(await b.services.files.cat(id), new Uint8Array(data))
    assert.ok(b.getConnections(a.peerId).every(c => c.remoteAddr.toString().includes('/quic-v1')), 'no other transport was used')
  })

  it('ten hosts joined through one bootstrap host find each other through the DHT and ping', async () => {
    // each host gets its own loopback address, as on a real network: libp2p limits inbound
    // connections per source IP, and ten hosts all dialling from 127.0.0.1 would trip it
    const boot = await createHost(onLoopback(1, 1))
    hosts.push(boot)
    const bootAddr = boot.getMultiaddrs()[0].toString()
    const rest = await Promise.all(Array.from({ length: 9 }, async (_, i) => createHost({ ...onLoopback(1, i + 2), bootstrap: [bootAddr] })))
    hosts.push(...rest)
    await waitFor(() => rest.every(h => h.getConnections(boot.peerId).length > 0), { what: 'all connected to bootstrap' })
    // host 1 looks up every other host by PeerId alone: only the DHT can tell it their addresses
    const seeker = rest[0]
    for (const target of rest.slice(1)) {
      const info = await seeker.peerRouting.findPeer(target.peerId, { signal: AbortSignal.timeout(20_000) })
      assert.equal(info.id.toString(), target.peerId.toString())
      assert.ok(info.multiaddrs.some(ma => ma.toString().startsWith('/ip4/127.0.1.')), `a dialable address: ${info.multiaddrs.map(String).join(' ')}`)
      const rtt = await seeker.services.ping.ping(info.id)
      assert.ok(rtt >= 0)
    }
    // a periodic self-query (its first ran at start) looks up the seeker's own id and counts the
    // peers it found: at most the nine others (@libp2p/kad-dht 16.4 alone counted the lookup's
    // first 20 events, dials begun, and aborted them)
    const found = new Promise<number>(resolve => {
      seeker.addEventListener('kad-dht:query:self' as any, (event: CustomEvent<{ peers: number }>) => { resolve(event.detail.peers) }, { once: true })
    })
    const selfQuery = (seeker.services.dht as unknown as { querySelf: { querySelf: () => Promise<void>, timeoutId?: ReturnType<typeof setTimeout> } }).querySelf
    // the scheduled one is cleared first: the query sets the next timer itself, over the old one's
    // id, and the DHT's stop clears only that (an hour's timer left behind holds the process open)
    clearTimeout(selfQuery.timeoutId)
    await selfQuery.querySelf()
    const peers = await found
    assert.ok(peers >= 1 && peers <= 9, `the self-query found ${peers} peers`)
  })

  it('findPeer asks the network for a peer the host knows no address of', async () => {
    // a peer that has just connected (identify not done) or that the host only tagged has a
    // peer-store record without addresses: @libp2p/kad-dht 16 answered with it alone
    const c = await createHost({ ...onLoopback(5, 3), discovery: false })
    const a = await createHost({ ...onLoopback(5, 1), discovery: false })
    const b = await createHost({ ...onLoopback(5, 2), discovery: false })
    hosts.push(a, b, c)
    await a.dial(c.getMultiaddrs()[0])
    await b.dial(c.getMultiaddrs()[0])
    await waitFor(async () => (await routingTable(c).find(b.peerId)) != null, { what: "b in c's routing table" })
    await a.peerStore.patch(b.peerId, { multiaddrs: [], tags: { 'hearsay-test': { value: 1 } } })
    assert.deepEqual((await a.peerStore.get(b.peerId)).addresses, [], 'a knows b, and no address of it')
    const info = await a.peerRouting.findPeer(b.peerId, { signal: AbortSignal.timeout(10_000) })
    assert.deepEqual(info.multiaddrs.map(String), b.getMultiaddrs().map(ma => ma.decapsulateCode(421).toString()), "c told a b's address")
    assert.ok((await a.services.ping.ping(b.peerId)) >= 0, 'and a reaches b by its id alone')
    // a peer the network does not know either: the record is the answer, as before
    const gone = await createHost({ ...onLoopback(5, 4), discovery: false })
    await gone.stop()
    await a.peerStore.patch(gone.peerId, { tags: { 'hearsay-test': { value: 1 } } })
    const record = await a.peerRouting.findPeer(gone.peerId, { signal: AbortSignal.timeout(10_000) })
    assert.equal(record.id.toString(), gone.peerId.toString())
    assert.deepEqual(record.multiaddrs, [])
  })

  it('the DHT pins no connection: its closest peers get no keep-alive tag, and a closed connection to one is not dialled again', async () => {
    // discovery off: it would redial the only peer it knows to meet its outbound target, and
    // here nothing but libp2p's reconnect queue (which follows keep-alive tags) may dial
    const a = await createHost({ ...onLoopback(2, 1), discovery: false })
    const b = await createHost({ ...onLoopback(2, 2), discovery: false })
    hosts.push(a, b)
    // the tagger of the pinned @libp2p/kad-dht (a private part) was found and stopped at start
    for (const host of [a, b]) assert.equal((host.services.dht as any).routingTable.closestPeerTagger.running, false)
    await b.dial(a.getMultiaddrs()[0])
    // each routing table pings the other, a new contact, and adds it (tag `kad-peer`): from then
    // on each is the other's closest peer, which kad-dht's tagger would tag `kad-close` and
    // `keep-alive-kad-dht` at its next refresh, 5 s later (and the DHT's peer store would drop)
    const tagsOf = async (host: Host, other: Host): Promise<string[]> => [...((await host.peerStore.get(other.peerId).catch(() => undefined))?.tags.keys() ?? [])]
    await waitFor(async () => (await tagsOf(a, b)).includes('kad-peer') && (await tagsOf(b, a)).includes('kad-peer'), { what: 'each in the other\'s routing table' })
    await sleep(6_000)
    for (const [host, other] of [[a, b], [b, a]]) {
      const tags = await tagsOf(host, other)
      assert.ok(tags.includes('kad-peer'), 'still in the routing table')
      assert.deepEqual(tags.filter(tag => tag.startsWith('keep-alive') || tag === 'kad-close'), [], 'no closest-peer tag')
    }
    // the DHT answers over the connection as before
    const found = await b.peerRouting.findPeer(a.peerId, { signal: AbortSignal.timeout(10_000) })
    assert.equal(found.id.toString(), a.peerId.toString())
    await b.hangUp(a.peerId)
    // libp2p's reconnect queue redials a keep-alive peer at once (then after 1 s, 2 s, ...)
    await sleep(3_000)
    assert.equal(a.getConnections(b.peerId).length + b.getConnections(a.peerId).length, 0, 'neither dialled the other again')
  })

  it('the DHT forgets a peer that left once a lookup fails to reach it, and keeps the one that answered', async () => {
    // discovery off: nothing but the lookup may dial
    const a = await createHost({ ...onLoopback(3, 1), discovery: false })
    const b = await createHost({ ...onLoopback(3, 2), discovery: false })
    const c = await createHost({ ...onLoopback(3, 3), discovery: false })
    hosts.push(a, b, c)
    await b.dial(a.getMultiaddrs()[0])
    await c.dial(a.getMultiaddrs()[0])
    await waitFor(async () => (await routingTable(a).find(b.peerId)) != null && (await routingTable(a).find(c.peerId)) != null, { what: "b and c in a's routing table" })
    await c.stop()
    hosts.splice(hosts.indexOf(c), 1)
    await waitFor(() => a.getConnections(c.peerId).length === 0, { what: 'c gone' })
    assert.notEqual(await routingTable(a).find(c.peerId), undefined, 'the connection closing alone changes nothing: c is still in the table')
    // a lookup of any key starts from a's closest contacts, b and c alike (alpha is 10): c's dial fails
    let found = 0
    for await (const event of a.services.dht.getClosestPeers(randomBytes(32), { signal: AbortSignal.timeout(20_000) })) if (event.name === 'FINAL_PEER') found++
    assert.equal(found, 1, 'the lookup found b alone')
    await waitFor(async () => (await routingTable(a).find(c.peerId)) == null, { what: "c removed from a's routing table", timeoutMs: 5000 })
    assert.notEqual(await routingTable(a).find(b.peerId), undefined, 'b, which answered, stays')
    assert.ok(!((await a.peerStore.get(c.peerId)).tags.has('kad-peer')), 'nor is c loaded back into the table at the next start')
  })

  it('the connections a DHT lookup dialled close once idle for dht.lookupConnectionIdleMs, at both ends; the link open before stays; Infinity keeps them', async function () {
    const IDLE_MS = 5000
    this.timeout(90_000)
    // discovery off: nothing but the DHT dials. A hub knows four hosts whose first self-queries
    // are over before the queriers exist: the queriers meet them only through their own lookups
    const hub = await createHost({ ...onLoopback(8, 1), discovery: false })
    hosts.push(hub)
    const others: Host[] = []
    for (let n = 2; n <= 5; n++) {
      const other = await createHost({ ...onLoopback(8, n), discovery: false })
      hosts.push(other)
      others.push(other)
      await other.dial(hub.getMultiaddrs()[0])
    }
    await waitFor(() => (hub.services.dht as any).routingTable.size === 4, { what: "the four in the hub's routing table" })
    await sleep(2000)
    const lookUp = async (lookupConnectionIdleMs: number, n: number): Promise<{ querier: Host, link: Connection, dialled: Connection[] }> => {
      const querier = await createHost({ ...onLoopback(8, n), discovery: false, dht: { lookupConnectionIdleMs } })
      hosts.push(querier)
      const link = await querier.dial(hub.getMultiaddrs()[0])
      await waitFor(() => (querier.services.dht as any).routingTable.size >= 1, { what: "the hub in the querier's routing table" })
      for (let i = 0; i < 3; i++) {
        for await (const _ of querier.services.dht.getClosestPeers(randomBytes(32), { signal: AbortSignal.timeout(20_000) })) { /* drain */ }
      }
      const dialled = others.flatMap(o => querier.getConnections(o.peerId))
      assert.ok(dialled.length >= 2, `the lookups connected the querier to hosts behind the hub (${dialled.length})`)
      return { querier, link, dialled }
    }
    // the querier that keeps them first: its connections are idle longest
    const keeping = await lookUp(Infinity, 7)
    const closing = await lookUp(IDLE_MS, 6)
    // idle time, then up to one 10 s sweep
    await waitFor(() => closing.dialled.every(c => c.status === 'closed') && others.every(o => o.getConnections(closing.querier.peerId).length === 0), {
      what: "the lookups' connections closed at both ends",
      timeoutMs: IDLE_MS + 30_000,
      intervalMs: 500
    })
    assert.equal(closing.link.status, 'open', 'the link the querier dialled itself stays')
    // idle longer than those that closed, and past one more of the 10 s sweeps (a minute, to tell
    // Infinity from the 60 s default, would make this test slow)
    await sleep(10_500)
    assert.ok(keeping.dialled.every(c => c.status === 'open'), 'with Infinity, the lookups\' connections stay open')
  })

  it('30 requests sent at once to a peer not yet connected all succeed, on one connection', async () => {
    // the dialler's first streams reach b before libp2p listens on the new connection (they come
    // in the same read as Noise's last handshake message); plain Yamux aborted the whole muxer at
    // the 11th such stream, and every one of the 30 failed
    const a = await createHost({ ...onLoopback(4, 1), discovery: false })
    const b = await createHost({ ...onLoopback(4, 2), discovery: false })
    hosts.push(a, b)
    const PROTOCOL = '/hearsay-test/echo/1'
    await b.handle(PROTOCOL, async stream => {
      for await (const chunk of stream) stream.send(chunk)
      await stream.close()
    })
    const replies = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const stream = await a.dialProtocol(b.getMultiaddrs(), PROTOCOL)
      stream.send(Uint8Array.of(i))
      await stream.close()
      const got: number[] = []
      for await (const chunk of stream) got.push(...chunk.subarray())
      return got
    }))
    assert.deepEqual(replies, Array.from({ length: 30 }, (_, i) => [i]), 'every request got its own reply')
    assert.equal(a.getConnections(b.peerId).length, 1, 'over one connection, still open')
  })

  it('a restart with the same dataDir keeps the PeerId and what it learned', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearsay-restart-'))
    try {
      const other = await createHost()
      hosts.push(other)
      let host = await createHost({ dataDir: dir })
      const id = host.peerId.toString()
      await host.dial(other.getMultiaddrs())
      await waitFor(async () => (await host.peerStore.get(other.peerId)).protocols.length > 0, { what: 'identify' })
      await host.stop()
      host = await createHost({ dataDir: dir })
      hosts.push(host)
      assert.equal(host.peerId.toString(), id)
      const known = await host.peerStore.get(other.peerId)
      assert.ok(known.addresses.length > 0, 'the peer store survived the restart')
      assert.ok(known.protocols.includes('/ipfs/ping/1.0.0'))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('in-memory testnet', function () {
  this.timeout(120_000)

  it('brings up 50 connected nodes and tears down without leaked handles', async () => {
    // counted once mocha's own timer for this test is armed (it is, from the first await on)
    await sleep(1)
    const baseline = process.getActiveResourcesInfo().length
    const net = await createTestnet({ nodes: 50, topology: { random: 3 }, seed: 'testnet-50' })
    try {
      assert.equal(net.nodes.length, 50)
      for (const [a, b] of net.edges) {
        assert.ok(net.nodes[a].getConnections(net.nodes[b].peerId).length > 0, `edge ${a}-${b} connected`)
      }
      const rtt = await net.nodes[0].services.ping.ping(net.nodes[net.edges.find(e => e[0] === 0)?.[1] ?? net.edges[0][1]].peerId)
      assert.ok(rtt >= 0)
      console.log(`      50 testnet nodes: rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`)
    } finally {
      await net.stop()
    }
    assert.ok(net.nodes.every(n => n.status === 'stopped'))
    await waitFor(() => process.getActiveResourcesInfo().length <= baseline, {
      what: 'timers and handles released', timeoutMs: 15_000
    })
  })

  it('wires a star of 40 though its hub refuses past 10 inbound connections upgrading at once', async () => {
    const net = await createTestnet({ nodes: 40, topology: 'star', seed: 'star-40', host: { discovery: false, files: false } })
    try {
      assert.equal(net.edges.length, 39)
      assert.equal(new Set(net.nodes[0].getConnections().map(c => c.remotePeer.toString())).size, 39, 'the hub holds every spoke')
      // links of one's own go through the same limits
      await net.wire([[1, 2], [3, 2], [4, 2]])
      assert.ok(net.nodes[2].getConnections(net.nodes[3].peerId).length > 0)
      await assert.rejects(net.wire([[1, 40]]), RangeError, 'an index past the last node, at once')
    } finally {
      await net.stop()
    }
  })

  it('fires timers while its hosts stream to each other, as over sockets', async () => {
    const net = await createTestnet({ nodes: 2, topology: 'line', seed: 'pace', host: { discovery: false, files: false, dht: false } })
    const [a, b] = net.nodes
    try {
      const total = 32 * 2 ** 20
      let received = 0
      let done = (): void => {}
      const finished = new Promise<void>(resolve => { done = resolve })
      await b.handle('/test/sink/1.0.0', stream => {
        stream.addEventListener('message', event => {
          received += event.data.byteLength
          if (received >= total) done()
        })
      })
      const stream = await a.dialProtocol(b.peerId, '/test/sink/1.0.0')
      // a 1 ms timer, counted only while the data moves
      let ticks = 0
      const timer = setInterval(() => { if (received > 0 && received < total) ticks++ }, 1)
      try {
        const chunk = new Uint8Array(64 * 1024)
        for (let sent = 0; sent < total; sent += chunk.byteLength) {
          if (!stream.send(chunk)) await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
        }
        await finished
      } finally {
        clearInterval(timer)
      }
      assert.equal(received, total)
      // @libp2p/memory alone moves all of it in microtasks: no timer fires until the end
      assert.ok(ticks > 0, `a 1 ms timer fired ${ticks} times while 32 MiB moved`)
      await stream.close()
    } finally {
      await net.stop()
    }
  })
})
