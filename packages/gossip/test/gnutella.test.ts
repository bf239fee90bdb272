import assert from 'node:assert/strict'
import { gnutella } from '@hearsay/gossip/strategies'
import { createHarness, line, randomGraph, star } from './harness.ts'

describe('gnutella()', () => {
  it('reaches exactly ttl hops along a line', () => {
    for (const ttl of [1, 3, 7]) {
      const h = createHarness({ spec: gnutella({ ttl }), nodes: 12, edges: line(12) })
      h.publish(0, `ttl ${ttl}`)
      h.settle()
      const reached = h.nodes.filter(n => n.delivered.length === 1).map(n => Number(n.key.slice(1)))
      assert.deepEqual(reached, Array.from({ length: ttl }, (_, i) => i + 1), `ttl ${ttl}`)
    }
  })

  it('carries ttl and hops so that ttl + hops stays the original ttl', () => {
    const h = createHarness({ spec: gnutella({ ttl: 5 }), nodes: 8, edges: line(8) })
    h.publish(0, 'hops')
    h.settle()
    const frames = h.sent.map(s => s.frame)
    assert.equal(frames.length, 5)
    frames.forEach((frame, i) => {
      assert.equal(frame.type, 'message')
      if (frame.type !== 'message') return
      assert.equal(frame.hops, i)
      assert.equal(frame.ttl, 5 - i)
    })
  })

  it('forwards to fanout random peers, never back to the sender', () => {
    const h = createHarness({ spec: gnutella({ ttl: 2, fanout: 3 }), nodes: 11, edges: star(11), seed: 9 })
    h.publish(0, 'fan')
    h.settle()
    const fromHub = h.sent.filter(s => s.from === 'n0')
    assert.equal(fromHub.length, 3)
    assert.equal(new Set(fromHub.map(s => s.to)).size, 3)
    // leaves have only the hub, which sent it: nothing goes back
    assert.equal(h.sent.length, 3)
  })

  it('cuts a hostile ttl so a message goes no further than maxTtl hops from its source', () => {
    const h = createHarness({ spec: gnutella({ ttl: 2, maxTtl: 4 }), nodes: 10, edges: line(10) })
    const message = { id: 'ab'.repeat(32), topic: 't', data: new Uint8Array([1]) }
    // n1 claims the message is at hop 1 with ttl 1000
    h.nodes[2].router.receive('n1', { type: 'message', message, ttl: 1000, hops: 1 })
    h.settle()
    const reached = h.nodes.filter(n => n.delivered.length === 1).map(n => Number(n.key.slice(1)))
    // ttl cut to 4 - 1 = 3 at n2: n2 delivers and forwards with 2 left, n3 with 1, n4 stops
    assert.deepEqual(reached, [2, 3, 4])
  })

  it('with small ttl covers less of a random graph than with a large one', () => {
    const edges = randomGraph(40, 10, 4)
    const coverage = (ttl: number): number => {
      const h = createHarness({ spec: gnutella({ ttl, fanout: 2 }), nodes: 40, edges, seed: 5 })
      h.publish(0, 'c')
      h.settle()
      return h.nodes.filter(n => n.delivered.length > 0).length
    }
    assert.ok(coverage(1) <= 2)
    assert.ok(coverage(2) < coverage(12), `${coverage(2)} < ${coverage(12)}`)
  })

  it('rejects bad options', () => {
    assert.throws(() => gnutella({ ttl: 0 }), RangeError)
    assert.throws(() => gnutella({ fanout: 0 }), RangeError)
    assert.throws(() => gnutella({ ttl: 8, maxTtl: 4 }), RangeError)
  })
})
