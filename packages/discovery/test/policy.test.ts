import assert from 'node:assert/strict'
import { ManualClock, seededRng } from '@hearsay/sansio'
import { DiscoveryPolicy, FAILED_RETRY_MS, INBOUND_GRACE_MS, INBOUND_GRACE_SLOTS, ROUND_JITTER, type DiscoveryAction, type DiscoveryPolicyOptions } from '@hearsay/discovery/address-book'

const START = 1_000_000_000
const addr = (a: number, b = 0): string => `/ip4/10.${a}.${b}.1/tcp/4001`

function setup (options: Partial<DiscoveryPolicyOptions> = {}, seed = 'policy'): { clock: ManualClock, policy: DiscoveryPolicy } {
  const clock = new ManualClock(START)
  const policy = new DiscoveryPolicy({ clock, rng: seededRng(seed), self: 'me', ...options })
  return { clock, policy }
}

/** Peers p0..p(n-1), each in its own /16. */
const seeds = (n: number): Array<{ peer: string, addrs: string[] }> => Array.from({ length: n }, (_, i) => ({ peer: `p${i}`, addrs: [addr(i)] }))

const of = <T extends DiscoveryAction['type']>(actions: DiscoveryAction[], type: T): Array<Extract<DiscoveryAction, { type: T }>> =>
  actions.filter((a): a is Extract<DiscoveryAction, { type: T }> => a.type === type)

let nextId = 0
/** Tell the policy a dial succeeded: the connection opens, then the dial resolves. */
function connect (policy: DiscoveryPolicy, clock: ManualClock, peer: string, address: string): { id: string, actions: DiscoveryAction[] } {
  const id = `c${nextId++}`
  const actions = policy.connected({ id, peer, direction: 'outbound', addr: address, openedAt: clock.now() })
  actions.push(...policy.dialed(peer, { connection: id }))
  return { id, actions }
}

/** Advance to the policy's next due time and tick. */
function step (policy: DiscoveryPolicy, clock: ManualClock): DiscoveryAction[] {
  const due = policy.nextDue()
  assert.ok(due != null, 'something is due')
  clock.advance(Math.max(0, due - clock.now()))
  return policy.tick()
}

