import assert from 'node:assert/strict'
import { ManualClock, seededRng } from '@hearsay/sansio'
import { FloodRouter, type FloodCoreFrame } from '../dist/search/flood-core.js'
import { matches } from '../dist/search/keywords.js'
import type { WireEntry } from '../dist/search/wire.js'

interface Node {
  key: string
  router: FloodRouter
  files: WireEntry[]
  delivered: Array<{ id: string, peer: string, entries: WireEntry[], from: string }>
  reports: Array<{ peer: string, infraction: string }>
}

/** N routers on an undirected graph; frames are queued and delivered by `settle()`. */
function network (n: number, edges: Array<[number, number]>, options: { ttl?: number, maxTtl?: number, routeTtlMs?: number } = {}) {
  const clock = new ManualClock(1_000)
  const rng = seededRng(1)
  const queue: Array<{ from: string, to: string, frame: FloodCoreFrame }> = []
  const sent: Array<{ from: string, to: string, frame: FloodCoreFrame }> = []
  const nodes: Node[] = []
  for (let i = 0; i < n; i++) {
    const node: Node = { key: `p${i}`, files: [], delivered: [], reports: [], router: undefined as unknown as FloodRouter }
    node.router = new FloodRouter({
      self: node.key,
      clock,
      rng: rng.fork(),
      options,
      match: (words, limit) => node.files.filter(f => matches(f.name, words)).slice(0, limit),
      effects: {
        send: (to, frame) => { queue.push({ from: node.key, to, frame }); sent.push({ from: node.key, to, frame }) },
        deliver: (hit, from) => { node.delivered.push({ ...hit, from }) },
        report: (peer, infraction) => { node.reports.push({ peer, infraction }) }
      }
    })
    nodes.push(node)
  }
  for (const [a, b] of edges) {
    nodes[a].router.addPeer(nodes[b].key)
    nodes[b].router.addPeer(nodes[a].key)
  }
  const byKey = new Map(nodes.map(node => [node.key, node]))
  const settle = (): void => {
    while (queue.length > 0) {
      const { from, to, frame } = queue.shift()!
      byKey.get(to)?.router.receive(from, frame)
    }
  }
  return { nodes, clock, sent, settle, queue }
}

const line = (n: number): Array<[number, number]> => Array.from({ length: n - 1 }, (_, i) => [i, i + 1])
const file = (id: string, name: string): WireEntry => ({ id, name, size: 100 })

