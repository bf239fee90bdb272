import assert from 'node:assert/strict'
import { flood } from '@hearsay/gossip/strategies'
import { complete, createHarness, line, randomGraph, star } from './harness.ts'

describe('flood()', () => {
  it('reaches every node of a line at the shortest-path time', () => {
    const h = createHarness({ spec: flood(), nodes: 6, edges: line(6), latencyMs: 10 })
    const message = h.publish(0, 'hello')
    h.settle()
    for (let i = 1; i < 6; i++) {
      assert.equal(h.nodes[i].delivered.length, 1)
      assert.equal(h.nodes[i].delivered[0].at, i * 10, `node ${i} at hop ${i}`)
      assert.equal(h.nodes[i].delivered[0].message.id, message.id)
    }
    assert.equal(h.nodes[0].delivered.length, 0, 'no delivery to the publisher')
  })

  it('sends to every peer but the sender', () => {
    const h = createHarness({ spec: flood(), nodes: 5, edges: star(5) })
    h.publish(1, 'x')
    h.settle()
    const fromHub = h.sent.filter(s => s.from === 'n0').map(s => s.to).sort()
    assert.deepEqual(fromHub, ['n2', 'n3', 'n4'])
    assert.equal(h.nodes.slice(1).filter(n => n.key !== 'n1').every(n => n.delivered.length === 1), true)
  })

  it('delivers once per node and counts the duplicates of a complete graph', () => {
    const n = 6
    const h = createHarness({ spec: flood(), nodes: n, edges: complete(n) })
    h.publish(0, 'dup')
    h.settle()
    for (const node of h.nodes.slice(1)) assert.equal(node.delivered.length, 1)
    // every node sends to n-2 peers (n-1 for the publisher): (n-1) + (n-1)(n-2) copies
    assert.equal(h.sent.length, (n - 1) + (n - 1) * (n - 2))
    const stats = h.nodes.map(node => node.router.stats())
    const duplicates = stats.reduce((sum, s) => sum + s.duplicates, 0)
    assert.equal(duplicates, h.sent.length - (n - 1))
  })

  it('delivers 50 messages from random publishers to every node of a random graph', () => {
    const h = createHarness({ spec: flood(), nodes: 30, edges: randomGraph(30, 20, 7), seed: 3 })
    for (let m = 0; m < 50; m++) h.publish((m * 7) % 30, `m${m}`)
    h.settle()
    for (const node of h.nodes) {
      const own = Array.from({ length: 50 }, (_, m) => m).filter(m => (m * 7) % 30 === Number(node.key.slice(1))).length
      assert.equal(node.delivered.length, 50 - own)
    }
  })
})
