import assert from 'node:assert/strict'
import { AddressBook, AddressBookOptionError, planFeeler, planOutbound, type AddressBookOptions } from '@hearsay/discovery/address-book'
import { ManualClock, seededRng } from '@hearsay/sansio'

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

function book (seed: string, options: Partial<AddressBookOptions> = {}): { book: AddressBook, clock: ManualClock } {
  const clock = new ManualClock(1_700_000_000_000)
  return { book: new AddressBook({ clock, rng: seededRng(seed), ...options }), clock }
}

/** Honest peer i lives in its own /16: 10.i.0.1 (i < 200) or 11.(i-200).0.1. */
function honestAddr (i: number): string {
  return `/ip4/${10 + Math.floor(i / 250)}.${i % 250}.0.1/tcp/4001`
}

/** Connect outbound slots the way the service does: plan, dial (all succeed), repeat. */
function fillOutbound (b: AddressBook, clock: ManualClock, target: number): string[] {
  const connected: string[] = []
  const groups = new Set<string>()
  for (let round = 0; round < 50 && groups.size < target; round++) {
    const plan = planOutbound(b, {
      target,
      outboundGroups: groups,
      skip: peer => connected.includes(peer),
      retryMs: 10 * MINUTE,
      now: clock.now()
    })
    for (const entry of plan) {
      b.good(entry.peer)
      connected.push(entry.peer)
      groups.add(entry.group)
    }
    clock.advance(1000)
  }
  return connected
}