describe('DiscoveryPolicy', () => {
  it('dials at once on start, at most maxParallelDials, one per netgroup, and not again while the dials run', () => {
    const { clock, policy } = setup({ targetOutbound: 8, maxParallelDials: 4 })
    // two peers share each /16: the plan may pick only one of each pair
    const book = [...seeds(10), ...Array.from({ length: 10 }, (_, i) => ({ peer: `q${i}`, addrs: [addr(i, 7)] }))]
    assert.deepEqual(policy.start(book), [])
    assert.equal(policy.nextDue(), START)
    const dials = of(step(policy, clock), 'dial')
    assert.equal(dials.length, 4)
    const groups = new Set(dials.map(d => d.addrs[0].split('/')[2].split('.').slice(0, 2).join('.')))
    assert.equal(groups.size, 4, 'four distinct /16s')
    assert.equal(policy.stats().dialing, 4)
    clock.advance(policy.options.dialIntervalMs)
    const more = of(policy.tick(), 'dial')
    assert.equal(more.length, 4, 'four more, outside the groups being dialled')
    for (const d of more) assert.ok(!dials.some(e => e.peer === d.peer))
    const all = [...dials, ...more].map(d => d.addrs[0].split('.').slice(0, 2).join('.'))
    assert.equal(new Set(all).size, 8)
  })

  it('dials the anchors first and starts its rounds only when their dials have ended', () => {
    const { clock, policy } = setup()
    const anchors = [{ peer: 'a1', addrs: [addr(1)] }, { peer: 'a2', addrs: [addr(2)] }, { peer: 'me', addrs: [addr(3)] }]
    const actions = policy.start(seeds(5).map(s => ({ ...s, peer: `s${s.peer}` })), anchors)
    assert.deepEqual(of(actions, 'dial').map(d => d.peer), ['a1', 'a2'], 'itself is never an anchor')
    assert.equal(policy.nextDue(), undefined, 'no round while anchors are dialled')
    assert.deepEqual(policy.stats().anchors, ['a1', 'a2'])
    clock.advance(3000)
    connect(policy, clock, 'a1', addr(1))
    assert.equal(policy.nextDue(), undefined)
    policy.dialed('a2', 'failed')
    assert.equal(policy.nextDue(), clock.now(), 'the dial round is due once both ended')
    assert.equal(policy.book.get('a2')?.attempts, 1)
    assert.equal(policy.book.get('a1')?.table, 'tried')
  })

  it('asks a new outbound peer for addresses once, adds the answer from its netgroup, and rate-limits its own questions', () => {
    const { clock, policy } = setup({ pexPeerIntervalMs: 60_000, pexMaxPeers: 500, maxAnswerPeers: 200 })
    policy.start(seeds(1))
    const { actions } = connect(policy, clock, 'p0', addr(0))
    assert.deepEqual(of(actions, 'ask'), [{ type: 'ask', peer: 'p0', max: 200 }], 'the smaller of pexMaxPeers and the protocol limit')
    const added = policy.answered('p0', [
      { peer: 'x1', addrs: [addr(50)], ageMs: 0 },
      { peer: 'x2', addrs: ['/ip4/0.0.0.0/tcp/1', addr(51)], ageMs: 1000 },
      { peer: 'x3', addrs: ['/ip4/0.0.0.0/tcp/1'], ageMs: 0 }
    ])
    assert.equal(added, 2)
    assert.deepEqual(policy.book.get('x2')?.addrs, [addr(51)], 'unspecified addresses are dropped')
    assert.equal(policy.book.get('x1')?.sourceGroup, 'ip4:10.0')
    assert.deepEqual(policy.stats().pex, { served: 0, asked: 1, learned: 2 })
    // a second connection to the same peer within the interval: no second question
    assert.deepEqual(of(policy.connected({ id: 'again', peer: 'p0', direction: 'outbound', addr: addr(0), openedAt: clock.now() }), 'ask'), [])
    assert.equal(policy.askNow('p0'), undefined)
    clock.advance(60_000)
    assert.equal(policy.askNow('p0'), 200)
    assert.equal(policy.askNow('me'), undefined, 'never itself')
  })

  it('asks a peer whose connection opens again only once pexCacheMs has passed since it was last asked', () => {
    const { clock, policy } = setup({ pexPeerIntervalMs: 60_000, pexCacheMs: 600_000, targetOutbound: 0, feelerIntervalMs: 0 })
    policy.start()
    const first = connect(policy, clock, 'p0', addr(0))
    assert.equal(of(first.actions, 'ask').length, 1)
    policy.answered('p0', [])
    policy.disconnected(first.id)
    clock.advance(300_000)
    const again = connect(policy, clock, 'p0', addr(0))
    assert.deepEqual(of(again.actions, 'ask'), [], 'its answer would come from the sample it gave us')
    policy.disconnected(again.id)
    clock.advance(300_000)
    assert.deepEqual(of(connect(policy, clock, 'p0', addr(0)).actions, 'ask').map(a => a.peer), ['p0'])
  })

  it('runs a PEX round every pexIntervalMs, asking an outbound peer (never an inbound one) not asked within pexPeerIntervalMs, and waits for its answer before the next', () => {
    const { clock, policy } = setup({ pexIntervalMs: 30_000, pexPeerIntervalMs: 60_000, pexCacheMs: 90_000, feelerIntervalMs: 0, targetOutbound: 0 })
    policy.start()
    policy.connected({ id: 'i1', peer: 'in1', direction: 'inbound', addr: addr(1), openedAt: clock.now() })
    policy.connected({ id: 'i2', peer: 'in2', direction: 'inbound', addr: addr(2), openedAt: clock.now() })
    for (let t = 0; t < 10 * 30_000; t += 1000) {
      clock.advance(1000)
      assert.deepEqual(of(policy.tick(), 'ask'), [], 'inbound peers are never asked')
    }
    const o1 = connect(policy, clock, 'out1', addr(3))
    const o2 = connect(policy, clock, 'out2', addr(4))
    assert.deepEqual([...of(o1.actions, 'ask'), ...of(o2.actions, 'ask')].map(a => a.peer), ['out1', 'out2'], 'new outbound peers are asked at once')
    policy.answered('out1', [])
    policy.answered('out2', [])
    const asked = clock.now()
    // within pexCacheMs of those questions, no round asks anyone: their answers would be the same
    const rounds: Array<{ at: number, peer: string }> = []
    const waitAsk = (): { at: number, peer: string } => {
      for (;;) {
        const [ask] = of(step(policy, clock), 'ask')
        if (ask != null) {
          rounds.push({ at: clock.now(), peer: ask.peer })
          return rounds[rounds.length - 1]
        }
      }
    }
    const first = waitAsk()
    assert.ok(first.at - asked >= 60_000, `first round ${first.at - asked} ms after the last question`)
    assert.ok(['out1', 'out2'].includes(first.peer), `asked ${first.peer}, an outbound peer`)
    // while the question is out the round waits
    clock.advance(20_000)
    assert.deepEqual(of(policy.tick(), 'ask'), [])
    const ended = clock.now()
    policy.askFailed(first.peer)
    // the next round is a jittered pexIntervalMs after the question ended: the other outbound peer
    const second = waitAsk()
    assert.ok(second.at >= ended + 15_000 && second.at < ended + 45_000, `next round +${second.at - ended} ms after the answer`)
    assert.notEqual(second.peer, first.peer, 'the other peer: the first was asked within pexPeerIntervalMs')
    policy.disconnected(o1.id)
    policy.disconnected(o2.id)
    policy.answered(second.peer, [])
    clock.advance(200_000)
    assert.deepEqual(of(policy.tick(), 'ask'), [], 'no outbound peer, no one asked')
  })

  it('below its outbound target with nothing left to dial, asks its outbound peers at once, one at a time and each once per pexPeerIntervalMs; after questions that taught nothing, ever less often until an answer adds an address', () => {
    // no regular round within the test's hour: every question is a starved one
    const { clock, policy } = setup({ feelerIntervalMs: 0, pexPeerIntervalMs: 60_000, pexIntervalMs: 3 * 60 * 60_000 })
    policy.start(seeds(2))
    const dials = of(policy.tick(), 'dial')
    assert.deepEqual(dials.map(d => d.peer).sort(), ['p0', 'p1'])
    // both new outbound peers are asked at once; both answer with nothing new yet
    for (const { peer } of dials) {
      assert.equal(of(connect(policy, clock, peer, addr(Number(peer.slice(1)))).actions, 'ask').length, 1)
      policy.answered(peer, [])
    }
    const asks: Array<{ at: number, peer: string }> = []
    const until = (ms: number): void => {
      const end = clock.now() + ms
      while ((policy.nextDue() ?? Infinity) <= end) {
        const actions = step(policy, clock)
        for (const ask of of(actions, 'ask')) asks.push({ at: clock.now() - START, peer: ask.peer })
        // the addresses learned do not answer
        for (const dial of of(actions, 'dial')) policy.dialed(dial.peer, 'failed')
      }
      clock.advance(end - clock.now())
    }
    // 2 of 8 outbound and an empty book: the next question comes once pexPeerIntervalMs allows it,
    // not a jittered 10 minutes later
    until(65_000)
    assert.equal(asks.length, 1, `one starved question: ${JSON.stringify(asks)}`)
    assert.ok(asks[0].at >= 60_000 && asks[0].at <= 65_000, `asked at ${asks[0].at} ms`)
    policy.answered(asks[0].peer, [{ peer: 'x1', addrs: [addr(50)], ageMs: 0 }])
    // it taught an address, dialled in vain; still below the target, the other peer is asked
    // within a dial round or two, not a minute later
    until(15_000)
    assert.equal(asks.length, 2, `a second starved question: ${JSON.stringify(asks)}`)
    assert.notEqual(asks[1].peer, asks[0].peer, 'the other outbound peer')
    assert.ok(asks[1].at - asks[0].at <= 15_000, `${asks[1].at - asks[0].at} ms after the first`)
    policy.answered(asks[1].peer, [{ peer: 'x2', addrs: [addr(51)], ageMs: 0 }])
    // both asked within pexPeerIntervalMs: none again until a minute after the first
    until(60_000 - (asks[1].at - asks[0].at) - 15_000)
    assert.equal(asks.length, 2, `each peer once per pexPeerIntervalMs: ${JSON.stringify(asks)}`)
    until(20_000)
    assert.equal(asks.length, 3, `asked again a minute later: ${JSON.stringify(asks)}`)
    assert.ok(asks[2].at - asks[0].at >= 60_000, 'not before pexPeerIntervalMs')
    policy.answered(asks[2].peer, [])
    // that one taught nothing: a network smaller than the target is asked a minute later, then
    // two, four, eight... (a young network's answerer draws its sample again once its book grew)
    const waits = [60_000, 120_000, 240_000, 480_000, 960_000]
    for (const wait of waits) {
      const before: number = asks.length
      until(wait - 1_000)
      assert.equal(asks.length, before, `no question within ${wait} ms: ${JSON.stringify(asks.slice(before))}`)
      until(11_000)
      assert.equal(asks.length, before + 1, `one question ${wait} ms after the last: ${JSON.stringify(asks.slice(before))}`)
      // the last answer teaches an address
      policy.answered(asks[before].peer, wait === waits.at(-1) ? [{ peer: 'x3', addrs: [addr(52)], ageMs: 0 }] : [])
    }
    // which starts the waits over: the next question within a dial round or two (after the
    // address is dialled in vain), and once it taught nothing, the one after a minute later
    const last: number = asks.length
    until(15_000)
    assert.equal(asks.length, last + 1, `asked at once: ${JSON.stringify(asks.slice(last))}`)
    policy.answered(asks[last].peer, [])
    until(60_000 - 1_000)
    assert.equal(asks.length, last + 1)
    until(11_000)
    assert.equal(asks.length, last + 2, `a minute later: ${JSON.stringify(asks.slice(last))}`)
  })

  it('by default asks a new outbound peer at once, and refreshes from an outbound peer every 10 minutes on average (5 to 15 minutes apart), preferring one not asked for 30 minutes', () => {
    const { clock, policy } = setup({ feelerIntervalMs: 0, targetOutbound: 0 })
    assert.equal(policy.options.pexIntervalMs, 600_000)
    assert.equal(policy.options.pexCacheMs, 1_800_000)
    policy.start()
    const outbound = ['out1', 'out2', 'out3', 'out4', 'out5', 'out6', 'out7', 'out8']
    for (const [i, peer] of outbound.entries()) {
      const { actions } = connect(policy, clock, peer, addr(i + 1))
      assert.deepEqual(of(actions, 'ask').map(a => a.peer), [peer], 'asked on connecting')
      policy.answered(peer, [])
    }
    policy.connected({ id: 'i1', peer: 'in1', direction: 'inbound', addr: addr(20), openedAt: clock.now() })
    // a converged network: nothing is asked until the round is due
    const asks: Array<{ at: number, peer: string }> = []
    for (let t = 0; t < 4 * 60 * 60_000; t += 1000) {
      clock.advance(1000)
      for (const ask of of(policy.tick(), 'ask')) {
        asks.push({ at: clock.now() - START, peer: ask.peer })
        policy.answered(ask.peer, [])
      }
    }
    assert.ok(asks.every(a => outbound.includes(a.peer)), 'only outbound peers')
    const gaps = asks.map((a, i) => a.at - (asks[i - 1]?.at ?? 0))
    // each wait is 0.5-1.5 times the interval (to the 1 s step of this loop)
    for (const gap of gaps) assert.ok(gap >= 300_000 && gap <= 901_000, `a round ${gap} ms after the last`)
    assert.ok(new Set(gaps).size > 1, `jittered, not fixed: ${gaps.join(', ')}`)
    // 4 hours hold 16 to 48 rounds; the mean wait is 10 minutes
    assert.ok(asks.length >= 16 && asks.length <= 48, `${asks.length} rounds`)
    // once 30 minutes have passed since every peer was asked on connecting, a round always finds
    // one not asked within them (at most 6 rounds fit in 30 minutes, and there are 8 peers)
    const last = new Map(outbound.map(peer => [peer, 0]))
    for (const ask of asks) {
      const since = ask.at - (last.get(ask.peer) ?? 0)
      if (ask.at >= 1_800_000) assert.ok(since >= 1_800_000, `${ask.peer} asked again after ${since} ms at ${ask.at}`)
      last.set(ask.peer, ask.at)
    }
  })

  it('draws the jitter from its seeded rng: the same seed, the same first feeler; other seeds, other moments', () => {
    const firstFeeler = (seed: string): number => {
      const { clock, policy } = setup({ targetOutbound: 0, feelerIntervalMs: 120_000 }, seed)
      policy.start(seeds(3))
      while (!of(step(policy, clock), 'dial').some(d => d.feeler)) { /* dial rounds until the feeler */ }
      return clock.now() - START
    }
    assert.equal(firstFeeler('a'), firstFeeler('a'))
    const moments = new Set(['a', 'b', 'c', 'd', 'e'].map(firstFeeler))
    assert.ok(moments.size > 1, 'five hosts started together do not feel at one moment')
    for (const at of moments) assert.ok(at >= 120_000 * (1 - ROUND_JITTER) && at < 120_000 * (1 + ROUND_JITTER), `first feeler at ${at} ms`)
  })

  it('feels a new address outside the netgroups in use, holds the connection feelerHoldMs, then closes it; a feeler is no outbound peer', () => {
    const { clock, policy } = setup({ targetOutbound: 1, feelerIntervalMs: 120_000, feelerHoldMs: 2000 })
    policy.start(seeds(3))
    const [dial] = of(step(policy, clock), 'dial')
    connect(policy, clock, dial.peer, dial.addrs[0])
    let feeler: Extract<DiscoveryAction, { type: 'dial' }> | undefined
    while (feeler == null) feeler = of(step(policy, clock), 'dial').find(d => d.feeler)
    // the first feeler comes within the jittered interval: 0.5-1.5 times feelerIntervalMs
    assert.ok(clock.now() >= START + 60_000 && clock.now() < START + 180_000, `first feeler at +${clock.now() - START} ms`)
    assert.notEqual(feeler.peer, dial.peer)
    const { id, actions } = connect(policy, clock, feeler.peer, feeler.addrs[0])
    assert.deepEqual(of(actions, 'ask'), [], 'a feeler is not asked for addresses')
    assert.equal(policy.stats().outbound, 1, 'the feeler does not count')
    assert.equal(policy.book.get(feeler.peer)?.table, 'tried', 'it answered: tried')
    clock.advance(1999)
    assert.deepEqual(of(policy.tick(), 'close'), [])
    clock.advance(1)
    assert.deepEqual(of(policy.tick(), 'close'), [{ type: 'close', connection: id, peer: feeler.peer, reason: 'feeler' }])
    assert.deepEqual(policy.stats().dials, { outbound: 1, feeler: 1, failed: 0 }, 'the bench tells feelers from other dials by these')
    assert.deepEqual(policy.stats().closes, { feeler: 1, evict: 0 })
    // the next feeler round counts from the feeler's dial result, jittered too
    const dialled = clock.now() - 2000
    let nextFeeler: number | undefined
    while (nextFeeler == null) if (of(step(policy, clock), 'dial').some(d => d.feeler)) nextFeeler = clock.now()
    assert.ok(nextFeeler >= dialled + 60_000 && nextFeeler < dialled + 180_000, `next feeler +${nextFeeler - dialled} ms after the last`)
  })

  it('by default closes a feeler as soon as its dial has connected: the handshake proved who answers there', () => {
    const { clock, policy } = setup({ targetOutbound: 1, feelerIntervalMs: 120_000 })
    assert.equal(policy.options.feelerHoldMs, 0)
    policy.start(seeds(3))
    const [dial] = of(step(policy, clock), 'dial')
    connect(policy, clock, dial.peer, dial.addrs[0])
    let feeler: Extract<DiscoveryAction, { type: 'dial' }> | undefined
    while (feeler == null) feeler = of(step(policy, clock), 'dial').find(d => d.feeler)
    const { id, actions } = connect(policy, clock, feeler.peer, feeler.addrs[0])
    assert.deepEqual(actions, [{ type: 'close', connection: id, peer: feeler.peer, reason: 'feeler' }], 'closed with the dial result, not asked')
    assert.equal(policy.book.get(feeler.peer)?.table, 'tried', 'it answered: tried')
    assert.equal(policy.stats().outbound, 1, 'the feeler never counted')
    assert.deepEqual(policy.stats().closes, { feeler: 1, evict: 0 })
    // nothing is left to close later; once it is gone its peer may be an outbound one
    policy.disconnected(id)
    const due = policy.nextDue()
    assert.ok(due != null && due > clock.now())
    assert.deepEqual(of(policy.tick(), 'close'), [])
  })

  it('leaves a feeler open when another part of the node keeps its peer, never counting it as outbound, until it closes', () => {
    const kept = new Set<string>()
    const { clock, policy } = setup({ targetOutbound: 1, feelerIntervalMs: 120_000, feelerHoldMs: 2000, keep: peer => kept.has(peer) })
    policy.start(seeds(3))
    const [dial] = of(step(policy, clock), 'dial')
    connect(policy, clock, dial.peer, dial.addrs[0])
    let feeler: Extract<DiscoveryAction, { type: 'dial' }> | undefined
    while (feeler == null) feeler = of(step(policy, clock), 'dial').find(d => d.feeler)
    const { id } = connect(policy, clock, feeler.peer, feeler.addrs[0])
    // the DHT tags the peer keep-alive while the feeler is held: closing would only make libp2p redial it
    kept.add(feeler.peer)
    clock.advance(2000)
    assert.deepEqual(of(policy.tick(), 'close'), [], 'not closed')
    assert.deepEqual(policy.stats().closes, { feeler: 0, evict: 0 })
    assert.equal(policy.stats().feelersKept, 1)
    assert.equal(policy.stats().outbound, 1, 'still no outbound peer: a feeler chose it, not the one-per-netgroup plan')
    assert.deepEqual(policy.outboundPeers(), [dial.peer])
    // once it closes, the peer is an ordinary one again: an outbound connection to it counts
    policy.disconnected(id)
    connect(policy, clock, feeler.peer, feeler.addrs[0])
    assert.equal(policy.stats().outbound, 2)

    // without a keep-alive tag the feeler is closed as before
    const plain = setup({ targetOutbound: 1, feelerIntervalMs: 120_000, feelerHoldMs: 2000, keep: () => false })
    plain.policy.start(seeds(3))
    const [first] = of(step(plain.policy, plain.clock), 'dial')
    connect(plain.policy, plain.clock, first.peer, first.addrs[0])
    let other: Extract<DiscoveryAction, { type: 'dial' }> | undefined
    while (other == null) other = of(step(plain.policy, plain.clock), 'dial').find(d => d.feeler)
    const opened = connect(plain.policy, plain.clock, other.peer, other.addrs[0])
    plain.clock.advance(2000)
    assert.deepEqual(of(plain.policy.tick(), 'close'), [{ type: 'close', connection: opened.id, peer: other.peer, reason: 'feeler' }])
    assert.equal(plain.policy.stats().feelersKept, 0)
  })

  it('a feeler its peer is kept for fills a free outbound slot in a netgroup no outbound peer holds', () => {
    const kept = new Set<string>()
    const { clock, policy } = setup({ targetOutbound: 1, feelerIntervalMs: 120_000, feelerHoldMs: 2000, keep: peer => kept.has(peer) })
    policy.start(seeds(2))
    const [dial] = of(step(policy, clock), 'dial')
    const outbound = connect(policy, clock, dial.peer, dial.addrs[0])
    let feeler: Extract<DiscoveryAction, { type: 'dial' }> | undefined
    while (feeler == null) feeler = of(step(policy, clock), 'dial').find(d => d.feeler)
    const { id } = connect(policy, clock, feeler.peer, feeler.addrs[0])
    kept.add(feeler.peer)
    // the outbound peer goes while the feeler is held: its slot is free
    policy.disconnected(outbound.id)
    assert.equal(policy.stats().outbound, 0)
    clock.advance(2000)
    const actions = policy.tick()
    assert.deepEqual(of(actions, 'close'), [], 'not closed')
    assert.deepEqual(of(actions, 'ask').map(a => a.peer), [feeler.peer], 'asked, as a new outbound peer is')
    assert.deepEqual(policy.outboundPeers(), [feeler.peer])
    assert.equal(policy.stats().outbound, 1)
    assert.equal(policy.stats().feelersKept, 1)
    policy.disconnected(id)
    assert.equal(policy.stats().outbound, 0)
  })

  it('dials the next slot as soon as a dial connects (never past maxParallelDials), not at the next round; a failed dial waits for the round', () => {
    const { clock, policy } = setup({ targetOutbound: 6, maxParallelDials: 2, feelerIntervalMs: 0 })
    policy.start(seeds(12))
    const first = of(step(policy, clock), 'dial')
    assert.equal(first.length, 2)
    clock.advance(100)
    // one of two connects: one dial in flight, so one more now (no timer involved)
    const next = of(connect(policy, clock, first[0].peer, first[0].addrs[0]).actions, 'dial')
    assert.equal(next.length, 1, 'one more, keeping two in flight')
    assert.ok(next[0].peer !== first[1].peer && next[0].peer !== first[0].peer)
    assert.equal(policy.stats().dialing, 2)
    // a failed dial frees a slot, but is answered by the round, not at once
    assert.deepEqual(of(policy.dialed(first[1].peer, 'failed'), 'dial'), [])
    const after = of(connect(policy, clock, next[0].peer, next[0].addrs[0]).actions, 'dial')
    assert.equal(after.length, 2, 'nothing in flight: two more')
    // every connected dial brings the next, two in flight at most, up to the target and no further
    const inFlight = [...after]
    for (let i = 0; i < 10 && inFlight.length > 0; i++) {
      const d = inFlight.shift()
      assert.ok(d != null)
      inFlight.push(...of(connect(policy, clock, d.peer, d.addrs[0]).actions, 'dial'))
      assert.ok(policy.stats().dialing <= 2)
    }
    assert.equal(policy.stats().outbound, 6)
    assert.equal(policy.stats().dialing, 0)
  })

  it('a failed dial counts against the entry, which waits FAILED_RETRY_MS doubled per failure in a row (dialRetryMs at most) and is given up after its third; a peer that connected waits dialRetryMs; an unusable one is forgotten', () => {
    const { clock, policy } = setup({ targetOutbound: 3, maxParallelDials: 3, dialRetryMs: 600_000, feelerIntervalMs: 0 })
    policy.start(seeds(3))
    const dials = of(step(policy, clock), 'dial')
    assert.equal(dials.length, 3)
    const [failing, unusable, leaving] = dials.map(d => d.peer)
    policy.dialed(failing, 'failed')
    policy.dialed(unusable, 'unusable')
    const { id } = connect(policy, clock, leaving, addr(Number(leaving.slice(1))))
    policy.disconnected(id)
    assert.equal(policy.book.get(failing)?.attempts, 1)
    assert.equal(policy.book.has(unusable), false)
    assert.deepEqual(policy.stats().dials, { outbound: 3, feeler: 0, failed: 1 }, 'an unusable address is no failed dial')
    /** Ticks up to `ms` from now; the peers dialled, each dial failing. */
    const redials = (ms: number): Array<{ at: number, peer: string }> => {
      const end = clock.now() + ms
      const seen: Array<{ at: number, peer: string }> = []
      while ((policy.nextDue() ?? Infinity) <= end) {
        for (const d of of(step(policy, clock), 'dial')) {
          seen.push({ at: clock.now(), peer: d.peer })
          policy.dialed(d.peer, 'failed')
        }
      }
      clock.advance(end - clock.now())
      return seen
    }
    const failedAt = clock.now()
    // first failure: a minute, then two; the third failure of a peer never reached drops it
    const early = redials(FAILED_RETRY_MS - 5_000)
    assert.deepEqual(early, [], 'nothing within FAILED_RETRY_MS')
    const first = redials(10_000)
    assert.deepEqual(first.map(d => d.peer), [failing])
    assert.ok(first[0].at - failedAt >= FAILED_RETRY_MS)
    const second = redials(2 * FAILED_RETRY_MS + 5_000)
    assert.deepEqual(second.map(d => d.peer), [failing], 'once more, two minutes later')
    assert.ok(second[0].at - first[0].at >= 2 * FAILED_RETRY_MS)
    assert.equal(policy.book.get(failing)?.attempts, 3)
    // the peer that connected, then left, is not redialled within dialRetryMs; the thrice failed one never
    assert.deepEqual(redials(600_000 - (clock.now() - failedAt) - 5_000), [])
    assert.deepEqual(redials(10_000).map(d => d.peer), [leaving])
  })

  it('with no outbound peer and nothing left to dial, asks an inbound peer (never in a round), one question at a time', () => {
    const { clock, policy } = setup({ feelerIntervalMs: 0, pexIntervalMs: 60_000 })
    policy.start([])
    for (let i = 0; i < 3; i++) policy.connected({ id: `in${i}`, peer: `i${i}`, direction: 'inbound', addr: addr(40 + i), openedAt: clock.now() })
    const asks = of(step(policy, clock), 'ask')
    assert.equal(asks.length, 1, 'one inbound peer asked')
    assert.match(asks[0].peer, /^i\d$/)
    // no second question while the first is out
    assert.deepEqual(of(step(policy, clock), 'ask'), [])
    // its answer teaches an address, which is dialled; once an outbound peer exists, inbound ones are not asked
    policy.answered(asks[0].peer, [{ peer: 'x1', addrs: [addr(60)], ageMs: 0 }])
    const dials = of(step(policy, clock), 'dial')
    assert.deepEqual(dials.map(d => d.peer), ['x1'])
    const asked = of(connect(policy, clock, 'x1', addr(60)).actions, 'ask')
    assert.deepEqual(asked.map(a => a.peer), ['x1'], 'the new outbound peer is asked')
    policy.answered('x1', [])
    for (let i = 0; i < 40; i++) {
      for (const ask of of(step(policy, clock), 'ask')) {
        assert.equal(ask.peer, 'x1', 'never an inbound peer while an outbound one exists')
        policy.answered(ask.peer, [])
      }
    }
  })

  it('past maxInbound evicts the youngest of the most crowded netgroup, and refuses the newcomer when every peer is protected', () => {
    const { clock, policy } = setup({ maxInbound: 2, eviction: { protectNetgroups: 0, protectLowLatency: 0, protectLongLivedShare: 0 } })
    policy.start()
    const open = (id: string, group: number): DiscoveryAction[] => {
      clock.advance(10)
      return policy.connected({ id, peer: id, direction: 'inbound', addr: addr(group, Number(id.slice(1))), openedAt: clock.now() })
    }
    assert.deepEqual(open('i1', 1), [])
    assert.deepEqual(open('i2', 1), [])
    // each one past the limit waits out a grace of its own
    assert.deepEqual(open('i3', 2), [])
    assert.deepEqual(open('i4', 3), [])
    assert.equal(policy.stats().inbound, 4)
    // i3's grace ends with it still there: an eviction by diversity, never i3 itself: the youngest
    // of the most crowded netgroup
    clock.advance(START + 30 + INBOUND_GRACE_MS - 1 - clock.now())
    assert.deepEqual(of(policy.tick(), 'close'), [])
    clock.advance(1)
    assert.deepEqual(of(policy.tick(), 'close'), [{ type: 'close', connection: 'i2', peer: 'i2', reason: 'evict' }])
    policy.disconnected('i2')
    // and i4's: one more, never i4
    clock.advance(10)
    const second = of(policy.tick(), 'close')
    assert.equal(second.length, 1)
    assert.notEqual(second[0].connection, 'i4')
    policy.disconnected(second[0].connection)
    assert.equal(policy.stats().inbound, 2)
    assert.deepEqual(policy.stats().closes, { feeler: 0, evict: 2 })
    policy.disconnected('i4')
    assert.deepEqual(open('i5', 3), [], 'a closed inbound connection frees its slot')

    const strict = setup({ maxInbound: 2 })
    strict.policy.start()
    for (const [i, id] of ['a', 'b'].entries()) assert.deepEqual(strict.policy.connected({ id, peer: id, direction: 'inbound', addr: addr(9 + i), openedAt: START }), [])
    assert.deepEqual(strict.policy.connected({ id: 'c', peer: 'c', direction: 'inbound', addr: addr(9), openedAt: START + 1 }), [])
    strict.clock.advance(INBOUND_GRACE_MS)
    // (with no outbound peer and an empty book, the node also asks one of its inbound peers)
    assert.deepEqual(of(strict.policy.tick(), 'close'), [{ type: 'close', connection: 'c', peer: 'c', reason: 'evict' }])
  })

  it('evicts nobody for a connection past maxInbound that closes within the grace, as another node\'s feeler does', () => {
    const { clock, policy } = setup({ maxInbound: 2, eviction: { protectNetgroups: 0, protectLowLatency: 0, protectLongLivedShare: 0 } })
    policy.start()
    for (const id of ['i1', 'i2']) {
      clock.advance(10)
      policy.connected({ id, peer: id, direction: 'inbound', addr: addr(1, Number(id.slice(1))), openedAt: clock.now() })
    }
    clock.advance(60_000)
    assert.deepEqual(policy.connected({ id: 'f', peer: 'f', direction: 'inbound', addr: addr(2), openedAt: clock.now() }), [])
    assert.equal(policy.stats().inbound, 3, 'one past the limit, for the grace')
    clock.advance(50)
    policy.disconnected('f')
    clock.advance(INBOUND_GRACE_MS)
    assert.deepEqual(of(policy.tick(), 'close'), [])
    assert.deepEqual(policy.stats().closes, { feeler: 0, evict: 0 })
    // and the next one past the limit has a grace of its own
    assert.deepEqual(policy.connected({ id: 'g', peer: 'g', direction: 'inbound', addr: addr(3), openedAt: clock.now() }), [])
    clock.advance(INBOUND_GRACE_MS - 1)
    assert.deepEqual(of(policy.tick(), 'close'), [])
    clock.advance(1)
    assert.deepEqual(of(policy.tick(), 'close'), [{ type: 'close', connection: 'i2', peer: 'i2', reason: 'evict' }], 'g stayed: the youngest other inbound peer goes')
  })

  it('gives every connection past maxInbound a grace of its own, up to INBOUND_GRACE_SLOTS at once: feelers in a row or together evict nobody', () => {
    const { clock, policy } = setup({ maxInbound: 2, eviction: { protectNetgroups: 0, protectLowLatency: 0, protectLongLivedShare: 0 } })
    policy.start()
    const open = (id: string, group: number): DiscoveryAction[] =>
      policy.connected({ id, peer: id, direction: 'inbound', addr: addr(group, 1), openedAt: clock.now() })
    for (const id of ['i1', 'i2']) {
      clock.advance(10)
      open(id, Number(id.slice(1)))
    }
    clock.advance(60_000)
    // a feeler comes and goes; within what was its grace, another comes: no eviction at once
    assert.deepEqual(open('f1', 10), [])
    clock.advance(20)
    policy.disconnected('f1')
    clock.advance(1000)
    assert.deepEqual(open('f2', 11), [], 'the grace of a feeler gone holds nobody back')
    // feelers together: each waits, and each closes within it
    assert.deepEqual(open('f3', 12), [])
    clock.advance(20)
    policy.disconnected('f2')
    policy.disconnected('f3')
    clock.advance(INBOUND_GRACE_MS)
    assert.deepEqual(of(policy.tick(), 'close'), [])
    assert.equal(policy.stats().closes.evict, 0)
    // past the slots, a peer goes at once; the connections that stay past their grace go then
    const staying = Array.from({ length: INBOUND_GRACE_SLOTS }, (_, i) => `s${i}`)
    for (const [i, id] of staying.entries()) assert.deepEqual(open(id, 20 + i), [])
    assert.equal(policy.stats().inbound, 2 + INBOUND_GRACE_SLOTS)
    const atOnce = of(open('extra', 30), 'close')
    assert.equal(atOnce.length, 1, 'one past the slots: an eviction at once')
    policy.disconnected(atOnce[0].connection)
    clock.advance(INBOUND_GRACE_MS)
    const evicted = of(policy.tick(), 'close')
    assert.equal(evicted.length, INBOUND_GRACE_SLOTS, 'each grace that ends with the limit passed evicts one')
    for (const c of evicted) policy.disconnected(c.connection)
    assert.equal(policy.stats().inbound, 2, 'back at the limit')
  })

  it('counts outbound connections as they open and close, inbound ones aside', () => {
    const { policy } = setup()
    policy.start()
    policy.connected({ id: 'o1', peer: 'p1', direction: 'outbound', addr: addr(1), openedAt: START })
    policy.connected({ id: 'i1', peer: 'p2', direction: 'inbound', addr: addr(2), openedAt: START })
    policy.connected({ id: 'o2', peer: 'p3', direction: 'outbound', addr: addr(3), openedAt: START })
    policy.connected({ id: 'o2', peer: 'p3', direction: 'outbound', addr: addr(3), openedAt: START })
    assert.deepEqual(policy.outboundPeers(), ['p1', 'p3'], 'a connection told twice counts once')
    policy.disconnected('o1')
    policy.disconnected('i1')
    policy.disconnected('i1')
    assert.deepEqual(policy.outboundPeers(), ['p3'])
    assert.equal(policy.stats().inbound, 0)
    assert.equal(policy.stats().outbound, 1)
  })

  it('answers every asker from one sample of at most 23 % of the book (at least 64 peers) until pexCacheMs has passed or the book has doubled', () => {
    const { clock, policy } = setup({ pexCacheMs: 600_000, pexPeerIntervalMs: 60_000 })
    const book = (from: number, n: number): Array<{ peer: string, addrs: string[] }> =>
      Array.from({ length: n }, (_, i) => ({ peer: `b${from + i}`, addrs: [addr((from + i) % 250, Math.floor((from + i) / 250))] }))
    policy.start(book(0, 1000))
    const size = policy.book.size
    assert.ok(size > 500, `${size} in the book`)
    const peersOf = (asker: string): string[] => {
      const answer = policy.serve(asker, 1000)
      assert.ok('records' in answer)
      return answer.records.map(r => r.peer)
    }
    const a = peersOf('x1')
    assert.equal(a.length, Math.ceil(0.23 * size), 'asked for 1000, given 23 % of the book')
    assert.equal(new Set(a).size, a.length)
    // another asker, and the first one again later: the same peers
    clock.advance(60_000)
    assert.deepEqual(peersOf('x2'), a)
    assert.deepEqual(peersOf('x1'), a, 'asking again learns nothing')
    // an asker in the sample is left out of its own answer, which keeps its length
    const inside = policy.serve(a[3], 1000)
    assert.ok('records' in inside)
    assert.ok(!inside.records.some(r => r.peer === a[3]))
    assert.equal(inside.records.length, a.length)
    // ages count from when the book heard of each peer, at the moment of the answer
    const aged = policy.serve('x3', 1000)
    assert.ok('records' in aged && aged.records.every(r => r.ageMs >= 60_000))
    // the lifetime is 0.5-1.5 times pexCacheMs: by 1.5 times a new sample
    clock.advance(900_000)
    const b = peersOf('x4')
    assert.notDeepEqual(b, a)
    assert.equal(b.length, a.length)

    // the book doubled: a new sample at once, though pexCacheMs has not passed
    clock.advance(60_000)
    policy.start(book(1000, 1500))
    assert.ok(policy.book.size >= 2 * size, `${policy.book.size} in the book`)
    const c = peersOf('x5')
    assert.equal(c.length, Math.ceil(0.23 * policy.book.size))
    assert.ok(c.some(peer => Number(peer.slice(1)) >= 1000), 'with peers learned since')

    // a young node gives its small book (up to 64) whole, as it is at each answer
    const young = setup({ pexCacheMs: 600_000 }, 'young')
    young.policy.start(book(0, 10))
    const first = young.policy.serve('y1', 1000)
    assert.ok('records' in first)
    assert.equal(first.records.length, 10)
    young.policy.start(book(10, 5))
    young.clock.advance(1000)
    const grown = young.policy.serve('y2', 1000)
    assert.ok('records' in grown)
    assert.equal(grown.records.length, 15, 'the five learned since are in')
  })

  it('with pexCacheMs 0 draws a fresh sample for every answer', () => {
    const { clock, policy } = setup({ pexCacheMs: 0, pexPeerIntervalMs: 0, maxAnswerPeers: 64 })
    policy.start(Array.from({ length: 600 }, (_, i) => ({ peer: `b${i}`, addrs: [addr(i % 250, Math.floor(i / 250))] })))
    const a = policy.serve('x1', 1000)
    clock.advance(1)
    const b = policy.serve('x1', 1000)
    assert.ok('records' in a && 'records' in b)
    assert.equal(a.records.length, 64)
    assert.notDeepEqual(a.records.map(r => r.peer), b.records.map(r => r.peer))
  })

  it('serves at most max peers, never the asker, and refuses a second request within the interval', () => {
    const { clock, policy } = setup({ pexPeerIntervalMs: 60_000, maxAnswerPeers: 5 })
    policy.start(seeds(20))
    const answer = policy.serve('p3', 100)
    assert.ok('records' in answer)
    assert.equal(answer.records.length, 5)
    assert.ok(answer.records.every(r => r.peer !== 'p3'))
    const again = policy.serve('p3', 100)
    assert.deepEqual(again, { tooSoonMs: 0 })
    clock.advance(54_000)
    assert.ok('records' in policy.serve('p3', 2), 'within the 10 % tolerance')
    assert.equal(policy.stats().pex.served, 2)
  })

  it('saves the longest-standing outbound peers as anchors when they change, and again on the way down only if they changed', () => {
    const { clock, policy } = setup({ targetOutbound: 3, anchors: 2, feelerIntervalMs: 0 })
    policy.start(seeds(3))
    const dials = of(step(policy, clock), 'dial')
    assert.equal(dials.length, 3)
    for (const d of dials) {
      clock.advance(100)
      connect(policy, clock, d.peer, d.addrs[0])
    }
    const saved = of(step(policy, clock), 'save-anchors')
    assert.deepEqual(saved, [{ type: 'save-anchors', anchors: dials.slice(0, 2).map(d => ({ peer: d.peer, addrs: [...d.addrs] })) }])
    assert.deepEqual(of(step(policy, clock), 'save-anchors'), [], 'unchanged: not saved again')
    policy.saveFailed()
    assert.equal(of(step(policy, clock), 'save-anchors').length, 1, 'a failed save is retried')
    assert.deepEqual(policy.stopping(), [])
    assert.equal(policy.nextDue(), undefined, 'no round once stopping')
    clock.advance(60_000)
    assert.deepEqual(policy.tick(), [], 'no save in rounds once stopping')
    policy.stop()
    assert.equal(policy.nextDue(), undefined)
    assert.deepEqual(policy.tick(), [])
  })

  it('does nothing once the node is stopping: no round, no dial for a connection that closed, no question to a new outbound peer', () => {
    const { clock, policy } = setup({ targetOutbound: 3, anchors: 0 })
    policy.start(seeds(6))
    const dials = of(step(policy, clock), 'dial')
    assert.equal(dials.length, 3)
    const ids = dials.slice(0, 2).map(d => connect(policy, clock, d.peer, d.addrs[0]).id)
    assert.ok(policy.nextDue() != null, 'rounds are due while running')
    assert.deepEqual(policy.stopping(), [])
    assert.equal(policy.nextDue(), undefined)
    // the third dial connects during the stop, and one connection closes: no question, no dial
    const late = connect(policy, clock, dials[2].peer, dials[2].addrs[0])
    assert.deepEqual(late.actions, [])
    policy.disconnected(ids[0])
    for (let t = 0; t < 10; t++) {
      clock.advance(60_000)
      assert.deepEqual(policy.tick(), [])
    }
    assert.equal(policy.nextDue(), undefined)
  })

  it("saves the anchors again when an anchor's addresses change in the book or an anchor goes, and picks the earliest opened, the first of equals", () => {
    const { clock, policy } = setup({ targetOutbound: 3, anchors: 2, feelerIntervalMs: 0 })
    policy.start([])
    // three outbound connections opened at the same moment: the first two are the anchors
    const ids = ['a', 'b', 'c'].map((peer, i) => connect(policy, clock, peer, addr(i + 1)).id)
    const first = of(step(policy, clock), 'save-anchors')
    assert.deepEqual(first.map(s => s.anchors.map(a => a.peer)), [['a', 'b']])
    assert.deepEqual(of(step(policy, clock), 'save-anchors'), [], 'unchanged')
    // identify tells of another address of b: it joins b's anchor, after the connection's own
    policy.identified('b', [addr(2), addr(9)])
    const second = of(step(policy, clock), 'save-anchors')
    assert.deepEqual(second.map(s => s.anchors), [[{ peer: 'a', addrs: [addr(1)] }, { peer: 'b', addrs: [addr(2), addr(9)] }]])
    assert.deepEqual(of(step(policy, clock), 'save-anchors'), [], 'unchanged')
    // a goes: c is the next longest-standing
    policy.disconnected(ids[0])
    const third = of(step(policy, clock), 'save-anchors')
    assert.deepEqual(third.map(s => s.anchors.map(a => a.peer)), [['b', 'c']])
  })

  it('a flood of addresses in one netgroup from one source fills one bucket and can take at most one outbound slot', () => {
    const { clock, policy } = setup({ targetOutbound: 8, maxParallelDials: 8, feelerIntervalMs: 0 })
    policy.start(seeds(8))
    connect(policy, clock, 'evil', '/ip4/66.66.0.1/tcp/1')
    const flood = Array.from({ length: 1000 }, (_, i) => ({ peer: `e${i}`, addrs: [`/ip4/66.66.${i >> 8}.${i & 255}/tcp/1`], ageMs: 0 }))
    const added = policy.answered('evil', flood)
    assert.ok(added <= 64, `${added} of 1000 kept: one bucket`)
    for (let round = 0; round < 5; round++) {
      for (const d of of(step(policy, clock), 'dial')) connect(policy, clock, d.peer, d.addrs[0])
    }
    const groups = policy.stats().outboundByGroup
    assert.ok(Object.values(groups).every(n => n === 1), JSON.stringify(groups))
    assert.ok((groups['ip4:66.66'] ?? 0) <= 1)
  })

  it('is deterministic: the same seed and events give the same actions', () => {
    const run = (seed: string): string => {
      nextId = 0
      const { clock, policy } = setup({ targetOutbound: 4 }, seed)
      const log: DiscoveryAction[] = [...policy.start(seeds(30))]
      for (let i = 0; i < 60; i++) {
        const actions = step(policy, clock)
        log.push(...actions)
        for (const a of actions) {
          if (a.type === 'dial') log.push(...connect(policy, clock, a.peer, a.addrs[0]).actions)
          if (a.type === 'ask') policy.answered(a.peer, [])
          if (a.type === 'close') policy.disconnected(a.connection)
        }
      }
      return JSON.stringify(log)
    }
    assert.equal(run('one'), run('one'))
    assert.notEqual(run('one'), run('two'))
  })
})
