import assert from 'node:assert/strict'
import { seededRng } from '@hearsay/sansio'
import { createHost, type Host, type HostOptions } from '@hearsay/host'
import { topologyEdges } from '@hearsay/host/testnet'
import { announce, dandelion, diffusion, flood, gnutella, gossipsub, GOSSIP_PROTOCOL, type ReceivedMessage, type Strategy } from '@hearsay/gossip'
import { MEETS_ONLY_ITS_LINKS, onLoopback } from './helpers/loopback.ts'
import { waitFor } from './helpers/wait.ts'

const text = (data: Uint8Array): string => new TextDecoder().decode(data)

describe('gossip on real hosts', function () {
  this.timeout(120_000)
  const hosts: Host[] = []
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
  })

  async function network (n: number, subnet: number, edges: Array<[number, number]>, options: Partial<HostOptions> = {}): Promise<Host[]> {
    const nodes = await Promise.all(Array.from({ length: n }, async (_, i) => await createHost({ ...onLoopback(subnet, i + 1), ...options })))
    hosts.push(...nodes)
    await Promise.all(edges.map(async ([a, b]) => { await nodes[a].dial(nodes[b].getMultiaddrs()) }))
    return nodes
  }

  it('every strategy delivers 50 messages from random publishers to all 20 subscribers, each topic with its own strategy on the same hosts', async () => {
    const n = 20
    // a connected random graph, each host with at least 3 neighbours
    const edges = topologyEdges({ random: 3 }, n, seededRng(42))
    const nodes = await network(n, 40, edges)
    const strategies: Record<string, Strategy> = {
      flood: flood(),
      gnutella: gnutella({ ttl: 20 }),
      diffusion: diffusion({ meanDelayMs: 20 }),
      dandelion: dandelion({ embargoMs: 1000, fluff: diffusion({ meanDelayMs: 20 }) }),
      announce: announce(),
      gossipsub: gossipsub()
    }
    const topics = Object.keys(strategies)
    const received = nodes.map(() => new Map<string, Set<string>>(topics.map(t => [t, new Set()])))
    nodes.forEach((node, i) => {
      node.services.gossip.addEventListener('message', event => {
        received[i].get(event.detail.topic)?.add(text(event.detail.data))
      })
      for (const topic of topics) node.services.gossip.subscribe(topic, { strategy: strategies[topic] })
    })
    const degree = (i: number): number => edges.filter(([a, b]) => a === i || b === i).length
    await waitFor(() => nodes.every((node, i) => topics.every(t => node.services.gossip.getSubscribers(t).length >= degree(i))),
      { what: 'every host sees its neighbours subscribed to every topic', timeoutMs: 20_000 })
    // gossipsub forms its mesh on its heartbeat (1 s)
    await new Promise(resolve => setTimeout(resolve, 1500))

    const rng = seededRng(7)
    const publishers = new Map<string, number>()
    for (const topic of topics) {
      for (let m = 0; m < 50; m++) {
        const publisher = rng.int(n)
        const payload = `${topic}-${m}`
        publishers.set(payload, publisher)
        await nodes[publisher].services.gossip.publish(topic, new TextEncoder().encode(payload))
      }
    }
    const missing = (): string[] => {
      const out: string[] = []
      for (const topic of topics) {
        for (let m = 0; m < 50; m++) {
          const payload = `${topic}-${m}`
          nodes.forEach((_, i) => { if (publishers.get(payload) !== i && received[i].get(topic)?.has(payload) !== true) out.push(`${payload}@${i}`) })
        }
      }
      return out
    }
    await waitFor(() => missing().length === 0, { what: 'full delivery', timeoutMs: 60_000 }).catch(err => {
      throw new Error(`${err.message}; missing ${missing().length}: ${missing().slice(0, 10).join(', ')}`)
    })
    for (const topic of topics) {
      const stats = nodes.map(node => node.services.gossip.stats(topic))
      assert.ok(stats.every(s => s?.strategy === topic))
      const delivered = stats.reduce((sum, s) => sum + (s?.delivered ?? 0), 0)
      assert.equal(delivered, 50 * n - 50, `${topic}: each message delivered once to every host but its publisher`)
    }
  })

  it('bans a peer whose messages the validator rejects, and honest delivery goes on', async () => {
    // a line 0 - 1 - 2 - 3, with the attacker 3 at the end and also dialling 0
    const nodes = await network(4, 41, [[0, 1], [1, 2], [2, 3], [3, 0]], MEETS_ONLY_ITS_LINKS)
    const validate = (message: ReceivedMessage): 'accept' | 'reject' => text(message.data).startsWith('bad') ? 'reject' : 'accept'
    const got = nodes.map(() => [] as string[])
    nodes.forEach((node, i) => {
      node.services.gossip.subscribe('v', { strategy: flood(), validate })
      node.services.gossip.addEventListener('message', event => { got[i].push(text(event.detail.data)) })
    })
    await waitFor(() => nodes.every(node => node.services.gossip.getSubscribers('v').length === 2), { what: 'subscriptions' })
    const attacker = nodes[3]
    // invalid-message weighs 20: the fifth rejection reaches the threshold of 100
    for (let i = 0; i < 6; i++) await attacker.services.gossip.publish('v', new TextEncoder().encode(`bad ${i}`))
    await waitFor(() => nodes[0].services.scoring.isBanned(attacker.peerId) && nodes[2].services.scoring.isBanned(attacker.peerId),
      { what: 'attacker banned by both its neighbours' })
    await waitFor(() => attacker.getConnections().length === 0, { what: 'attacker disconnected' })
    assert.deepEqual(got.slice(0, 3).map(g => g.filter(m => m.startsWith('bad'))), [[], [], []], 'no invalid message delivered')
    await nodes[0].services.gossip.publish('v', new TextEncoder().encode('honest'))
    await waitFor(() => got[1].includes('honest') && got[2].includes('honest'), { what: 'honest delivery after the ban' })
  })

  it('resets a stream announcing an oversized frame without buffering it, reports the sender and keeps serving', async () => {
    const [target, honest] = await network(2, 42, [[1, 0]])
    const attacker = await createHost(onLoopback(42, 3))
    hosts.push(attacker)
    target.services.gossip.subscribe('t', { strategy: flood() })
    honest.services.gossip.subscribe('t', { strategy: flood() })
    const stream = await attacker.dialProtocol(target.getMultiaddrs(), GOSSIP_PROTOCOL)
    // a varint length prefix of 2^31 bytes, then a little data: the frame is never buffered
    stream.send(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x08, 1, 2, 3]))
    await waitFor(() => stream.status !== 'open', { what: 'the target reset the stream' })
    // oversized-frame weighs 50 points (decaying from the moment it is reported)
    await waitFor(() => target.services.scoring.score(attacker.peerId) > 40, { what: 'attacker reported for an oversized frame' })
    // still serving: a ping and a message from an honest peer
    await target.services.ping.ping(honest.peerId)
    await waitFor(() => target.services.gossip.getSubscribers('t').length === 1, { what: 'honest subscription' })
    const delivered = new Promise<string>(resolve => {
      target.services.gossip.addEventListener('message', event => { resolve(text(event.detail.data)) }, { once: true })
    })
    await honest.services.gossip.publish('t', new TextEncoder().encode('still here'))
    assert.equal(await delivered, 'still here')
  })

  it('announce: the tree forms over the wire — the first message is announced and its requests graft the tree, later messages come about once per host', async () => {
    const n = 12
    const edges = topologyEdges({ random: 3 }, n, seededRng(47))
    const nodes = await network(n, 47, edges)
    // every infraction reported, and which package reported it (from the reporting call's stack)
    const reports: Array<{ source: string, text: string }> = []
    for (const [i, node] of nodes.entries()) {
      const scoring = node.services.scoring
      const report = scoring.report.bind(scoring)
      scoring.report = (peer, infraction, detail) => {
        const source = /packages\/([\w-]+)\/(?:dist|src)\//.exec(new Error().stack?.split('\n').slice(2).join('\n') ?? '')?.[1] ?? 'unknown'
        reports.push({ source, text: `host ${i} reported host ${nodes.findIndex(other => other.peerId.equals(peer))}: ${infraction} (${detail ?? ''}), from ${source}` })
        report(peer, infraction, detail)
      }
    }
    for (const node of nodes) node.services.gossip.subscribe('t', { strategy: announce() })
    const degree = (i: number): number => edges.filter(([a, b]) => a === i || b === i).length
    await waitFor(() => nodes.every((node, i) => node.services.gossip.getSubscribers('t').length >= degree(i)), { what: 'subscriptions' })
    const delivered = (): number => nodes.reduce((sum, node) => sum + (node.services.gossip.stats('t')?.delivered ?? 0), 0)
    const received = (): number => nodes.reduce((sum, node) => sum + (node.services.gossip.stats('t')?.received ?? 0), 0)
    const messages = 30
    let firstCopies = 0
    for (let m = 0; m < messages; m++) {
      await nodes[(m * 5) % n].services.gossip.publish('t', new TextEncoder().encode(`tree ${m}`))
      await waitFor(() => delivered() === (m + 1) * (n - 1), { what: `message ${m} delivered to every host` })
      // past batchMs: late announces, requests and prunes settle before the next message
      await new Promise(resolve => setTimeout(resolve, 60))
      if (m === 0) firstCopies = received()
    }
    // fetched about once by each host (a host whose request is slow may get a push from a link
    // grafted meanwhile too)
    assert.ok(firstCopies >= n - 1 && firstCopies <= 1.25 * (n - 1), `${firstCopies} copies of the first message`)
    const later = (received() - firstCopies) / ((messages - 1) * (n - 1))
    // exactly 1 where the tree's payloads always outrun the announces (30 ms behind them)
    assert.ok(later <= 1.25, `${later.toFixed(3)} copies per host and message after the first`)
    // no infraction but discovery's: among others, prunes name ids their receiver sent (the hosts
    // run every default service; discovery's report of an empty peer-exchange stream, seen twice
    // in CI here and not reproduced, is left to the discovery tests)
    assert.deepEqual(reports.filter(r => r.source !== 'discovery').map(r => r.text), [], reports.map(r => r.text).join('; '))
  })

  it('announce: a relay that announced a payload ahead and then rejects it answers notfound over the wire, so nobody waits for it and nobody is reported stalled', async () => {
    const [a, b, c] = await network(3, 45, [[0, 1], [1, 2]], MEETS_ONLY_ITS_LINKS)
    const strategy = announce({ tree: false, aheadMs: 0, requestTimeoutMs: 1000 })
    a.services.gossip.subscribe('t', { strategy })
    b.services.gossip.subscribe('t', { strategy, validate: () => 'reject' })
    c.services.gossip.subscribe('t', { strategy })
    await waitFor(() => b.services.gossip.getSubscribers('t').length === 2 && c.services.gossip.getSubscribers('t').length === 1, { what: 'subscriptions' })
    await a.services.gossip.publish('t', new TextEncoder().encode('b will reject this'))
    // b announced it to c before it had the payload, and c asked b for it
    await waitFor(() => (c.services.gossip.stats('t')?.requestedOut ?? 0) === 1 && (b.services.gossip.stats('t')?.rejected ?? 0) === 1, { what: 'c requested, b rejected' })
    // past c's request timeout: a stall would have been reported by now
    await new Promise(resolve => setTimeout(resolve, 1500))
    assert.equal(c.services.scoring.score(b.peerId), 0, 'b answered notfound instead of stalling')
    assert.equal(c.services.gossip.stats('t')?.received, 0)
    assert.ok(b.services.scoring.score(a.peerId) > 0, 'a reported by b for the invalid message')
  })

  it('dandelion: a stem whose sender is the only stem relay goes on, and one published before any peer goes when one comes: no embargo fires', async () => {
    // n1 dials n0 and n2 dials n1: n0 has no outbound peer, so it stems to n1; n1's only
    // outbound peer, its only relay, is n0; n2's only peer is n1. No node ever fluffs by chance
    // (q = 0) and the embargo is a minute: delivery within 20 s means every stem went on.
    const nodes = await network(3, 44, [[1, 0], [2, 1]], MEETS_ONLY_ITS_LINKS)
    const strategy = dandelion({ fluffProbability: 0, embargoMs: 60_000, fluff: diffusion({ meanDelayMs: 20 }) })
    const received = nodes.map(() => new Set<string>())
    nodes.forEach((node, i) => {
      node.services.gossip.addEventListener('message', event => { received[i].add(text(event.detail.data)) })
    })
    // n0 publishes before anyone else subscribed: its message waits for a peer, not for its embargo
    nodes[0].services.gossip.subscribe('stems', { strategy })
    await nodes[0].services.gossip.publish('stems', new TextEncoder().encode('early'))
    for (const node of nodes.slice(1)) node.services.gossip.subscribe('stems', { strategy })
    await waitFor(() => nodes.every((node, i) => node.services.gossip.getSubscribers('stems').length === (i === 1 ? 2 : 1)),
      { what: 'subscriptions' })
    await nodes[0].services.gossip.publish('stems', new TextEncoder().encode('along'))
    await waitFor(() => received[1].size === 2 && received[2].size === 2, { what: 'both messages at n1 and n2', timeoutMs: 20_000 })
    assert.deepEqual(nodes.map(node => node.services.gossip.stats('stems')?.embargoes), [0, 0, 0])
  })

  it('opens no stream while a host has no topic, and hosts that subscribe later, one after the other, learn each other\'s topics (hearsay and gossipsub)', async () => {
    // a line a - b - c, without discovery (the DHT may still connect a and c)
    const [a, b, c] = await Promise.all([1, 2, 3].map(async i => await createHost({ ...onLoopback(46, i), discovery: false })))
    hosts.push(a, b, c)
    await a.dial(b.getMultiaddrs())
    await b.dial(c.getMultiaddrs())
    const streams = (host: Host, protocol: string, direction?: 'inbound' | 'outbound'): number =>
      host.getConnections().flatMap(conn => conn.streams).filter(s => s.protocol?.startsWith(protocol) === true && (direction == null || s.direction === direction)).length
    const ours = (host: Host): number => streams(host, GOSSIP_PROTOCOL) + streams(host, '/meshsub/')
    // identify has run both ways on both connections (the gossip topology is told of peers by it)
    await waitFor(() => [a, b, c].every(h => h.getConnections().every(conn => h.getProtocols().length > 0 && conn.status === 'open')) &&
      b.getConnections().length === 2, { what: 'connections' })
    await new Promise(resolve => setTimeout(resolve, 1000))
    assert.deepEqual([a, b, c].map(ours), [0, 0, 0], 'no gossip or gossipsub stream between hosts without topics')

    const got = new Map<string, string[]>()
    for (const [name, host] of [['a', a], ['c', c]] as const) {
      host.services.gossip.addEventListener('message', event => { got.set(`${name} ${event.detail.topic}`, [...got.get(`${name} ${event.detail.topic}`) ?? [], text(event.detail.data)]) })
    }
    // a subscribes: it tells b (a stream a -> b), b has nothing to tell and opens none
    a.services.gossip.subscribe('late', { strategy: flood() })
    a.services.gossip.subscribe('late-sub', { strategy: gossipsub() })
    await waitFor(() => b.services.gossip.getSubscribers('late').length === 1, { what: 'b learns a\'s topic' })
    await new Promise(resolve => setTimeout(resolve, 500))
    for (const [name, host] of [['b', b], ['c', c]] as const) {
      assert.equal(streams(host, GOSSIP_PROTOCOL, 'outbound'), 0, `${name}, without topics, opens no gossip stream`)
      assert.equal(streams(host, '/meshsub/'), 0, `${name}, not using gossipsub, keeps no gossipsub stream (it refuses a's)`)
    }

    // b and then c subscribe: every pair of neighbours learns the other's topics, both ways
    // b's validator on the gossipsub topic: given before b's gossipsub existed, it must still run
    const validatedAtB: string[] = []
    b.services.gossip.subscribe('late', { strategy: flood() })
    b.services.gossip.subscribe('late-sub', { strategy: gossipsub(), validate: message => { validatedAtB.push(text(message.data)); return 'accept' } })
    c.services.gossip.subscribe('late', { strategy: flood() })
    c.services.gossip.subscribe('late-sub', { strategy: gossipsub() })
    const neighbours = (host: Host): number => new Set(host.getConnections().map(conn => conn.remotePeer.toString())).size
    await waitFor(() => ['late', 'late-sub'].every(topic => [a, b, c].every(h => h.services.gossip.getSubscribers(topic).length === neighbours(h))) &&
      neighbours(b) === 2,
    { what: 'every host sees its neighbours subscribed to both topics', timeoutMs: 20_000 }).catch(err => {
      throw new Error(`${err.message}: ${JSON.stringify([a, b, c].map(h => [neighbours(h), h.services.gossip.getSubscribers('late').length, h.services.gossip.getSubscribers('late-sub').length, h.getConnections().flatMap(conn => conn.streams.map(s => `${s.protocol} ${s.direction}`))]))}`)
    })
    // gossipsub forms its mesh on its heartbeat (1 s)
    await new Promise(resolve => setTimeout(resolve, 1500))
    for (const topic of ['late', 'late-sub']) {
      await a.services.gossip.publish(topic, new TextEncoder().encode(`from a on ${topic}`))
      await c.services.gossip.publish(topic, new TextEncoder().encode(`from c on ${topic}`))
    }
    await waitFor(() => ['late', 'late-sub'].every(topic => got.get(`a ${topic}`)?.length === 1 && got.get(`c ${topic}`)?.length === 1),
      { what: 'a and c each get the other\'s message on both topics, through b' })
    assert.deepEqual(got.get('c late-sub'), ['from a on late-sub'])
    assert.deepEqual(got.get('a late'), ['from c on late'])
    assert.deepEqual(validatedAtB.sort(), ['from a on late-sub', 'from c on late-sub'])
  })

  it('keeps gossiping over a second connection when the one carrying its stream closes', async () => {
    const [a, b] = await network(2, 43, [[0, 1]])
    await a.dial(b.getMultiaddrs(), { force: true })
    await waitFor(() => a.getConnections(b.peerId).length === 2, { what: 'two connections' })
    for (const node of [a, b]) node.services.gossip.subscribe('twice', { strategy: flood() })
    await waitFor(() => a.services.gossip.getSubscribers('twice').length === 1 && b.services.gossip.getSubscribers('twice').length === 1,
      { what: 'subscriptions' })
    // close the connection that carries a's gossip stream to b
    const carrying = a.getConnections(b.peerId).find(c => c.streams.some(st => st.protocol === GOSSIP_PROTOCOL && st.direction === 'outbound'))
    assert.ok(carrying != null, 'a gossip stream on one of the connections')
    await carrying.close()
    assert.equal(a.getConnections(b.peerId).length, 1)
    const got = new Promise<string>(resolve => {
      b.services.gossip.addEventListener('message', event => { resolve(text(event.detail.data)) }, { once: true })
    })
    await waitFor(() => a.services.gossip.getSubscribers('twice').length === 1, { what: 'b still a subscriber' })
    await a.services.gossip.publish('twice', new TextEncoder().encode('still through'))
    assert.equal(await got, 'still through')
  })
})
