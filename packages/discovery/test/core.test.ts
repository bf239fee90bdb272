import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { decodeAnchors, defaultNetgroup, encodeAnchors, KeyedHash, selectInboundToEvict, type InboundCandidate } from '@hearsay/discovery/address-book'
import { seededRng } from '@hearsay/sansio'

describe('KeyedHash', () => {
  it('is the first 32 bits, big-endian, of SHA-256 over the hex key and the length-prefixed parts', () => {
    const key = KeyedHash.randomKey(seededRng('key'))
    const keyed = new KeyedHash(key)
    const text = `${Buffer.from(key).toString('hex')};8:position;3:new;2:17;6:peer-1;`
    assert.equal(keyed.hash('position', 'new', 17, 'peer-1'), createHash('sha256').update(text).digest().readUInt32BE(0))
    // unambiguous joins, and a key of its own
    assert.notEqual(keyed.hash('ab', 'c'), keyed.hash('a', 'bc'))
    assert.notEqual(new KeyedHash(KeyedHash.randomKey(seededRng('other'))).hash('position'), keyed.hash('position'))
    for (let i = 0; i < 100; i++) {
      const h = keyed.hash('n', i)
      assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32)
    }
  })
})

describe('defaultNetgroup', () => {
  it('groups IPv4 by /16 (loopback included), IPv6 by /32', () => {
    assert.equal(defaultNetgroup('/ip4/1.2.3.4/tcp/1'), 'ip4:1.2')
    assert.equal(defaultNetgroup('/ip4/127.7.0.1/tcp/1'), 'ip4:127.7')
    assert.equal(defaultNetgroup('/ip4/127.7.200.9/tcp/1'), defaultNetgroup('/ip4/127.7.0.1/tcp/2'))
    assert.equal(defaultNetgroup('/ip6/2001:db8::1/tcp/1'), 'ip6:2001:db8')
    assert.equal(defaultNetgroup('/ip6/2001:0db8:0000::1/tcp/1'), 'ip6:2001:db8')
    assert.equal(defaultNetgroup('/ip6/::ffff:8.8.4.4/tcp/1'), 'ip4:8.8')
    assert.equal(defaultNetgroup('/ip6/::1/tcp/1'), 'ip6:0:0')
    assert.equal(defaultNetgroup('/dns4/Example.COM/tcp/1'), 'dns:example.com')
    assert.equal(defaultNetgroup('/memory/node-1'), 'memory:node-1')
  })

  it('names malformed addresses "unknown" instead of throwing', () => {
    for (const bad of ['', '/', 'ip4', '/ip4/1.2.3/tcp/1', '/ip4/300.1.1.1/tcp/1', '/ip6/1:::2/tcp/1', '/ip6/zz::/tcp/1']) {
      assert.equal(defaultNetgroup(bad), 'unknown', bad)
    }
  })

  it('reads an IPv4 address octet by octet as a split and a pattern would', () => {
    // the reading those names: four dot-separated octets of 1-3 digits, each at most 255
    const reference = (addr: string): string => {
      const octets = (addr.split('/')[2] ?? '').split('.')
      if (octets.length !== 4 || !octets.every(o => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return 'unknown'
      return `ip4:${Number(octets[0])}.${Number(octets[1])}`
    }
    const quads = ['1.2.3.4', '001.02.3.4', '255.255.255.255', '256.1.1.1', '1.256.1.1', '1.1.1.256', '1.2.3', '1.2.3.4.5', '1..3.4', '.1.2.3',
      '1.2.3.', '1234.1.1.1', '1.2.3.4a', 'a.b.c.d', '', '1.2.3.0004', '٣.1.1.1', '1.2.3.4 ']
    for (const quad of quads) {
      for (const addr of [`/ip4/${quad}`, `/ip4/${quad}/tcp/1`, `/ip4/${quad}/`]) assert.equal(defaultNetgroup(addr), reference(addr), addr)
    }
  })
})

describe('selectInboundToEvict', () => {
  const noProtect = { protectNetgroups: 0, protectLowLatency: 0, protectLongLivedShare: 0 }

  it('evicts the youngest peer of the most crowded netgroup', () => {
    const candidates: InboundCandidate[] = [
      { peer: 'a1', group: 'A', connectedAt: 1 },
      { peer: 'a2', group: 'A', connectedAt: 5 },
      { peer: 'a3', group: 'A', connectedAt: 3 },
      { peer: 'b1', group: 'B', connectedAt: 9 },
      { peer: 'c1', group: 'C', connectedAt: 10 }
    ]
    assert.equal(selectInboundToEvict(candidates, noProtect), 'a2')
  })

  it('protects low-latency and long-lived peers', () => {
    const candidates: InboundCandidate[] = []
    // an attacker opened 10 connections from one /16 lately; honest peers are older or faster
    for (let i = 0; i < 10; i++) candidates.push({ peer: `evil-${i}`, group: 'E', connectedAt: 1000 + i, latencyMs: 200 })
    for (let i = 0; i < 4; i++) candidates.push({ peer: `old-${i}`, group: `O${i}`, connectedAt: i, latencyMs: 300 })
    for (let i = 0; i < 4; i++) candidates.push({ peer: `fast-${i}`, group: `F${i}`, connectedAt: 2000 + i, latencyMs: 1 })
    const evicted: string[] = []
    let rest = candidates
    for (let round = 0; round < 8; round++) {
      const victim = selectInboundToEvict(rest, { protectNetgroups: 2, protectLowLatency: 4 })
      if (victim == null) break
      evicted.push(victim)
      rest = rest.filter(c => c.peer !== victim)
    }
    assert.ok(evicted.length > 0)
    assert.ok(evicted.every(p => p.startsWith('evil-')), `evicted ${evicted.join(' ')}`)
    assert.ok(!evicted.includes('evil-0'), 'the attacker\'s oldest connection is protected longest')
  })

  it('returns undefined when every candidate is protected', () => {
    assert.equal(selectInboundToEvict([{ peer: 'x', group: 'X', connectedAt: 1, protected: true }]), undefined)
    assert.equal(selectInboundToEvict([{ peer: 'x', group: 'X', connectedAt: 1 }]), undefined, 'the only netgroup is protected')
    assert.equal(selectInboundToEvict([]), undefined)
  })
})

describe('anchors', () => {
  it('round-trips and skips damaged records', () => {
    const anchors = [{ peer: 'p1', addrs: ['/ip4/1.2.3.4/tcp/1'] }, { peer: 'p2', addrs: ['/ip4/5.6.7.8/tcp/1', '/ip6/::1/tcp/2'] }]
    assert.deepEqual(decodeAnchors(encodeAnchors(anchors)), anchors)
    assert.deepEqual(decodeAnchors(new TextEncoder().encode('not json')), [])
    assert.deepEqual(decodeAnchors(new TextEncoder().encode('{"anchors":[{"peer":1},{"peer":"p","addrs":["x",2]},null]}')), [])
    assert.deepEqual(decodeAnchors(new Uint8Array([0xff, 0xfe])), [])
  })
})
