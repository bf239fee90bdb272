import assert from 'node:assert/strict'
import { seededRng } from '@hearsay/sansio'
import { diffusion, type DiffusionOptions, type DiffusionTimer } from '@hearsay/gossip/strategies'
import type { Direction, GossipFrame, GossipStrategy, PeerKey } from '@hearsay/interface'
import { createHarness, messageOf, randomGraph, star } from './harness.ts'

/** One diffusion core driven by hand: a settable clock, timers fired when the test says. */
function alone (options: DiffusionOptions, peers: PeerKey[]): {
  strategy: GossipStrategy<DiffusionTimer>
  clock: { now: () => number, at: number }
  peers: Map<PeerKey, Direction>
  sent: Array<{ to: PeerKey, frame: GossipFrame }>
  timers: Array<{ at: number, timer: DiffusionTimer }>
  /** fire the earliest timer at its time */
  fire: () => boolean
} {
  const clock = { at: 0, now: () => clock.at }
  const map = new Map<PeerKey, Direction>()
  const sent: Array<{ to: PeerKey, frame: GossipFrame }> = []
  const timers: Array<{ at: number, timer: DiffusionTimer }> = []
  const strategy = diffusion(options).create({
    clock,
    rng: seededRng(5),
    peers: () => map,
    send: (to, frame) => { sent.push({ to, frame }) },
    schedule: (delayMs, timer) => { timers.push({ at: clock.at + delayMs, timer }) },
    has: () => false,
    fluff: () => {},
    report: () => {}
  })
  for (const peer of peers) {
    map.set(peer, 'outbound')
    strategy.addPeer(peer, 'outbound')
  }
  const fire = (): boolean => {
    timers.sort((a, b) => a.at - b.at)
    const next = timers.shift()
    if (next == null) return false
    clock.at = Math.max(clock.at, next.at)
    strategy.timer(next.timer)
    return true
  }
  return { strategy, clock, peers: map, sent, timers, fire }
}

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

  it("with Bitcoin Core's timers, every inbound peer gets a message at one shared tick, each outbound peer at its own", () => {
    // n0 dials n1..n50 (outbound), n51..n100 dial n0 (inbound); two messages published together
    const edges: Array<[number, number]> = []
    for (let i = 1; i <= 50; i++) edges.push([0, i])
    for (let i = 51; i <= 100; i++) edges.push([i, 0])
    const inboundTicks: number[] = []
    for (let seed = 1; seed <= 40; seed++) {
      const h = createHarness({ spec: diffusion({ meanDelayMs: { outbound: 100, inbound: 1000 }, timers: 'poisson' }), nodes: 101, edges, seed, latencyMs: 0 })
      h.publish(0, `a${seed}`)
      h.publish(0, `b${seed}`)
      h.settle()
      const from0 = h.sent.filter(s => s.from === 'n0')
      assert.equal(from0.length, 200, 'each message to each peer once')
      const atOf = (to: number): number[] => from0.filter(s => s.to === `n${to}`).map(s => s.at)
      // one tick per peer carries both messages
      for (let i = 1; i <= 100; i++) assert.equal(new Set(atOf(i)).size, 1, `n${i} got both messages at one tick`)
      const inbound = new Set(from0.filter(s => Number(s.to.slice(1)) > 50).map(s => s.at))
      assert.equal(inbound.size, 1, 'one tick for all inbound peers')
      inboundTicks.push([...inbound][0])
      const outbound = new Set(from0.filter(s => Number(s.to.slice(1)) <= 50).map(s => s.at))
      assert.ok(outbound.size > 40, `outbound peers tick on their own: ${outbound.size} distinct times`)
    }
    // the shared tick is exponential with the inbound mean: the sample mean of 40 is within ±50 %
    const mean = inboundTicks.reduce((a, b) => a + b, 0) / inboundTicks.length
    assert.ok(mean > 500 && mean < 1500, `mean inbound tick ${mean}`)
  })

  it("with Bitcoin Core's timers, a message that arrives after a tick waits for the next one", () => {
    const { strategy, clock, sent, fire } = alone({ meanDelayMs: 1000, timers: 'poisson' }, ['p1'])
    strategy.publish(messageOf('t', 'first'))
    while (fire()) continue
    const firstTick = clock.at
    assert.equal(sent.length, 1)
    // publish again at the very moment of the first tick: the passed tick is not reused
    strategy.publish(messageOf('t', 'second'))
    assert.equal(sent.length, 1, 'not sent at once')
    while (fire()) continue
    assert.equal(sent.length, 2)
    assert.ok(clock.at > firstTick, `second went at ${clock.at}, after the first tick ${firstTick}`)
  })

  it('rejects an unknown timers mode', () => {
    assert.throws(() => diffusion({ timers: 'sometimes' as any }), /timers/)
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

  it('keeps one timer per message, not one per peer', () => {
    const d = alone({ meanDelayMs: 1000 }, ['a', 'b', 'c', 'd'])
    d.strategy.publish(messageOf('t', 'one'))
    assert.equal(d.timers.length, 1)
    let fired = 0
    while (d.fire()) fired++
    assert.deepEqual(d.sent.map(s => s.to).sort(), ['a', 'b', 'c', 'd'])
    assert.ok(fired <= 4)
  })

  it('sends what a timer was set for even when the clock stepped back meanwhile', () => {
    const d = alone({ meanDelayMs: 1000 }, ['a', 'b'])
    d.strategy.publish(messageOf('t', 'step'))
    const [{ at, timer }] = d.timers.splice(0)
    d.clock.at = at - 5000 // e.g. NTP stepped the wall clock back
    d.strategy.timer(timer)
    assert.equal(d.sent.length, 1, 'the peer the timer was for is sent to at once')
    assert.equal(d.timers.length, 1, 'and the other waits for its own delay')
  })

  it('sends nothing meant for a removed peer to the peer that takes its place', () => {
    const d = alone({ meanDelayMs: 1000 }, ['a', 'b', 'c'])
    d.strategy.publish(messageOf('t', 'slots'))
    d.strategy.removePeer('b')
    d.peers.delete('b')
    d.peers.set('x', 'outbound')
    d.strategy.addPeer('x', 'outbound')
    while (d.fire());
    assert.deepEqual(d.sent.map(s => s.to).sort(), ['a', 'c'])
  })

  it('skips the peer a copy came from, and a duplicate from another peer', () => {
    const d = alone({ meanDelayMs: 1000 }, ['a', 'b', 'c'])
    const message = messageOf('t', 'dup')
    d.strategy.onMessage(message, 'a', {})
    d.strategy.onDuplicate?.(message.id, 'c', 'message')
    while (d.fire());
    assert.deepEqual(d.sent.map(s => s.to), ['b'])
  })

  it('sends the oldest message to everyone still waiting at once when maxQueued is reached', () => {
    const d = alone({ meanDelayMs: 1000, maxQueued: 1 }, ['a', 'b'])
    const first = messageOf('t', 'first')
    d.strategy.publish(first)
    d.strategy.publish(messageOf('t', 'second'))
    const firstSends = d.sent.filter(s => s.frame.type === 'message' && s.frame.message.id === first.id)
    assert.deepEqual(firstSends.map(s => s.to).sort(), ['a', 'b'])
    while (d.fire());
    assert.equal(d.sent.length, 4, 'each message once to each peer')
  })

  it('diffusing an id again replaces the earlier wait: each peer gets it once', () => {
    const d = alone({ meanDelayMs: 1000 }, ['a', 'b'])
    const message = messageOf('t', 'again')
    d.strategy.publish(message)
    d.strategy.publish(message)
    while (d.fire());
    assert.deepEqual(d.sent.map(s => s.to).sort(), ['a', 'b'])
  })
})
