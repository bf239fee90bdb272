import assert from 'node:assert/strict'
import { announce } from '@hearsay/gossip/strategies'
import type { AnnounceOptions } from '@hearsay/gossip/strategies'
import type { GossipFrame, GossipMessage } from '@hearsay/interface'
import { createHarness, line, messageOf, randomGraph } from './harness.ts'
import type { Harness, SentFrame } from './harness.ts'

const LATENCY = 10

type Of<T extends GossipFrame['type']> = SentFrame & { frame: Extract<GossipFrame, { type: T }> }

function framesOf<T extends GossipFrame['type']> (h: Harness, type: T, from?: string, to?: string): Array<Of<T>> {
  return h.sent.filter((s): s is Of<T> => s.frame.type === type && (from == null || s.from === from) && (to == null || s.to === to))
}

/** One real node, n0, whose peers are names only: frames to them are logged and go nowhere. Announces ahead at once. */
function lone (options: AnnounceOptions, peers: string[]): Harness {
  const h = createHarness({ spec: announce({ batchMs: 20, tree: false, aheadMs: 0, ...options }), nodes: 1, edges: [], latencyMs: LATENCY })
  for (const peer of peers) h.nodes[0].router.addPeer(peer, 'outbound')
  return h
}

/** n0 publishes to n1; n1 relays to n2 and n3, which are also connected. Announces ahead at once. */
function diamond (options: AnnounceOptions, drop: (s: SentFrame) => boolean): Harness {
  return createHarness({ spec: announce({ batchMs: 20, tree: false, aheadMs: 0, ...options }), nodes: 4, edges: [[0, 1], [1, 2], [1, 3], [2, 3]], latencyMs: LATENCY, drop })
}

/** n1 answers requests from n3 with nothing: its payloads to n3 are lost. */
const silentToN3 = (s: SentFrame): boolean => s.from === 'n1' && s.to === 'n3' && s.frame.type === 'message'