describe('flood search router (sans-IO)', () => {
  it('reaches exactly ttl hops along a line, and hits come back along the reverse path', () => {
    const net = network(10, line(10))
    for (let i = 1; i < 10; i++) net.nodes[i].files.push(file(`f${i}`, `Ubuntu Server copy ${i}`))
    const id = net.nodes[0].router.query(['server'], 4)
    net.settle()
    const found = net.nodes[0].delivered.map(d => d.peer).sort()
    assert.deepEqual(found, ['p1', 'p2', 'p3', 'p4'])
    // every hit arrived through p1, the only neighbour of p0
    assert.ok(net.nodes[0].delivered.every(d => d.from === 'p1' && d.id === id))
    // p4's hit went p4 → p3 → p2 → p1 → p0
    const hops = net.sent.filter(s => s.frame.type === 'hit' && s.frame.peer === 'p4').map(s => `${s.from}>${s.to}`)
    assert.deepEqual(hops, ['p4>p3', 'p3>p2', 'p2>p1', 'p1>p0'])
    // queries carry ttl + hops = the original ttl
    for (const s of net.sent) {
      if (s.frame.type === 'query') assert.equal(s.frame.ttl + s.frame.hops, 4)
    }
    assert.ok(!net.sent.some(s => s.frame.type === 'query' && s.to === 'p5'), 'no query beyond ttl')
  })

  it('forwards each query once per node (dedupe by id), never back to the sender', () => {
    // a ring of 6 plus chords: many duplicate paths
    const edges: Array<[number, number]> = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0], [0, 3], [1, 4], [2, 5]]
    const net = network(6, edges)
    net.nodes[3].files.push(file('x', 'Server'))
    net.nodes[0].router.query(['server'], 7)
    net.settle()
    for (const node of net.nodes.slice(1)) {
      const forwardedBy = net.sent.filter(s => s.from === node.key && s.frame.type === 'query')
      const degree = edges.filter(([a, b]) => net.nodes[a].key === node.key || net.nodes[b].key === node.key).length
      assert.ok(forwardedBy.length <= degree - 1, `${node.key} forwarded ${forwardedBy.length} times`)
      assert.equal(node.router.stats().queriesSeen, 1)
    }
    assert.equal(net.nodes[0].delivered.length, 1, 'one hit from the one node that has the file')
    assert.equal(net.nodes[0].delivered[0].peer, 'p3')
  })

  it('cuts an over-large ttl to the maximum and refuses queries with too many hops', () => {
    const net = network(3, line(3), { maxTtl: 5 })
    net.nodes[1].router.receive('p0', { type: 'query', id: 'aa'.repeat(16), words: ['x1'], ttl: 200, hops: 1 })
    const forwarded = net.queue.find(s => s.from === 'p1' && s.frame.type === 'query')
    assert.ok(forwarded?.frame.type === 'query')
    assert.equal(forwarded.frame.ttl + forwarded.frame.hops, 5)
    net.nodes[1].router.receive('p0', { type: 'query', id: 'bb'.repeat(16), words: ['x1'], ttl: 1, hops: 9 })
    assert.deepEqual(net.nodes[1].reports, [{ peer: 'p0', infraction: 'invalid-message' }])
  })

  it('drops hits for unknown queries quietly, and reports hits from peers never asked', () => {
    const net = network(4, [[0, 1], [1, 2], [0, 3]])
    const hit: FloodCoreFrame = { type: 'hit', id: 'cc'.repeat(16), peer: 'p2', entries: [file('f', 'name')] }
    net.nodes[1].router.receive('p2', hit)
    assert.deepEqual(net.nodes[1].reports, [])
    assert.equal(net.queue.length, 0)
    // p0 asks; p1 forwards to p2. A hit arriving at p0 from p3 on p1's query would be spoofed
    const id = net.nodes[0].router.query(['name'], 2)
    net.settle()
    net.nodes[1].router.receive('p2', { ...hit, id })
    net.nodes[1].router.receive('p3', { ...hit, id })
    assert.deepEqual(net.nodes[1].reports, [{ peer: 'p3', infraction: 'unrequested-data' }])
  })

  it('stops delivering after end(), forgets routes after their ttl, and bounds the route table', () => {
    const net = network(3, line(3), { routeTtlMs: 5_000 })
    net.nodes[2].files.push(file('f', 'late answer'))
    const id = net.nodes[0].router.query(['late'], 3)
    net.nodes[0].router.end(id)
    net.settle()
    assert.equal(net.nodes[0].delivered.length, 0)
    // after the route expires, the same id is new again
    net.clock.advance(5_001)
    net.nodes[1].router.receive('p0', { type: 'query', id, words: ['late'], ttl: 2, hops: 0 })
    assert.equal(net.nodes[1].router.stats().queriesSeen, 2)

    const big = network(2, line(2), { routeTtlMs: 60_000, maxRoutes: 100 } as any)
    for (let i = 0; i < 1000; i++) {
      big.nodes[1].router.receive('p0', { type: 'query', id: i.toString(16).padStart(32, '0'), words: ['zz'], ttl: 1, hops: 0 })
    }
    assert.ok(big.nodes[1].router.routes <= 100)
  })

  it('caps the hits routed per query', () => {
    const net = network(2, line(2), { maxHitsPerQuery: 3 } as any)
    const id = net.nodes[0].router.query(['aa'], 1)
    net.queue.length = 0
    for (let i = 0; i < 10; i++) net.nodes[0].router.receive('p1', { type: 'hit', id, peer: `q${i}`, entries: [file(`f${i}`, 'aa')] })
    assert.equal(net.nodes[0].delivered.length, 3)
  })

  it('a wide random network: every node holding the word answers within ttl', () => {
    const rng = seededRng(9)
    const n = 60
    const edges: Array<[number, number]> = line(n)
    for (let i = 0; i < 60; i++) {
      const a = rng.int(n)
      const b = rng.int(n)
      if (a !== b) edges.push([a, b])
    }
    const net = network(n, edges, { ttl: 16 })
    const holders = [7, 23, 41, 59]
    for (const h of holders) net.nodes[h].files.push(file(`id${h}`, `Debian netinst ${h}`))
    net.nodes[0].router.query(['netinst', 'debian'])
    net.settle()
    assert.deepEqual(net.nodes[0].delivered.map(d => d.peer).sort(), holders.map(h => `p${h}`).sort())
  })
})