describe('AddressBook', () => {
  it('never stores relayed (/p2p-circuit) addresses: they are the relay\'s, not the peer\'s netgroup', () => {
    const { book: b } = book('circuit')
    const relay = '/ip4/11.0.0.1/tcp/4001/p2p/12D3KooWJzQ5w3bUhQPxXhZZKBKTjLFFwC5yK46p65HgyFSpG4if/p2p-circuit'
    assert.equal(b.add('natted', [relay], { addr: '/ip4/23.0.0.1/tcp/4001' }), false)
    assert.equal(b.has('natted'), false)
    b.add('both', [relay, '/ip4/41.0.0.1/tcp/4001'], { addr: '/ip4/23.0.0.1/tcp/4001' })
    assert.deepEqual(b.get('both')?.addrs, ['/ip4/41.0.0.1/tcp/4001'])
    assert.equal(b.get('both')?.group, 'ip4:41.0')
  })

  it('rejects unusable options', () => {
    assert.throws(() => book('x', { bucketSize: 0 }), AddressBookOptionError)
    assert.throws(() => book('x', { newBucketCount: 8, newBucketsPerSourceGroup: 9 }), /newBucketsPerSourceGroup/)
    assert.throws(() => book('x', { relayPenaltyMs: -1 }), /relayPenaltyMs/)
  })

  it('an attacker with 5,000 addresses in one /16, injected through many PEX answers, holds at most one outbound slot and a bounded share of new; honest addresses survive', () => {
    const results: Array<{ attackerNew: number, attackerOutbound: number, newSize: number }> = []
    for (let run = 0; run < 10; run++) {
      const { book: b, clock } = book(`eclipse-${run}`)
      // 300 honest peers, each in its own /16, told by 30 honest sources in 30 other /16s
      const honest: string[] = []
      for (let i = 0; i < 300; i++) {
        if (b.add(`honest-${i}`, [honestAddr(i)], { addr: `/ip4/172.${16 + (i % 30)}.0.1/tcp/1` })) honest.push(`honest-${i}`)
      }
      // two honest peers may hash to one slot; nearly all get in
      assert.ok(honest.length >= 290, `${honest.length} honest peers added`)
      // the attacker: 50 PEX answers of 100 addresses, all in 66.66.0.0/16, from peers in
      // 66.66.0.0/16 and in 4 more /16s it rents
      let injected = 0
      for (let answer = 0; answer < 50; answer++) {
        const source = { addr: answer < 30 ? `/ip4/66.66.${answer}.9/tcp/1` : `/ip4/${90 + (answer % 4)}.1.0.1/tcp/1` }
        for (let k = 0; k < 100; k++) {
          const n = answer * 100 + k
          b.add(`attacker-${n}`, [`/ip4/66.66.${Math.floor(n / 250)}.${n % 250}/tcp/4001`], source)
          injected++
        }
        clock.advance(1000)
      }
      assert.equal(injected, 5000)
      const entries = [...b.entries()]
      const attackerNew = entries.filter(e => e.peer.startsWith('attacker-') && e.table === 'new').length
      // one (address group, source group) pair maps to one bucket: 5 source groups -> at most 5 buckets
      assert.ok(attackerNew <= 5 * 64, `attacker holds ${attackerNew} new entries`)
      for (const peer of honest) assert.ok(b.has(peer), `${peer} survived`)

      const outbound = fillOutbound(b, clock, 8)
      assert.equal(outbound.length, 8)
      const attackerOutbound = outbound.filter(p => p.startsWith('attacker-')).length
      assert.ok(attackerOutbound <= 1, `attacker holds ${attackerOutbound} outbound slots`)
      const groups = new Set(outbound.map(p => b.get(p)?.group))
      assert.equal(groups.size, 8, 'one outbound connection per netgroup')
      results.push({ attackerNew, attackerOutbound, newSize: b.stats().new })
    }
    const worstShare = Math.max(...results.map(r => r.attackerNew / r.newSize))
    assert.ok(worstShare < 0.6, `attacker share of new at most ${worstShare}`)
    // over 10 runs the attacker's one netgroup wins a slot now and then, never more than one
    const withSlot = results.filter(r => r.attackerOutbound > 0).length
    console.log(`      attacker: <= ${Math.max(...results.map(r => r.attackerNew))} of 5000 addresses kept in new (share <= ${(worstShare * 100).toFixed(0)}%), an outbound slot in ${withSlot}/10 runs`)
  })

  it('attacker addresses injected first do not keep honest ones out', () => {
    const { book: b } = book('first')
    for (let n = 0; n < 5000; n++) b.add(`attacker-${n}`, [`/ip4/66.66.${Math.floor(n / 250)}.${n % 250}/tcp/1`], { addr: '/ip4/66.66.0.9/tcp/1' })
    assert.ok(b.stats().new <= 64)
    assert.equal(b.stats().newBuckets, 1)
    let added = 0
    for (let i = 0; i < 100; i++) if (b.add(`honest-${i}`, [honestAddr(i)], { addr: `/ip4/172.${16 + (i % 10)}.0.1/tcp/1` })) added++
    // only a collision with another honest peer in its own bucket can drop one
    assert.ok(added >= 95, `${added} of 100 honest peers added`)
  })

  it('a new address displaces only a terrible one', () => {
    const { book: b, clock } = book('terrible', { newBucketCount: 1, newBucketsPerSourceGroup: 1, bucketSize: 1 })
    assert.ok(b.add('a', ['/ip4/1.1.1.1/tcp/1']))
    assert.equal(b.add('b', ['/ip4/2.2.2.2/tcp/1']), false, 'the slot is taken by a good entry')
    for (let i = 0; i < 3; i++) { b.attempt('a'); clock.advance(2 * MINUTE) }
    assert.ok(b.isTerrible('a'))
    assert.ok(b.add('b', ['/ip4/2.2.2.2/tcp/1']))
    assert.equal(b.has('a'), false)
  })

  it('a full bucket of live entries takes no newcomer; once one is terrible, a newcomer hashed to its slot takes it', () => {
    const { book: b, clock } = book('full-bucket', { newBucketCount: 1, newBucketsPerSourceGroup: 1, bucketSize: 4 })
    const placed: string[] = []
    for (let i = 0; i < 1000 && placed.length < 4; i++) if (b.add(`p${i}`, [honestAddr(i)])) placed.push(`p${i}`)
    assert.equal(placed.length, 4)
    for (let i = 0; i < 100; i++) assert.equal(b.add(`late${i}`, [honestAddr(300 + i)]), false, 'every slot holds a live entry')
    for (let i = 0; i < 3; i++) { b.attempt(placed[0]); clock.advance(2 * MINUTE) }
    assert.ok(b.isTerrible(placed[0]))
    let taken: string | undefined
    for (let i = 0; i < 200 && taken == null; i++) if (b.add(`later${i}`, [honestAddr(300 + i)])) taken = `later${i}`
    assert.ok(taken != null, 'some newcomer hashes to the terrible entry\'s slot')
    assert.equal(b.has(placed[0]), false)
    assert.deepEqual(placed.slice(1).map(peer => b.has(peer)), [true, true, true], 'the live entries stay')
    assert.equal(b.size, 4)
  })

  it('a tried entry whose confirmed address moves to another netgroup is placed by its new netgroup', () => {
    // one tried slot per netgroup: 10.1's and 10.2's
    const { book: b } = book('regroup', { triedBucketCount: 64, triedBucketsPerGroup: 1, bucketSize: 1 })
    assert.ok(b.add('p', [honestAddr(1)]))
    assert.ok(b.good('p').tried)
    b.add('p', [honestAddr(2)], {}, { confirmed: true })
    assert.equal(b.get('p')?.group, 'ip4:10.2')
    assert.equal(b.get('p')?.table, 'tried', 'back in tried, in 10.2\'s slot')
    // 10.1's slot is free again: a peer of 10.1 takes it without a collision
    assert.ok(b.add('q', [honestAddr(1)], { group: 'other' }))
    assert.deepEqual(b.good('q'), { tried: true })
  })

  it('addresses not heard of for 30 days become terrible and are not selected', () => {
    const { book: b, clock } = book('stale')
    b.add('old', ['/ip4/1.1.1.1/tcp/1'])
    clock.advance(31 * DAY)
    assert.ok(b.isTerrible('old'))
    assert.equal(b.select(), undefined)
    assert.deepEqual(b.sample(10), [])
  })

  it('tests before it evicts: a tried entry that still answers keeps its slot', () => {
    const { book: b, clock } = book('collide', { triedBucketCount: 1, triedBucketsPerGroup: 1, bucketSize: 1 })
    b.add('old', ['/ip4/1.1.1.1/tcp/1'])
    b.add('newcomer', ['/ip4/2.2.2.2/tcp/1'])
    assert.deepEqual(b.good('old'), { tried: true })
    clock.advance(5 * 60 * MINUTE)
    const result = b.good('newcomer')
    assert.deepEqual(result, { tried: false, collision: 'old' })
    assert.equal(b.stats().collisions, 1)
    // the feeler tests the old one first
    assert.equal(planFeeler(b, { outboundGroups: new Set(), skip: () => false, retryMs: 0, now: clock.now() })?.peer, 'old')
    b.good('old')
    b.resolveCollisions()
    assert.equal(b.get('old')?.table, 'tried')
    assert.equal(b.get('newcomer')?.table, 'new')
    assert.equal(b.stats().collisions, 0)
  })

  it('tests before it evicts: a tried entry that fails its test is moved back to new', () => {
    const { book: b, clock } = book('collide-2', { triedBucketCount: 1, triedBucketsPerGroup: 1, bucketSize: 1 })
    b.add('old', ['/ip4/1.1.1.1/tcp/1'])
    b.add('newcomer', ['/ip4/2.2.2.2/tcp/1'])
    b.good('old')
    clock.advance(5 * 60 * MINUTE)
    b.good('newcomer')
    b.attempt('old')
    b.resolveCollisions()
    assert.equal(b.get('newcomer')?.table, 'new', 'not before a minute has passed since the failed test')
    clock.advance(2 * MINUTE)
    b.resolveCollisions()
    assert.equal(b.get('newcomer')?.table, 'tried')
    assert.equal(b.get('old')?.table, 'new')
  })

  it('an untested collision evicts after the test window', () => {
    const { book: b, clock } = book('collide-3', { triedBucketCount: 1, triedBucketsPerGroup: 1, bucketSize: 1 })
    b.add('old', ['/ip4/1.1.1.1/tcp/1'])
    b.add('newcomer', ['/ip4/2.2.2.2/tcp/1'])
    b.good('old')
    clock.advance(5 * 60 * MINUTE)
    b.good('newcomer')
    clock.advance(41 * MINUTE)
    b.resolveCollisions()
    assert.equal(b.get('newcomer')?.table, 'tried')
  })

  it('selection favours fresh addresses without failures', () => {
    const { book: b, clock } = book('weights')
    for (let i = 0; i < 20; i++) b.add(`good-${i}`, [honestAddr(i)], { addr: `/ip4/172.16.${i}.1/tcp/1` })
    for (let i = 20; i < 40; i++) {
      b.add(`failing-${i}`, [honestAddr(i)], { addr: `/ip4/172.16.${i}.1/tcp/1` })
      b.attempt(`failing-${i}`)
      b.attempt(`failing-${i}`)
    }
    for (let i = 40; i < 60; i++) b.add(`stale-${i}`, [honestAddr(i)], { addr: `/ip4/172.16.${i}.1/tcp/1` }, { ageMs: 20 * DAY })
    clock.advance(11 * MINUTE)
    const counts = { good: 0, failing: 0, stale: 0 }
    for (let i = 0; i < 3000; i++) {
      const e = b.select()
      if (e != null) counts[e.peer.split('-')[0] as keyof typeof counts]++
    }
    assert.ok(counts.good > counts.failing * 1.5, JSON.stringify(counts))
    assert.ok(counts.good > counts.stale * 1.5, JSON.stringify(counts))
    assert.ok(counts.failing > 0 && counts.stale > 0, 'every entry keeps some chance')
  })

  it('sample never exceeds the request and never includes the excluded peer', () => {
    const { book: b } = book('sample')
    for (let i = 0; i < 100; i++) b.add(`p-${i}`, [honestAddr(i)], { addr: `/ip4/172.16.${i}.1/tcp/1` })
    assert.equal(b.sample(10, 'p-3').length, 10)
    assert.ok(b.has('p-3'))
    for (let i = 0; i < 50; i++) assert.ok(!b.sample(99, 'p-3').some(e => e.peer === 'p-3'))
    assert.equal(b.sample(1000, 'p-3').length, b.size - (b.has('p-3') ? 1 : 0))
    assert.deepEqual(b.sample(0), [])
  })

  it('never stores itself, keeps at most maxAddrsPerPeer addresses, drops junk', () => {
    const { book: b } = book('self', { self: 'me', maxAddrsPerPeer: 2 })
    assert.equal(b.add('me', ['/ip4/1.1.1.1/tcp/1']), false)
    assert.equal(b.add('x', ['not-an-addr', '/ip4/1.1.1.1/tcp/1', '/ip4/1.1.1.1/tcp/2', '/ip4/1.1.1.1/tcp/3']), true)
    assert.deepEqual(b.get('x')?.addrs, ['/ip4/1.1.1.1/tcp/1', '/ip4/1.1.1.1/tcp/2'])
    assert.equal(b.add('y', ['junk', 42 as any]), false)
    assert.equal(b.add('z', 'not-an-array' as any), false)
    // a confirmed (identify) update replaces the addresses and moves the entry to its new group
    b.add('x', ['/ip4/9.9.9.9/tcp/1'], { addr: '/ip4/9.9.9.9/tcp/5' }, { confirmed: true })
    assert.deepEqual(b.get('x')?.addrs, ['/ip4/9.9.9.9/tcp/1'])
    assert.equal(b.get('x')?.group, 'ip4:9.9')
  })

  it('is deterministic for a seed', () => {
    const picks = (seed: string): string[] => {
      const { book: b } = book(seed)
      for (let i = 0; i < 200; i++) b.add(`p-${i}`, [honestAddr(i)], { addr: `/ip4/172.16.${i % 7}.1/tcp/1` })
      return Array.from({ length: 20 }, () => b.select()?.peer ?? '')
    }
    assert.deepEqual(picks('same'), picks('same'))
    assert.notDeepEqual(picks('same'), picks('other'))
  })

  it('planOutbound keeps one outbound per netgroup even when every address shares one', () => {
    const { book: b, clock } = book('one-group')
    for (let i = 0; i < 50; i++) b.add(`p-${i}`, [`/ip4/5.5.${i}.1/tcp/1`], { addr: `/ip4/172.16.${i}.1/tcp/1` })
    const outbound = fillOutbound(b, clock, 8)
    assert.equal(outbound.length, 1)
  })

  it('stats count tables, buckets and groups', () => {
    const { book: b } = book('stats')
    for (let i = 0; i < 10; i++) b.add(`p-${i}`, [honestAddr(i)], { addr: '/ip4/172.16.0.1/tcp/1' })
    b.good('p-0')
    const s = b.stats()
    assert.equal(s.new + s.tried, b.size)
    assert.equal(s.tried, 1)
    assert.equal(s.groups, 10)
    assert.ok(s.newBuckets >= 1 && s.triedBuckets === 1)
  })
})
