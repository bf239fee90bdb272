import assert from 'node:assert/strict'
import { flood, TopicRouter } from '@hearsay/gossip/strategies'
import { seededRng } from '@hearsay/sansio'
import type { GossipMessage, StrategySpec } from '@hearsay/interface'
import { createHarness, line, messageOf } from './harness.ts'

describe('TopicRouter', () => {
  it('delivers a message once and counts duplicates', () => {
    const h = createHarness({ spec: flood(), nodes: 2, edges: line(2) })
    const message = messageOf('t', 'once')
    h.nodes[1].router.receive('n0', { type: 'message', message })
    h.nodes[1].router.receive('n0', { type: 'message', message })
    assert.equal(h.nodes[1].delivered.length, 1)
    const stats = h.nodes[1].router.stats()
    assert.equal(stats.received, 2)
    assert.equal(stats.duplicates, 1)
    assert.equal(stats.delivered, 1)
    assert.equal(stats.bytesIn, 8)
  })

  it('reports a rejected message, drops an ignored one, and relays neither', () => {
    const h = createHarness({ spec: flood(), nodes: 3, edges: line(3) })
    h.nodes[1].validator = message => new TextDecoder().decode(message.data) === 'bad' ? 'reject' : 'ignore'
    h.publish(0, 'bad')
    h.publish(0, 'meh')
    h.settle()
    assert.equal(h.nodes[1].delivered.length, 0)
    assert.equal(h.nodes[2].delivered.length, 0)
    assert.deepEqual(h.nodes[1].reports.map(r => [r.peer, r.infraction]), [['n0', 'invalid-message']])
    const stats = h.nodes[1].router.stats()
    assert.equal(stats.rejected, 1)
    assert.equal(stats.ignored, 1)
  })

  it('treats copies arriving while the validator runs as duplicates', () => {
    const h = createHarness({ spec: flood(), nodes: 2, edges: line(2) })
    const router = h.nodes[1].router
    // a validator that answers later
    const pending: string[] = []
    h.nodes[1].validator = message => { pending.push(message.id); return undefined }
    const message = messageOf('t', 'slow')
    router.receive('n0', { type: 'message', message })
    router.receive('n0', { type: 'message', message })
    assert.equal(router.stats().duplicates, 1)
    assert.equal(h.nodes[1].delivered.length, 0)
    router.validated(pending[0], 'accept')
    assert.equal(h.nodes[1].delivered.length, 1)
  })

  it('reports an oversized payload and does not deliver it', () => {
    const h = createHarness({ spec: flood(), nodes: 2, edges: line(2) })
    const big = { id: 'ff'.repeat(32), topic: 't', data: new Uint8Array(h.nodes[1].router.limits.maxMessageBytes + 1) }
    h.nodes[1].router.receive('n0', { type: 'message', message: big })
    assert.equal(h.nodes[1].delivered.length, 0)
    assert.equal(h.nodes[1].reports[0].infraction, 'oversized-frame')
    assert.throws(() => h.nodes[0].router.publish(big), RangeError)
  })

  it('reports stem, announce and notfound frames a strategy does not use', () => {
    const h = createHarness({ spec: flood(), nodes: 2, edges: line(2) })
    h.nodes[1].router.receive('n0', { type: 'stem', message: messageOf('t', 's') })
    h.nodes[1].router.receive('n0', { type: 'announce', ids: ['00'] })
    h.nodes[1].router.receive('n0', { type: 'notfound', ids: ['00'] })
    assert.deepEqual(h.nodes[1].reports.map(r => r.infraction), ['unexpected-frame', 'unexpected-frame', 'unexpected-frame'])
    assert.equal(h.nodes[1].delivered.length, 0)
  })

  it('answers requests from its cache of public messages only', () => {
    const h = createHarness({ spec: flood(), nodes: 2, edges: line(2) })
    const message = h.publish(0, 'cached')
    h.settle()
    const before = h.sent.length
    h.nodes[0].router.receive('n1', { type: 'request', ids: [message.id, 'unknown'] })
    const answers = h.sent.slice(before)
    assert.equal(answers.length, 1)
    assert.equal(answers[0].frame.type, 'message')
    assert.equal(h.nodes[0].router.stats().served, 1)
  })

  it('hands the strategy every request with the ids it could not answer, and messages the validator refused', () => {
    const requests: Array<[string, string[]]> = []
    const refused: Array<[string, string]> = []
    const spec: StrategySpec = {
      name: 'spy',
      create: (context) => {
        const base = flood().create(context)
        return { ...base, onRequest: (from, ids) => { requests.push([from, ids]) }, onRefused: (id, from) => { refused.push([id, from]) } }
      }
    }
    const h = createHarness({ spec, nodes: 2, edges: line(2) })
    const message = h.publish(0, 'cached')
    h.settle()
    h.nodes[0].router.receive('n1', { type: 'request', ids: [message.id, 'ab', 'cd'] })
    h.nodes[0].router.receive('n1', { type: 'request', ids: [message.id] })
    // a request answered in full still reaches the strategy (a graft of announce's tree)
    assert.deepEqual(requests, [['n1', ['ab', 'cd']], ['n1', []]])
    const router = h.nodes[1].router
    const [bad, dull, late] = ['bad', 'dull', 'late'].map(text => messageOf('t', text))
    h.nodes[1].validator = message => message.id === bad.id ? 'reject' : message.id === dull.id ? 'ignore' : undefined
    router.receive('n0', { type: 'message', message: bad })
    router.receive('n0', { type: 'message', message: dull })
    router.receive('n0', { type: 'message', message: late })
    assert.deepEqual(refused, [[bad.id, 'n0'], [dull.id, 'n0']])
    router.validated(late.id, 'ignore')
    assert.deepEqual(refused.map(([id]) => id), [bad.id, dull.id, late.id])
    // dropped because too many wait for the validator
    h.nodes[1].validator = () => undefined
    const limit = router.limits.maxPendingPerPeer
    const waiting = Array.from({ length: limit + 1 }, (_, i) => messageOf('t', `waiting ${i}`))
    for (const message of waiting) router.receive('n0', { type: 'message', message })
    assert.deepEqual(refused.slice(3), [[waiting[limit].id, 'n0']])
  })

  it('forgets a seen id after seenTtlMs, and publishing a known id is a no-op', () => {
    const h = createHarness({ spec: flood(), nodes: 2, edges: line(2) })
    const message = h.publish(0, 'again')
    assert.equal(h.nodes[0].router.publish(message), false)
    h.settle()
    assert.equal(h.nodes[0].router.stats().published, 1)
    h.clock.advance(h.nodes[1].router.limits.seenTtlMs + 1)
    assert.equal(h.nodes[1].router.has(message.id), false)
  })

  it('bounds the messages waiting for the validator, per peer', () => {
    const h = createHarness({ spec: flood(), nodes: 2, edges: line(2) })
    const router = h.nodes[1].router
    h.nodes[1].validator = () => undefined
    const limit = router.limits.maxPendingPerPeer
    for (let i = 0; i < limit + 10; i++) router.receive('n0', { type: 'message', message: messageOf('t', `p${i}`) })
    assert.equal(router.stats().dropped, 10)
  })

  it('remembers an id answered later even if it left the seen set while the validator ran', () => {
    const h = createHarness({ spec: flood(), nodes: 2, edges: line(2) })
    const router = new TopicRouter({
      topic: 't', spec: flood(), clock: h.clock, rng: seededRng(1), limits: { seenMax: 2 },
      effects: { send: () => {}, schedule: () => {}, deliver: () => {}, validate: () => undefined, report: () => {} }
    })
    const [x, y, z] = ['x', 'y', 'z'].map(text => messageOf('t', text))
    for (const m of [x, y, z]) router.receive('n0', { type: 'message', message: m })
    router.validated(x.id, 'accept')
    assert.equal(router.has(x.id), true)
    router.receive('n0', { type: 'message', message: x })
    assert.equal(router.stats().duplicates, 1)
  })

  it('takes an answer given through validated() from inside validate', () => {
    const delivered: GossipMessage[] = []
    const router: TopicRouter = new TopicRouter({
      topic: 't', spec: flood(), clock: { now: () => 0 }, rng: seededRng(1),
      effects: {
        send: () => {},
        schedule: () => {},
        deliver: message => { delivered.push(message) },
        validate: message => { router.validated(message.id, 'accept'); return undefined },
        report: () => {}
      }
    })
    router.receive('n0', { type: 'message', message: messageOf('t', 'inside') })
    assert.equal(delivered.length, 1)
    assert.equal(router.stats().delivered, 1)
  })

  it('keeps duplicates out when the clock steps back', () => {
    const clock = { at: 1000, now: () => clock.at }
    const delivered: GossipMessage[] = []
    const router = new TopicRouter({
      topic: 't', spec: flood(), clock, rng: seededRng(1), limits: { seenTtlMs: 100 },
      effects: { send: () => {}, schedule: () => {}, deliver: message => { delivered.push(message) }, validate: () => 'accept', report: () => {} }
    })
    const [a, b] = ['a', 'b'].map(text => messageOf('t', text))
    router.receive('n0', { type: 'message', message: a }) // seen until 1100
    clock.at = 0 // stepped back
    router.receive('n0', { type: 'message', message: b }) // seen until 100, behind a in age order
    clock.at = 150 // b expired, a not: b is delivered again, and must then be seen again
    router.receive('n0', { type: 'message', message: b })
    router.receive('n0', { type: 'message', message: b })
    assert.equal(delivered.filter(m => m.id === b.id).length, 2)
    assert.equal(router.has(b.id), true)
  })
})
