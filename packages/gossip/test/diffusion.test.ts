import assert from 'node:assert/strict'
import { diffusion } from '@hearsay/gossip/strategies'
import { createHarness, randomGraph, star } from './harness.ts'

describe('diffusion()', () => {
  it('delays each peer independently with exponential delays of the configured mean', () => {
    // a star hub publishes to 200 leaves: each send is one sample of the delay
    const leaves = 200
    const runs = 10
    const delays: number[] = []
    for (let seed = 1; seed <= runs; seed++) {
      const h = createHarness({ spec: diffusion({ meanDelayMs: 1000 }), nodes: leaves + 1, edges: star(leaves + 1), seed, latencyMs: 0 })
      h.publish(0, `d${seed}`)
      h.settle()
      for (const s of h.sent) if (s.from === 'n0') delays.push(s.at)
    }
    assert.equal(delays.length, leaves * runs)
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length
    assert.ok(Math.abs(mean - 1000) < 60, `mean ${mean}`)
    // exponential: P(X > mean) = e^-1 ≈ 0.368, median = mean·ln 2
    const above = delays.filter(d => d > 1000).length / delays.length
    assert.ok(Math.abs(above - Math.exp(-1)) < 0.03, `P(X > mean) ${above}`)
    const sorted = [...delays].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]
    assert.ok(Math.abs(median - 1000 * Math.LN2) < 60, `median ${median}`)
  })

  it('uses the outbound and inbound means separately', () => {
    // n0 dials n1..n100 (outbound), n101..n200 dial n0 (inbound)
    const edges: Array<[number, number]> = []
    for (let i = 1; i <= 100; i++) edges.push([0, i])
    for (let i = 101; i <= 200; i++) edges.push([i, 0])
    const h = createHarness({ spec: diffusion({ meanDelayMs: { outbound: 100, inbound: 1000 } }), nodes: 201, edges, seed: 2, latencyMs: 0 })
    h.publish(0, 'dir')
    h.settle()
    const mean = (from: number, to: number): number => {
      const at = h.sent.filter(s => s.from === 'n0' && Number(s.to.slice(1)) >= from && Number(s.to.slice(1)) <= to).map(s => s.at)
      return at.reduce((a, b) => a + b, 0) / at.length
    }
    assert.ok(mean(1, 100) < 200, `outbound mean ${mean(1, 100)}`)
    assert.ok(mean(101, 200) > 600, `inbound mean ${mean(101, 200)}`)
  })

  it('sends at once with a mean of 0', () => {
    const h = createHarness({ spec: diffusion({ meanDelayMs: 0 }), nodes: 4, edges: star(4), latencyMs: 5 })
    h.publish(0, 'now')
    h.settle()
    assert.deepEqual(h.nodes.slice(1).map(n => n.delivered[0]?.at), [5, 5, 5])
  })

  it('skips a peer that sent the message while its delay ran', () => {
    // n1 and n2 are connected to each other and to n0; n0 publishes with a long delay to n2
    const h = createHarness({ spec: diffusion({ meanDelayMs: 500 }), nodes: 3, edges: [[0, 1], [0, 2], [1, 2]], seed: 11, latencyMs: 1 })
    h.publish(0, 'skip')
    h.settle()
    // each of the 3 nodes knows the message once; nobody is sent a copy by a peer it sent it to
    for (const node of h.nodes.slice(1)) assert.equal(node.delivered.length, 1)
    for (const s of h.sent) {
      const back = h.sent.find(o => o.from === s.to && o.to === s.from && o.at > s.at + 1)
      assert.equal(back, undefined, `${s.to} sent the message back to ${s.from} after receiving it from it`)
    }
  })

  it('delivers every message to every node of a random graph', () => {
    const h = createHarness({ spec: diffusion({ meanDelayMs: 50 }), nodes: 30, edges: randomGraph(30, 15, 8), seed: 4 })
    for (let m = 0; m < 20; m++) h.publish(m, `m${m}`)
    h.settle()
    h.nodes.forEach((node, i) => { assert.equal(node.delivered.length, i < 20 ? 19 : 20) })
  })
})