describe('announce()', () => {
  it('rejects bad options', () => {
    assert.throws(() => announce({ batchMs: -1 }), RangeError)
    assert.throws(() => announce({ maxBatch: 0 }), RangeError)
    assert.throws(() => announce({ requestTimeoutMs: 0 }), RangeError)
    assert.throws(() => announce({ maxInFlightPerPeer: 1.5 }), RangeError)
    assert.throws(() => announce({ maxAnnouncers: 0 }), RangeError)
    assert.throws(() => announce({ maxTracked: 0 }), RangeError)
    assert.throws(() => announce({ maxHeld: 0 }), RangeError)
    assert.throws(() => announce({ aheadMs: -1 }), RangeError)
    assert.throws(() => announce({ aheadMs: Infinity }), RangeError)
    assert.equal(announce().name, 'announce')
  })

  it('delivers every message on a 20-node random graph with exactly one payload copy per node (no tree)', () => {
    const n = 20
    const h = createHarness({ spec: announce({ tree: false, batchMs: 20 }), nodes: n, edges: randomGraph(n, 20, 3), latencyMs: LATENCY, seed: 3 })
    const messages: Array<{ message: GossipMessage, publisher: string }> = []
    for (let i = 0; i < 30; i++) {
      const publisher = (i * 7) % n
      messages.push({ message: h.publish(publisher, `large payload ${i}`), publisher: `n${publisher}` })
      // some messages share a batch window, some do not
      h.clock.advance(i % 3 === 0 ? 0 : 15)
    }
    h.settle()
    let copies = 0
    for (const { message, publisher } of messages) {
      for (const node of h.nodes) {
        const received = h.sent.filter(s => s.to === node.key && s.frame.type === 'message' && s.frame.message.id === message.id)
        const delivered = node.delivered.filter(d => d.message.id === message.id)
        if (node.key === publisher) {
          assert.equal(received.length, 0)
          assert.equal(delivered.length, 0)
        } else {
          assert.equal(received.length, 1, `${node.key} received one copy of ${message.id.slice(0, 8)}`)
          assert.equal(delivered.length, 1)
        }
        copies += received.length
      }
    }
    assert.equal(copies / (messages.length * (n - 1)), 1)
    for (const node of h.nodes) assert.deepEqual(node.reports, [])
    // nobody announces a message back to the peer it came from
    for (const node of h.nodes) {
      for (const { message, from } of node.delivered) {
        const back = framesOf(h, 'announce', node.key, from).filter(s => s.frame.ids.includes(message.id))
        assert.deepEqual(back, [])
      }
    }
    // requests carry many ids: fewer request frames than payloads
    assert.ok(framesOf(h, 'request').length < copies)
  })

  it('requests from another announcer after a silent one times out, and reports it stalled', () => {
    const h = diamond({}, silentToN3)
    const message = h.publish(0, 'big block')
    h.settle()
    const n3 = h.nodes[3]
    // n1 announced it ahead at 40, when it requested it from n0
    assert.deepEqual(framesOf(h, 'request', 'n3').map(s => [s.at, s.to, s.frame.ids]), [
      [60, 'n1', [message.id]],
      [60 + 2000, 'n2', [message.id]]
    ])
    assert.deepEqual(n3.delivered.map(d => [d.at, d.from]), [[2080, 'n2']])
    assert.deepEqual(n3.reports.map(r => [r.peer, r.infraction]), [['n1', 'stalled']])
    for (const node of h.nodes.slice(0, 3)) assert.deepEqual(node.reports, [])
  })

  it('re-requests at once from another announcer when the requested peer disconnects', () => {
    const h = diamond({}, silentToN3)
    const message = h.publish(0, 'big block')
    h.clock.advance(500)
    h.nodes[3].router.removePeer('n1')
    assert.deepEqual(framesOf(h, 'request', 'n3').map(s => [s.at, s.to, s.frame.ids]), [
      [60, 'n1', [message.id]],
      [500, 'n2', [message.id]]
    ])
    h.settle()
    assert.deepEqual(h.nodes[3].delivered.map(d => [d.at, d.from]), [[520, 'n2']])
    assert.deepEqual(h.nodes[3].reports, [], 'no stall: the timer of the dropped request is stale')
  })

  it('forgets an id whose only announcer stalled, so a later announce starts again', () => {
    const h = lone({ requestTimeoutMs: 1000 }, ['a'])
    const router = h.nodes[0].router
    const { id } = messageOf('t', 'never sent')
    router.receive('a', { type: 'announce', ids: [id] })
    h.clock.advance(1000)
    assert.deepEqual(h.nodes[0].reports.map(r => [r.peer, r.infraction]), [['a', 'stalled']])
    router.receive('a', { type: 'announce', ids: [id] })
    assert.deepEqual(framesOf(h, 'request', 'n0').map(s => [s.at, s.to, s.frame.ids]), [[0, 'a', [id]], [1000, 'a', [id]]])
  })

  it('batches ids published within batchMs into one announce frame per peer', () => {
    const h = createHarness({ spec: announce({ batchMs: 20, tree: false }), nodes: 2, edges: line(2), latencyMs: LATENCY })
    const ids: string[] = []
    for (const at of [0, 5, 10, 15, 19]) {
      h.clock.advance(at - h.clock.now())
      ids.push(h.publish(0, `batched ${at}`).id)
    }
    h.settle()
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.at, s.from, s.frame.ids]), [[20, 'n0', ids]])
    assert.deepEqual(framesOf(h, 'request').map(s => [s.at, s.from, s.frame.ids]), [[30, 'n1', ids]])
    assert.equal(h.nodes[1].delivered.length, 5)
  })

  it('sends a full queue at once: maxBatch ids per announce frame', () => {
    const h = createHarness({ spec: announce({ batchMs: 20, maxBatch: 3, tree: false }), nodes: 2, edges: line(2), latencyMs: LATENCY })
    const ids = Array.from({ length: 7 }, (_, i) => h.publish(0, `full ${i}`).id)
    h.settle()
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.at, s.frame.ids]), [
      [0, ids.slice(0, 3)], [0, ids.slice(3, 6)], [20, ids.slice(6)]
    ])
    assert.equal(h.nodes[1].delivered.length, 7)
  })

  it('keeps at most maxInFlightPerPeer requests outstanding to a peer and fetches the rest as slots free', () => {
    const h = createHarness({ spec: announce({ batchMs: 1, maxInFlightPerPeer: 3, tree: false }), nodes: 2, edges: line(2), latencyMs: LATENCY })
    for (let i = 0; i < 10; i++) h.publish(0, `in flight ${i}`)
    h.settle()
    const requests = framesOf(h, 'request', 'n1')
    const arrivals = framesOf(h, 'message', 'n0', 'n1').map(s => s.at + LATENCY)
    let requested = 0
    for (const request of requests) {
      requested += request.frame.ids.length
      const outstanding = requested - arrivals.filter(at => at <= request.at).length
      assert.ok(outstanding <= 3, `${outstanding} outstanding at ${request.at}`)
    }
    assert.equal(requests[0].frame.ids.length, 3)
    assert.equal(requested, 10)
    assert.equal(h.nodes[1].delivered.length, 10)
    assert.deepEqual(h.nodes[1].reports, [])
  })

  it('waits for a busy announcer rather than forget the id', () => {
    const h = lone({ maxInFlightPerPeer: 1 }, ['a'])
    const router = h.nodes[0].router
    const [m1, m2] = [messageOf('t', 'first'), messageOf('t', 'second')]
    router.receive('a', { type: 'announce', ids: [m1.id, m2.id] })
    assert.deepEqual(framesOf(h, 'request').map(s => s.frame.ids), [[m1.id]])
    h.clock.advance(5)
    router.receive('a', { type: 'message', message: m1 })
    assert.deepEqual(framesOf(h, 'request').map(s => [s.at, s.frame.ids]), [[0, [m1.id]], [5, [m2.id]]])
  })

  it('reports an oversized announce and handles only its first maxBatch ids', () => {
    const h = lone({ maxBatch: 5 }, ['a'])
    const ids = Array.from({ length: 8 }, (_, i) => messageOf('t', `id ${i}`).id)
    h.nodes[0].router.receive('a', { type: 'announce', ids })
    assert.deepEqual(h.nodes[0].reports.map(r => [r.peer, r.infraction]), [['a', 'oversized-frame']])
    assert.deepEqual(framesOf(h, 'request').map(s => s.frame.ids), [ids.slice(0, 5)])
  })

  it('tracks at most maxTracked ids and ignores announces of more', () => {
    // not announced ahead (aheadMs over the timeout), so b is not asked when a stalls
    const h = lone({ maxTracked: 3, requestTimeoutMs: 1000, aheadMs: 5000 }, ['a', 'b'])
    const ids = Array.from({ length: 5 }, (_, i) => messageOf('t', `tracked ${i}`).id)
    h.nodes[0].router.receive('a', { type: 'announce', ids })
    h.nodes[0].router.receive('b', { type: 'announce', ids: ids.slice(3) })
    assert.deepEqual(framesOf(h, 'request').map(s => [s.to, s.frame.ids]), [['a', ids.slice(0, 3)]])
    // once those are given up there is room again
    h.clock.advance(1000)
    h.nodes[0].router.receive('b', { type: 'announce', ids: ids.slice(3) })
    assert.deepEqual(framesOf(h, 'request').map(s => [s.to, s.frame.ids]), [['a', ids.slice(0, 3)], ['b', ids.slice(3)]])
  })

  it('does not announce an id to a peer that announced it to us meanwhile', () => {
    const h = lone({ batchMs: 20 }, ['a', 'b', 'c'])
    const message = messageOf('t', 'both have it')
    h.nodes[0].router.receive('c', { type: 'message', message })
    h.clock.advance(5)
    h.nodes[0].router.receive('a', { type: 'announce', ids: [message.id] })
    h.settle()
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.at, s.to, s.frame.ids]), [[20, 'b', [message.id]]])
    assert.deepEqual(framesOf(h, 'request'), [])
  })

  it('announces its own message even to a peer that announced it meanwhile: that peer can only be fetching it from a liar', () => {
    const h = lone({ batchMs: 20 }, ['a', 'b'])
    const message = h.publish(0, 'predictable')
    h.clock.advance(5)
    h.nodes[0].router.receive('a', { type: 'announce', ids: [message.id] })
    h.settle()
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.at, s.to, s.frame.ids]).sort(), [[20, 'a', [message.id]], [20, 'b', [message.id]]])
    assert.deepEqual(framesOf(h, 'request'), [])
  })

  it('accepts an unrequested payload without an infraction and announces it to the others', () => {
    const h = lone({}, ['a', 'b'])
    const message = messageOf('t', 'pushed')
    h.nodes[0].router.receive('a', { type: 'message', message })
    h.settle()
    assert.equal(h.nodes[0].delivered.length, 1)
    assert.deepEqual(h.nodes[0].reports, [])
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.to, s.frame.ids]), [['b', [message.id]]])
  })

  it('does not count a payload the validator rejected as a stall', () => {
    const h = lone({ requestTimeoutMs: 1000 }, ['a', 'b'])
    h.nodes[0].validator = () => 'reject'
    const message = messageOf('t', 'invalid')
    h.nodes[0].router.receive('a', { type: 'announce', ids: [message.id] })
    h.nodes[0].router.receive('b', { type: 'announce', ids: [message.id] })
    h.clock.advance(5)
    h.nodes[0].router.receive('a', { type: 'message', message })
    h.settle()
    assert.deepEqual(h.nodes[0].reports.map(r => [r.peer, r.infraction]), [['a', 'invalid-message']])
    assert.deepEqual(framesOf(h, 'request').map(s => s.to), ['a'], 'not fetched again from b')
  })

  it('announces at first (every link starts lazy); a request grafts its link, and payloads go over it from then on', () => {
    const h = createHarness({ spec: announce(), nodes: 1, edges: [], latencyMs: LATENCY })
    const router = h.nodes[0].router
    for (const peer of ['a', 'b', 'c']) router.addPeer(peer, 'outbound')
    const first = h.publish(0, 'first')
    h.settle()
    assert.deepEqual(framesOf(h, 'message'), [])
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.at, s.to, s.frame.ids]).sort(), ['a', 'b', 'c'].map(to => [30, to, [first.id]]), 'batchMs (30 ms) later')
    router.receive('a', { type: 'request', ids: [first.id] })
    // a request of no ids grafts and asks nothing
    router.receive('b', { type: 'request', ids: [] })
    assert.deepEqual(framesOf(h, 'message').map(s => [s.to, s.frame.message.id]), [['a', first.id]])
    const second = h.publish(0, 'second')
    h.settle()
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === second.id).map(s => s.to).sort(), ['a', 'b'])
    assert.deepEqual(framesOf(h, 'announce').filter(s => s.frame.ids.includes(second.id)).map(s => s.to), ['c'])
    assert.deepEqual(h.nodes[0].reports, [])
  })

  it('prunes a peer that pushes a payload it already has, and not the one that brought it first', () => {
    const h = lone({ tree: true }, ['a', 'b', 'c'])
    const router = h.nodes[0].router
    for (const peer of ['a', 'b', 'c']) router.receive(peer, { type: 'request', ids: [] })
    const message = messageOf('t', 'twice')
    router.receive('a', { type: 'message', message })
    router.receive('b', { type: 'message', message })
    h.settle()
    assert.deepEqual(framesOf(h, 'prune').map(s => [s.to, s.frame.ids]), [['b', [message.id]]])
    // pushed on at once to b and c, b's copy crossing it
    assert.deepEqual(framesOf(h, 'message').map(s => s.to), ['b', 'c'])
    // b's link is lazy now: the next payload is announced to b, pushed to a and c
    const next = h.publish(0, 'next')
    h.settle()
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === next.id).map(s => s.to).sort(), ['a', 'c'])
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.to, s.frame.ids]), [['b', [next.id]]])
  })

  it('announces to a peer that pruned it, and pushes to it again once it requests', () => {
    const h = lone({ tree: true }, ['a', 'b'])
    const router = h.nodes[0].router
    for (const peer of ['a', 'b']) router.receive(peer, { type: 'request', ids: [] })
    const first = h.publish(0, 'first')
    router.receive('a', { type: 'prune', ids: [first.id] })
    const second = h.publish(0, 'second')
    h.settle()
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === second.id).map(s => s.to), ['b'])
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.at, s.to, s.frame.ids]), [[20, 'a', [second.id]]], 'announced batchMs later')
    router.receive('a', { type: 'request', ids: [second.id] })
    assert.deepEqual(framesOf(h, 'message', 'n0', 'a').map(s => s.frame.message.id), [first.id, second.id], 'answered from the cache')
    const third = h.publish(0, 'third')
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === third.id).map(s => s.to).sort(), ['a', 'b'])
    assert.deepEqual(h.nodes[0].reports, [])
  })

  it('does not prune the peer it requested a payload from when the payload came another way first', () => {
    const h = lone({ tree: true, aheadMs: 20 }, ['a', 'b', 'c'])
    const router = h.nodes[0].router
    const message = messageOf('t', 'raced')
    router.receive('a', { type: 'announce', ids: [message.id] })
    assert.deepEqual(framesOf(h, 'request').map(s => s.to), ['a'])
    router.receive('b', { type: 'message', message })
    // a's answer to the request, after b's push
    router.receive('a', { type: 'message', message })
    h.settle()
    assert.deepEqual(framesOf(h, 'prune'), [])
    assert.deepEqual(framesOf(h, 'message'), [], 'c is lazy: announced')
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.to, s.frame.ids]), [['c', [message.id]]])
    const next = h.publish(0, 'next')
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === next.id).map(s => s.to).sort(), ['a', 'b'], 'the request grafted a, b pushed: both eager')
  })

  it('reports a prune of ids it never had and ignores it; a prune to a node without a tree is unexpected', () => {
    const h = lone({ tree: true }, ['liar', 'b'])
    const router = h.nodes[0].router
    for (const peer of ['liar', 'b']) router.receive(peer, { type: 'request', ids: [] })
    for (let i = 0; i < 100; i++) router.receive('liar', { type: 'prune', ids: [messageOf('t', `made up ${i}`).id] })
    const message = h.publish(0, 'still pushed')
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === message.id).map(s => s.to).sort(), ['b', 'liar'])
    assert.equal(h.nodes[0].reports.length, 100)
    assert.ok(h.nodes[0].reports.every(r => r.peer === 'liar' && r.infraction === 'unexpected-frame'))
    const flat = lone({ tree: false }, ['a'])
    flat.nodes[0].router.receive('a', { type: 'prune', ids: [message.id] })
    assert.deepEqual(flat.nodes[0].reports.map(r => [r.peer, r.infraction]), [['a', 'unexpected-frame']])
  })

  it('keeps one bit per peer, whatever a peer sends: grafts and prunes of a peer it does not have change nothing', () => {
    const h = lone({ tree: true }, ['a'])
    const router = h.nodes[0].router
    const mine = h.publish(0, 'mine')
    // frames from a peer not subscribed to the topic (the router hands them on all the same)
    router.receive('stranger', { type: 'request', ids: [] })
    router.receive('stranger', { type: 'message', message: messageOf('t', 'from a stranger') })
    router.receive('stranger', { type: 'prune', ids: [mine.id] })
    for (let i = 0; i < 50; i++) {
      router.receive('a', { type: 'request', ids: [] })
      router.receive('a', { type: 'prune', ids: [mine.id] })
    }
    const next = h.publish(0, 'next')
    h.settle()
    assert.ok(framesOf(h, 'message').every(s => s.to === 'a'), 'nothing pushed to the stranger')
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === next.id), [], 'a pruned last: announced')
    router.removePeer('a')
    router.addPeer('a', 'outbound')
    const third = h.publish(0, 'third')
    h.settle()
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === third.id), [], 'a link added again starts lazy')
  })

  it('reports an oversized prune and reads only its first maxBatch ids', () => {
    const h = lone({ tree: true, maxBatch: 2 }, ['a', 'b'])
    const router = h.nodes[0].router
    for (const peer of ['a', 'b']) router.receive(peer, { type: 'request', ids: [] })
    const mine = h.publish(0, 'mine')
    router.receive('a', { type: 'prune', ids: [messageOf('t', 'x').id, messageOf('t', 'y').id, mine.id] })
    assert.deepEqual(h.nodes[0].reports.map(r => [r.peer, r.infraction]), [['a', 'oversized-frame'], ['a', 'unexpected-frame']])
    const next = h.publish(0, 'next')
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === next.id).map(s => s.to).sort(), ['a', 'b'], 'still eager')
  })

  it('converges to a tree on a 30-node random graph: one payload copy per node, in fewer trips than announcing', () => {
    const n = 30
    const edges = randomGraph(n, 45, 7)
    const messages = 60
    const run = (tree: boolean, latencyMs: number): { copies: number[], latencies: number[] } => {
      const h = createHarness({ spec: announce({ tree }), nodes: n, edges, latencyMs, seed: 11 })
      const latencies: number[] = []
      const copies: number[] = []
      for (let i = 0; i < messages; i++) {
        const publishedAt = h.clock.now()
        const message = h.publish((i * 7) % n, `tree ${i}`)
        h.settle()
        copies.push(framesOf(h, 'message').filter(s => s.frame.message.id === message.id).length)
        for (const node of h.nodes) {
          for (const d of node.delivered) if (d.message.id === message.id) latencies.push(d.at - publishedAt)
        }
      }
      for (const node of h.nodes) assert.deepEqual(node.reports, [])
      assert.equal(latencies.length, messages * (n - 1), 'every message delivered to every other node')
      return { copies, latencies }
    }
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
    const late = (xs: number[]): number[] => xs.slice(40 * (n - 1))
    // links of 1 ms: the first message is announced and requested, each request grafting its
    // link; then the tree's payloads reach every node well within batchMs (30 ms), before any
    // announce: one copy per node and message from the first on
    const fast = run(true, 1)
    assert.deepEqual(fast.copies, Array(messages).fill(n - 1), `${fast.copies.join(' ')}`)
    assert.ok(late(fast.latencies).every(l => Number.isInteger(l) && l <= 12), 'pushed: a trip per hop')
    // links of 10 ms: announces over shorter paths beat a shared tree's longer ones; nodes wait
    // for the tree (500 ms) instead of requesting, and swap links towards each publisher
    const slow = run(true, LATENCY)
    const flat = run(false, LATENCY)
    assert.deepEqual(flat.copies, Array(messages).fill(n - 1))
    assert.deepEqual(slow.copies, Array(messages).fill(n - 1), `${slow.copies.join(' ')}`)
    // one trip per hop instead of three
    assert.ok(sum(late(slow.latencies)) < 0.8 * sum(late(flat.latencies)), `${sum(late(slow.latencies))} ms in all vs ${sum(late(flat.latencies))}`)
  })

  it('waits a quarter of requestTimeoutMs for the tree before requesting, and swaps a link whose payload came meanwhile for the announcer', () => {
    const h = lone({ tree: true, requestTimeoutMs: 400 }, ['a', 'b', 'c'])
    const router = h.nodes[0].router
    const [m1, m2, m3] = ['m1', 'm2', 'm3'].map(text => messageOf('t', text))
    // no eager peer: nothing to wait for, requested at once
    router.receive('a', { type: 'announce', ids: [m1.id] })
    assert.deepEqual(framesOf(h, 'request').map(s => [s.to, s.frame.ids]), [['a', [m1.id]]])
    router.receive('a', { type: 'message', message: m1 })
    // b eager: an announce from a waits for b's push; it comes 60 ms later: swap b for a
    router.receive('b', { type: 'request', ids: [] })
    const t0 = h.clock.now()
    router.receive('a', { type: 'announce', ids: [m2.id] })
    h.clock.advance(60)
    assert.equal(framesOf(h, 'request').length, 1, 'not requested yet')
    router.receive('b', { type: 'message', message: m2 })
    h.settle()
    assert.deepEqual(framesOf(h, 'request').slice(1).map(s => [s.at - t0, s.to, s.frame.ids]), [[60, 'a', []]], 'a grafted by a request of no ids')
    assert.deepEqual(framesOf(h, 'prune').map(s => [s.to, s.frame.ids]), [['b', [m2.id]]])
    const mine = h.publish(0, 'mine')
    h.settle()
    assert.deepEqual(framesOf(h, 'message').filter(s => s.frame.message.id === mine.id).map(s => s.to), ['a'], 'b pruned, c never grafted')
    // an announce the tree does not follow within the wait (100 ms) is requested then; when c
    // stalls, b, the lazy peer it was announced to ahead, is asked
    const t1 = h.clock.now()
    router.receive('c', { type: 'announce', ids: [m3.id] })
    h.settle()
    assert.deepEqual(framesOf(h, 'request').slice(2).map(s => [s.at - t1, s.to, s.frame.ids]), [[100, 'c', [m3.id]], [500, 'b', [m3.id]]])
    assert.deepEqual(h.nodes[0].reports.filter(r => r.infraction !== 'stalled'), [])
  })

  it('repairs the tree: a node whose eager peer stops pushing fetches from an announcer and grafts it', () => {
    // a triangle: n0's first message, announced and requested, grafts n0-n1 and n0-n2 (n1-n2
    // stays lazy); then n0's pushes to n2 are lost
    let lose = false
    const h = createHarness({
      spec: announce(),
      nodes: 3,
      edges: [[0, 1], [1, 2], [0, 2]],
      latencyMs: LATENCY,
      drop: s => lose && s.from === 'n0' && s.to === 'n2' && s.frame.type === 'message'
    })
    h.publish(0, 'builds the tree')
    h.settle()
    assert.deepEqual(framesOf(h, 'request').map(s => [s.from, s.to]).sort(), [['n1', 'n0'], ['n2', 'n0']])
    lose = true
    const t0 = h.clock.now()
    const lost = h.publish(1, 'to n0, lost on to n2')
    h.settle()
    // n2 heard of it from n1 after batchMs (30 ms) and a trip, waited for n0's push (500 ms, a
    // quarter of requestTimeoutMs), then requested it and got it a trip later
    const since = (at: number): Array<Of<'request'>> => framesOf(h, 'request').filter(s => s.at >= at)
    assert.deepEqual(since(t0).map(s => [s.at - t0, s.from, s.to, s.frame.ids]), [[540, 'n2', 'n1', [lost.id]]])
    assert.deepEqual(h.nodes[2].delivered.map(d => [d.message.id, d.from]).at(-1), [lost.id, 'n1'])
    const after = h.publish(1, 'along the graft')
    h.settle()
    assert.deepEqual(h.nodes[2].delivered.map(d => [d.message.id, d.from]).at(-1), [after.id, 'n1'])
    assert.equal(since(t0).length, 1, 'pushed over the grafted link: nothing to request')
    for (const node of h.nodes) assert.deepEqual(node.reports, [])
  })

  it('announces a received payload in the same event when batchMs is 0, with no timer between', () => {
    const h = createHarness({ spec: announce({ tree: false }), nodes: 1, edges: [], latencyMs: LATENCY })
    for (const peer of ['a', 'b']) h.nodes[0].router.addPeer(peer, 'outbound')
    const message = messageOf('t', 'relay me')
    h.clock.advance(7)
    h.nodes[0].router.receive('a', { type: 'message', message })
    // not settled: the announce is out already, stamped with the arrival time
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.at, s.to, s.frame.ids]), [[7, 'b', [message.id]]])
  })

  it('announces an id ahead when it requests it, holds a request for it and answers it the moment the payload arrives', () => {
    const h = lone({}, ['a', 'b'])
    const router = h.nodes[0].router
    const message = messageOf('t', 'ahead')
    router.receive('a', { type: 'announce', ids: [message.id] })
    h.clock.advance(20)
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.at, s.to, s.frame.ids]), [[20, 'b', [message.id]]], 'ahead of the payload, not back to a')
    h.clock.advance(5)
    router.receive('b', { type: 'request', ids: [message.id] })
    router.receive('b', { type: 'request', ids: [message.id] })
    assert.deepEqual(framesOf(h, 'message'), [])
    assert.deepEqual(framesOf(h, 'notfound'), [])
    h.clock.advance(5)
    router.receive('a', { type: 'message', message })
    assert.deepEqual(framesOf(h, 'message').map(s => [s.at, s.to, s.frame.message.id]), [[30, 'b', message.id]], 'one copy, cut through')
    h.settle()
    assert.equal(framesOf(h, 'announce').length, 1, 'not announced again on arrival')
    assert.deepEqual(h.nodes[0].reports, [])
  })

  it('announces ahead only a payload that has not come within aheadMs; one that came is announced to fewer peers', () => {
    const h = lone({ aheadMs: 15, batchMs: 0 }, ['a', 'b', 'c'])
    const router = h.nodes[0].router
    const [fast, slow] = [messageOf('t', 'fast'), messageOf('t', 'slow')]
    router.receive('a', { type: 'announce', ids: [fast.id, slow.id] })
    h.clock.advance(5)
    router.receive('b', { type: 'announce', ids: [fast.id] })
    h.clock.advance(5)
    router.receive('a', { type: 'message', message: fast })
    assert.deepEqual(framesOf(h, 'announce').map(s => [s.at, s.to, s.frame.ids]), [[10, 'c', [fast.id]]], 'on arrival, not to a or b')
    router.receive('c', { type: 'request', ids: [slow.id] })
    assert.deepEqual(framesOf(h, 'notfound').map(s => [s.at, s.to, s.frame.ids]), [[10, 'c', [slow.id]]], 'not announced yet: nothing to hold')
    h.clock.advance(5)
    assert.deepEqual(framesOf(h, 'announce').slice(1).map(s => [s.at, s.to, s.frame.ids]).sort(), [[15, 'b', [slow.id]], [15, 'c', [slow.id]]])
    router.receive('b', { type: 'request', ids: [slow.id] })
    h.clock.advance(5)
    router.receive('a', { type: 'message', message: slow })
    assert.deepEqual(framesOf(h, 'message').map(s => [s.at, s.to, s.frame.message.id]), [[20, 'b', slow.id]])
    assert.equal(framesOf(h, 'announce').length, 3, 'announced ahead, not again')
  })

  it('answers held requests notfound at once when the fetch fails, and after half the request timeout at the latest', () => {
    for (const failure of ['reject', 'notfound', 'stall'] as const) {
      const h = lone({ requestTimeoutMs: 1000 }, ['a', 'b', 'c'])
      const router = h.nodes[0].router
      const message = messageOf('t', `fails by ${failure}`)
      router.receive('a', { type: 'announce', ids: [message.id] })
      if (failure === 'stall') router.receive('c', { type: 'announce', ids: [message.id] })
      h.clock.advance(5)
      router.receive('b', { type: 'request', ids: [message.id] })
      h.clock.advance(5)
      if (failure === 'reject') {
        h.nodes[0].validator = () => 'reject'
        router.receive('a', { type: 'message', message })
      } else if (failure === 'notfound') {
        router.receive('a', { type: 'notfound', ids: [message.id] })
      } else {
        h.clock.advance(990)
      }
      // a stalling announcer: the hold gives up at 5 + 1000 / 2, before b's own request times out
      const at = failure === 'stall' ? 505 : 10
      assert.deepEqual(framesOf(h, 'notfound').map(s => [s.at, s.to, s.frame.ids]), [[at, 'b', [message.id]]], failure)
      const reports = { reject: [['a', 'invalid-message']], notfound: [], stall: [['a', 'stalled']] }[failure]
      assert.deepEqual(h.nodes[0].reports.map(r => [r.peer, r.infraction]), reports, failure)
      // with another announcer it fetches on, but holds no request any more
      if (failure === 'stall') {
        assert.deepEqual(framesOf(h, 'request', 'n0').map(s => [s.at, s.to]), [[0, 'a'], [1000, 'c']])
        router.receive('b', { type: 'request', ids: [message.id] })
        assert.deepEqual(framesOf(h, 'notfound').map(s => [s.at, s.to]), [[505, 'b'], [1000, 'b']])
      }
    }
  })

  it('asks the next announcer at once on notfound, without a stall; ignores a notfound it did not ask for', () => {
    const h = lone({}, ['a', 'b'])
    const router = h.nodes[0].router
    const message = messageOf('t', 'not there')
    router.receive('a', { type: 'announce', ids: [message.id] })
    router.receive('b', { type: 'announce', ids: [message.id] })
    h.clock.advance(5)
    router.receive('b', { type: 'notfound', ids: [message.id] })
    assert.deepEqual(framesOf(h, 'request').map(s => [s.at, s.to]), [[0, 'a']])
    router.receive('a', { type: 'notfound', ids: [message.id] })
    assert.deepEqual(framesOf(h, 'request').map(s => [s.at, s.to]), [[0, 'a'], [5, 'b']])
    h.clock.advance(10)
    router.receive('b', { type: 'message', message })
    h.settle()
    assert.equal(h.nodes[0].delivered.length, 1)
    assert.deepEqual(h.nodes[0].reports, [])
  })

  it('answers notfound to a request for an id it neither has nor fetches', () => {
    const h = lone({}, ['a'])
    const unknown = messageOf('t', 'unknown').id
    h.nodes[0].router.receive('a', { type: 'request', ids: [unknown] })
    assert.deepEqual(framesOf(h, 'notfound').map(s => [s.to, s.frame.ids]), [['a', [unknown]]])
  })

  it('holds at most maxInFlightPerPeer requests per peer and maxHeld in all; answers the rest notfound', () => {
    const h = lone({ maxInFlightPerPeer: 2, maxHeld: 3 }, ['a', 'b', 'c'])
    const router = h.nodes[0].router
    const messages = Array.from({ length: 4 }, (_, i) => messageOf('t', `held ${i}`))
    const ids = messages.map(m => m.id)
    router.receive('a', { type: 'announce', ids: ids.slice(0, 2) })
    router.receive('c', { type: 'announce', ids: ids.slice(2) })
    assert.equal(framesOf(h, 'request').reduce((sum, s) => sum + s.frame.ids.length, 0), 4)
    router.receive('b', { type: 'request', ids: ids.slice(0, 3) })
    router.receive('c', { type: 'request', ids: ids.slice(0, 2) })
    assert.deepEqual(framesOf(h, 'notfound').map(s => [s.to, s.frame.ids]), [['b', [ids[2]]], ['c', [ids[1]]]])
    // a holder that leaves frees its places
    router.removePeer('b')
    router.receive('c', { type: 'request', ids: [ids[1]] })
    assert.equal(framesOf(h, 'notfound').length, 2)
    router.receive('a', { type: 'message', message: messages[1] })
    assert.deepEqual(framesOf(h, 'message').map(s => [s.to, s.frame.message.id]), [['c', ids[1]]])
  })

  it('leaves no request waiting in a circle when the first relay rejects the payload', () => {
    const h = diamond({}, () => false)
    h.nodes[1].validator = () => 'reject'
    const message = h.publish(0, 'bad block')
    h.clock.advance(200)
    // n2 and n3 announced it ahead to each other before n1's notfound; each then asked the other
    // (a peer it told of it ahead), which does not hold a request from the peer it asks itself
    assert.deepEqual(framesOf(h, 'notfound').map(s => [s.at, s.from, s.to]).sort(), [[70, 'n1', 'n2'], [70, 'n1', 'n3'], [90, 'n2', 'n3'], [90, 'n3', 'n2']])
    assert.deepEqual(h.nodes[1].reports.map(r => [r.peer, r.infraction]), [['n0', 'invalid-message']])
    h.settle()
    for (const node of [h.nodes[0], h.nodes[2], h.nodes[3]]) assert.deepEqual(node.reports, [], node.key)
    for (const node of h.nodes) assert.deepEqual(node.delivered.filter(d => d.message.id === message.id), [])
  })

  // n0 publishes, n1 relays to n2; a liar, known to n2 only, announces the id to n2 first and
  // never delivers it. n2 announces the id ahead to n1 while it fetches from the liar, so n1 takes
  // n2 for a peer that has it (or is fetching it) and does not tell n2 of its own copy
  const liarAhead = (options: AnnounceOptions): { h: Harness, message: GossipMessage } => {
    const h = createHarness({ spec: announce({ aheadMs: 0, ...options }), nodes: 3, edges: line(3), latencyMs: LATENCY })
    h.nodes[2].router.addPeer('liar', 'outbound')
    return { h, message: messageOf('t', 'withheld by a liar') }
  }

  it('tells a peer that asked for an id in vain, though it announced the id: its only announcer lied', () => {
    for (const tree of [false, true]) {
      const { h, message } = liarAhead({ tree, batchMs: 0 })
      const [relay, victim] = [h.nodes[1], h.nodes[2]]
      // at 0 n2 asks the liar and announces ahead to n1; n1 asks n2 (at 10), which holds the request
      victim.router.receive('liar', { type: 'announce', ids: [message.id] })
      h.clock.advance(5)
      h.nodes[0].router.publish(message)
      // the liar's notfound: n2 answers n1's held request notfound; n1 fetches from n0 instead
      h.clock.advance(20)
      victim.router.receive('liar', { type: 'notfound', ids: [message.id] })
      h.settle()
      assert.deepEqual(relay.delivered.map(d => d.from), ['n0'])
      assert.deepEqual(victim.delivered.map(d => d.from), ['n1'], `n2 is not left without it (tree: ${tree})`)
      // n1's request grafted n2 on the tree, but a peer that lacks an id is told of it, not pushed it
      const toVictim = h.sent.filter(s => s.from === 'n1' && s.to === 'n2' && s.at > 25).map(s => s.frame.type)
      assert.deepEqual(toVictim, ['announce', 'message'], `one announce, one payload copy (tree: ${tree})`)
      for (const node of h.nodes) assert.deepEqual(node.reports, [], node.key)
    }
  })

  it('asks the peers it announced an id ahead to when its only announcer lied: they took it for one that has the id', () => {
    const { h, message } = liarAhead({})
    const [relay, victim] = [h.nodes[1], h.nodes[2]]
    h.nodes[0].router.publish(message)
    // n1 asks n0 at 40 and would announce it ahead to n2 at 70 (batchMs 30 later); it has it from
    // 60, and n2's announce ahead, sent at 55, comes at 65: n1 takes that for "n2 has it"
    h.clock.advance(25)
    victim.router.receive('liar', { type: 'announce', ids: [message.id] })
    h.clock.advance(55)
    victim.router.receive('liar', { type: 'notfound', ids: [message.id] })
    h.settle()
    assert.deepEqual(relay.delivered.map(d => [d.at, d.from]), [[60, 'n0']])
    assert.deepEqual(victim.delivered.map(d => d.from), ['n1'], 'n2 is not left without it')
    assert.equal(framesOf(h, 'message', undefined, 'n2').length, 1, 'one payload copy')
    for (const node of h.nodes) assert.deepEqual(node.reports, [], node.key)
  })

  it('delivers two trips behind the announce wave: announced ahead, answered by cut-through', () => {
    const n = 30
    const edges = randomGraph(n, 45, 7)
    const distances = (from: number): number[] => {
      const d = Array<number>(n).fill(-1)
      d[from] = 0
      for (let frontier = [from]; frontier.length > 0;) {
        const next: number[] = []
        for (const a of frontier) {
          for (const [x, y] of edges) {
            const b = x === a ? y : y === a ? x : -1
            if (b >= 0 && d[b] === -1) { d[b] = d[a] + 1; next.push(b) }
          }
        }
        frontier = next
      }
      return d
    }
    {
      const h = createHarness({ spec: announce({ tree: false, aheadMs: 0 }), nodes: n, edges, latencyMs: LATENCY, seed: 3 })
      for (let i = 0; i < 20; i++) {
        const publishedAt = h.clock.now()
        const publisher = (i * 7) % n
        const message = h.publish(publisher, `race ${i}`)
        h.settle()
        const d = distances(publisher)
        for (const [k, node] of h.nodes.entries()) {
          if (k === publisher) continue
          const [delivery] = node.delivered.filter(x => x.message.id === message.id)
          // the announce's trips, a request and the payload itself
          assert.equal(delivery.at - publishedAt, (d[k] + 2) * LATENCY, `n${k} at distance ${d[k]} from n${publisher}`)
        }
      }
      assert.equal(framesOf(h, 'message').length, 20 * (n - 1), 'one payload copy per node')
      assert.deepEqual(framesOf(h, 'notfound'), [])
      for (const node of h.nodes) assert.deepEqual(node.reports, [])
    }
  })

})
