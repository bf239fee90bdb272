import assert from 'node:assert/strict'
import { ManualClock } from '@hearsay/sansio'
import { DEFAULT_INFRACTIONS, Ledger, SCORING_DEFAULTS, ScoringOptionError } from '@hearsay/scoring/ledger'
import type { BanRecord } from '@hearsay/scoring/ledger'

const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR
const T0 = 1_700_000_000_000

function close (actual: number, expected: number, tolerance = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} is not ${expected}`)
}

function setup (options: Partial<ConstructorParameters<typeof Ledger>[0]> = {}): { clock: ManualClock, ledger: Ledger } {
  const clock = new ManualClock(T0)
  return { clock, ledger: new Ledger({ clock, ...options }) }
}

describe('Ledger', () => {
  describe('points', () => {
    it('adds the weight of each infraction from the default table', () => {
      const { ledger } = setup()
      assert.deepEqual(ledger.report('a', 'malformed-frame'), { score: 10, weight: 10 })
      assert.deepEqual(ledger.report('a', 'invalid-message', 'bad signature'), { score: 30, weight: 20 })
      assert.equal(ledger.report('a', 'stalled').score, 31)
      assert.equal(ledger.score('a'), 31)
      assert.equal(ledger.score('never-seen'), 0)
      assert.equal(ledger.peerCount, 1)
    })

    it('gives names in no table the unknown weight, so a typo is not free', () => {
      const { ledger } = setup()
      assert.equal(ledger.weight('no-such-infraction'), SCORING_DEFAULTS.unknownInfractionWeight)
      assert.equal(ledger.weight('constructor'), SCORING_DEFAULTS.unknownInfractionWeight)
      assert.equal(ledger.report('a', 'no-such-infraction').score, 10)
    })

    it('decays with an exact half-life, computed when read', () => {
      const { clock, ledger } = setup({ halfLifeMs: HOUR })
      ledger.report('a', 'invalid-message')
      ledger.report('a', 'invalid-message')
      assert.equal(ledger.score('a'), 40)
      clock.advance(HOUR)
      close(ledger.score('a'), 20)
      clock.advance(HOUR / 2)
      close(ledger.score('a'), 20 * Math.SQRT1_2)
      // a new report lands on top of the decayed points
      close(ledger.report('a', 'malformed-frame').score, 20 * Math.SQRT1_2 + 10)
      clock.advance(3 * HOUR)
      close(ledger.score('a'), (20 * Math.SQRT1_2 + 10) / 8)
    })

    it('does not decay with an infinite half-life', () => {
      const { clock, ledger } = setup({ halfLifeMs: Infinity })
      ledger.report('a', 'oversized-frame')
      clock.advance(365 * DAY)
      assert.equal(ledger.score('a'), 50)
    })

    it('applies the application table over the defaults', () => {
      const { ledger } = setup({ infractions: { 'invalid-vote': 25, stalled: 0 } })
      assert.equal(ledger.weight('invalid-vote'), 25)
      assert.equal(ledger.weight('stalled'), 0)
      assert.equal(ledger.weight('bad-piece'), DEFAULT_INFRACTIONS['bad-piece'])
      // a zero-weight report does not start tracking a peer
      assert.deepEqual(ledger.report('a', 'stalled'), { score: 0, weight: 0 })
      assert.equal(ledger.peerCount, 0)
      for (let i = 0; i < 3; i++) assert.equal(ledger.report('a', 'invalid-vote').banned, undefined)
      const { banned, score } = ledger.report('a', 'invalid-vote', 'vote for a closed round')
      assert.equal(score, 100)
      assert.match(banned?.reason ?? '', /invalid-vote: vote for a closed round/)
      assert.deepEqual(ledger.infractions()['invalid-vote'], 25)
    })

    it('refuses unusable options with a named error', () => {
      const clock = new ManualClock()
      const bad: Array<[string, object]> = [
        ['threshold', { threshold: 0 }],
        ['threshold', { threshold: Infinity }],
        ['halfLifeMs', { halfLifeMs: -1 }],
        ['banDurationMs', { banDurationMs: Number.NaN }],
        ['infractions.x', { infractions: { x: -5 } }],
        ['credits.y', { credits: { y: Infinity } }],
        ['maxPeers', { maxPeers: 0 }],
        ['maxBans', { maxBans: 1.5 }],
        ['banIpAfter', { banIpAfter: 0 }]
      ]
      for (const [option, options] of bad) {
        assert.throws(() => new Ledger({ clock, ...options }), (err: any) => {
          return err instanceof ScoringOptionError && err.name === 'ScoringOptionError' && err.option === option
        }, option)
      }
      assert.throws(() => new Ledger({} as any), ScoringOptionError)
    })
  })

  describe('bans', () => {
    it('bans when the score, in whole points, reaches the threshold', () => {
      const { clock, ledger } = setup()
      for (let i = 0; i < 4; i++) assert.equal(ledger.report('a', 'invalid-message').banned, undefined)
      assert.equal(ledger.isBanned('a'), false)
      const result = ledger.report('a', 'invalid-message', 'bad signature')
      assert.equal(result.score, 100)
      assert.deepEqual(result.banned, {
        peer: 'a',
        reason: 'reached 100 points; last infraction invalid-message: bad signature',
        since: T0,
        until: T0 + DAY,
        strikes: 1,
        ips: [],
        manual: false
      })
      assert.equal(ledger.isBanned('a'), true)

      // whole points are compared: five reports 1 ms apart are still a ban...
      for (let i = 0; i < 5; i++) {
        clock.advance(1)
        ledger.report('b', 'invalid-message')
      }
      assert.equal(ledger.isBanned('b'), true)
      // ...but five reports 10 minutes apart decay to 93.7 points, which is not
      for (let i = 0; i < 5; i++) {
        if (i > 0) clock.advance(10 * 60 * 1000)
        const { banned } = ledger.report('c', 'invalid-message')
        assert.equal(banned, undefined)
      }
      close(ledger.score('c'), 20 * [0, 1, 2, 3, 4].reduce((sum, k) => sum + Math.pow(2, -k / 6), 0))
      assert.equal(ledger.isBanned('c'), false)
      // and a score that rounds to 99 is not a ban either
      const { ledger: strict } = setup({ infractions: { big: 99.4, tiny: 0.05 } })
      strict.report('d', 'big')
      assert.equal(strict.report('d', 'tiny').banned, undefined)
      assert.ok(strict.report('d', 'tiny').banned != null)
    })

    it('wipes the points of a banned peer and ignores reports while it is banned', () => {
      const { ledger } = setup()
      ledger.report('a', 'bad-piece')
      assert.equal(ledger.isBanned('a'), true)
      assert.equal(ledger.score('a'), 0)
      assert.equal(ledger.peerCount, 0)
      assert.deepEqual(ledger.report('a', 'bad-piece'), { score: 0, weight: 0 })
      assert.equal(ledger.credit('a', 'useful'), 0)
      assert.equal(ledger.banCount, 1)
    })

    it('expires on time, by the clock alone and through expire()', () => {
      const { clock, ledger } = setup({ banDurationMs: 1000 })
      ledger.report('a', 'bad-piece')
      clock.advance(500)
      ledger.report('b', 'bad-piece')
      assert.equal(ledger.nextExpiry(), T0 + 1000)
      clock.advance(499)
      assert.equal(ledger.isBanned('a'), true)
      assert.deepEqual(ledger.expire(), [])
      clock.advance(1)
      // past its expiry a ban no longer counts, even before expire() runs
      assert.equal(ledger.isBanned('a'), false)
      assert.deepEqual(ledger.list().map(ban => ban.peer), ['b'])
      assert.deepEqual(ledger.expire().map(ban => ban.peer), ['a'])
      assert.equal(ledger.nextExpiry(), T0 + 1500)
      clock.advance(10_000)
      assert.deepEqual(ledger.expire().map(ban => ban.peer), ['b'])
      assert.equal(ledger.nextExpiry(), undefined)
      assert.equal(ledger.banCount, 0)
      // the peer comes back with a clean slate
      assert.equal(ledger.report('a', 'malformed-frame').score, 10)
    })

    it('bans, lists and unbans by hand', () => {
      const { clock, ledger } = setup()
      const { banned } = ledger.ban('a', { durationMs: 5000, reason: 'spam' })
      assert.deepEqual(banned, { peer: 'a', reason: 'spam', since: T0, until: T0 + 5000, strikes: 1, ips: [], manual: true })
      clock.advance(1)
      assert.equal(ledger.ban('b').banned?.until, T0 + 1 + DAY)
      clock.advance(1)
      assert.equal(ledger.ban('c', { durationMs: Infinity }).banned?.until, Infinity)
      assert.deepEqual(ledger.list().map(ban => ban.peer), ['a', 'b', 'c'])

      // banning again replaces the ban without counting a second strike
      assert.equal(ledger.ban('a', { durationMs: 10_000 }).banned?.strikes, 1)
      assert.equal(ledger.getBan('a')?.until, T0 + 2 + 10_000)

      assert.equal(ledger.unban('b')?.peer, 'b')
      assert.equal(ledger.unban('b'), undefined)
      assert.equal(ledger.isBanned('b'), false)
      assert.deepEqual(ledger.list().map(ban => ban.peer), ['c', 'a'])

      clock.advance(100 * 365 * DAY)
      assert.deepEqual(ledger.expire().map(ban => ban.peer), ['a'])
      assert.equal(ledger.isBanned('c'), true)
      assert.equal(ledger.nextExpiry(), undefined)

      assert.throws(() => ledger.ban('d', { durationMs: 0 }), ScoringOptionError)
      assert.throws(() => ledger.ban('d', { durationMs: -1 }), ScoringOptionError)
    })

    it('never bans an allow-listed peer, yet counts its points', () => {
      const { ledger } = setup({ allow: ['friend'] })
      for (let i = 0; i < 3; i++) assert.equal(ledger.report('friend', 'bad-piece').banned, undefined)
      assert.equal(ledger.score('friend'), 300)
      assert.equal(ledger.isBanned('friend'), false)
      assert.deepEqual(ledger.ban('friend'), {})
      assert.deepEqual(ledger.restore({ peer: 'friend', reason: 'x', since: T0, until: T0 + 1, strikes: 1, ips: [], manual: true }), {})
      assert.equal(ledger.reputation('friend'), 0)
      assert.equal(ledger.isAllowed('friend'), true)
    })

    it('restores persisted bans that are still in force, with their strikes', () => {
      const { ledger } = setup()
      const record: BanRecord = { peer: 'a', reason: 'spam', since: T0 - 1000, until: T0 + 1000, strikes: 3, ips: ['10.0.0.1'], manual: false }
      assert.deepEqual(ledger.restore(record).banned, record)
      assert.equal(ledger.isBanned('a'), true)
      assert.equal(ledger.nextExpiry(), T0 + 1000)
      assert.equal(ledger.isIpBanned('10.0.0.1'), true)
      assert.deepEqual(ledger.restore({ ...record, peer: 'b', until: T0 }), {}, 'already over')
      assert.deepEqual(ledger.restore({ ...record, peer: 'c', strikes: 0 }), {}, 'no strike')
      assert.deepEqual(ledger.restore({ ...record, peer: 'd', since: Number.NaN }), {}, 'no start')
      assert.deepEqual(ledger.restore({ peer: 'e' } as any), {}, 'garbage')
      assert.equal(ledger.banCount, 1)
      // the next ban of a restored peer is its fourth
      ledger.unban('a')
      assert.equal(ledger.ban('a').banned?.strikes, 4)
    })

    it('bans the IPs of repeat offenders only', () => {
      const { clock, ledger } = setup({ banIpAfter: 2, banDurationMs: 1000 })
      ledger.report('a', 'bad-piece')
      assert.equal(ledger.banIps('a', ['127.0.0.2']), undefined, 'first strike: the peer only')
      assert.equal(ledger.isIpBanned('127.0.0.2'), false)
      clock.advance(1000)
      ledger.expire()
      ledger.report('a', 'bad-piece')
      assert.equal(ledger.getBan('a')?.strikes, 2)
      assert.deepEqual(ledger.banIps('a', ['127.0.0.2', '127.0.0.2', '::1'])?.ips, ['127.0.0.2', '::1'])
      assert.equal(ledger.banIps('a', ['127.0.0.2']), undefined, 'nothing new')
      assert.equal(ledger.isIpBanned('127.0.0.2'), true)
      assert.equal(ledger.isIpBanned('127.0.0.3'), false)
      assert.equal(ledger.banIps('nobody', ['127.0.0.9']), undefined)
      clock.advance(1000)
      assert.equal(ledger.isIpBanned('127.0.0.2'), false, 'the IP ban ends with the peer ban')
      ledger.expire()
      assert.equal(ledger.isIpBanned('::1'), false)
    })
  })

  describe('credit and reputation', () => {
    it('credits useful behaviour up to a cap, with decay, without offsetting points', () => {
      const { clock, ledger } = setup({ credits: { 'verified-piece': 2 }, maxCredit: 5, halfLifeMs: HOUR })
      assert.equal(ledger.reputation('a'), 50)
      assert.equal(ledger.credit('a', 'first-delivery'), 1)
      assert.equal(ledger.credit('a', 'verified-piece'), 3)
      assert.equal(ledger.credit('a', 'verified-piece'), 5)
      assert.equal(ledger.credit('a', 'verified-piece'), 5)
      assert.equal(ledger.reputation('a'), 55)
      ledger.report('a', 'invalid-message')
      assert.equal(ledger.score('a'), 20, 'credit does not pay for misbehaviour')
      assert.equal(ledger.reputation('a'), 45)
      clock.advance(HOUR)
      close(ledger.creditOf('a'), 2.5)
      close(ledger.score('a'), 10)
    })

    it('maps points and credit to a 0..100 reputation, 0 while banned', () => {
      const { ledger } = setup()
      ledger.report('bad', 'oversized-frame')
      assert.equal(ledger.reputation('bad'), 25)
      for (let i = 0; i < 60; i++) ledger.credit('good', 'first-delivery')
      assert.equal(ledger.creditOf('good'), SCORING_DEFAULTS.maxCredit)
      assert.equal(ledger.reputation('good'), 100)
      ledger.report('worst', 'bad-piece')
      assert.equal(ledger.reputation('worst'), 0)
    })
  })

  describe('memory bound', () => {
    it('tracks at most maxPeers scored peers across 100k reports and keeps every ban', function () {
      this.timeout(20_000)
      const { clock, ledger } = setup({ halfLifeMs: HOUR })
      const cap = SCORING_DEFAULTS.maxPeers
      ledger.report('heavy', 'oversized-frame')
      ledger.report('heavy', 'invalid-message')
      ledger.report('heavy', 'invalid-message')
      const banned: string[] = []
      for (let i = 0; i < 100_000; i++) {
        clock.advance(1)
        const peer = `peer-${i}`
        ledger.report(peer, 'malformed-frame')
        if (i % 2000 === 0) {
          ledger.report(peer, 'bad-piece')
          banned.push(peer)
        }
        assert.ok(ledger.peerCount <= cap)
      }
      assert.equal(ledger.peerCount, cap)
      assert.equal(ledger.banCount, banned.length)
      for (const peer of banned) assert.equal(ledger.isBanned(peer), true)
      // the 90-point offender outranks 10-point newcomers, so the flood did not wash it out
      close(ledger.score('heavy'), 90 * Math.pow(2, -100_000 / HOUR))
      // the most recent peers are tracked, the oldest forgotten
      assert.equal(ledger.score('peer-99999'), 10)
      assert.equal(ledger.score('peer-1'), 0)
    })

    it('drops the ban that would expire first when maxBans is reached', () => {
      const { clock, ledger } = setup({ maxBans: 3 })
      ledger.ban('a', { durationMs: 3000 })
      ledger.ban('b', { durationMs: 1000 })
      ledger.ban('c', { durationMs: 2000 })
      clock.advance(1)
      const { banned, evicted } = ledger.report('d', 'bad-piece')
      assert.equal(banned?.peer, 'd')
      assert.equal(evicted?.peer, 'b')
      assert.deepEqual(ledger.list().map(ban => ban.peer).sort(), ['a', 'c', 'd'])
      assert.equal(ledger.nextExpiry(), T0 + 2000)
    })
  })
})
