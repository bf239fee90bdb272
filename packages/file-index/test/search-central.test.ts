import assert from 'node:assert/strict'
import { CentralIndex } from '../dist/search/central-core.js'
import type { WireEntry } from '../dist/search/wire.js'

const file = (id: string, name: string, size = 10): WireEntry => ({ id, name, size })

describe('central search index (core)', () => {
  it('finds a file by any of its words, once, with the number of peers that have it', () => {
    const index = new CentralIndex()
    index.register('A', [file('u', 'Ubuntu Server 24.04 ISO'), file('d', 'Debian 12 netinst')], false, 0)
    index.register('B', [file('u', 'Ubuntu Server 24.04 ISO')], false, 0)
    const hits = index.search(['server'], 10, 1)
    assert.equal(hits.length, 1)
    assert.equal(hits[0].id, 'u')
    assert.equal(hits[0].providers, 2)
    assert.deepEqual(hits[0].peers.sort(), ['A', 'B'])
    assert.deepEqual(index.search(['ubuntu', 'iso'], 10, 1).map(h => h.id), ['u'])
    assert.deepEqual(index.search(['ubuntu', 'debian'], 10, 1), [])
    assert.deepEqual(index.search(['nothing'], 10, 1), [])
    // the asker is not counted
    assert.equal(index.search(['server'], 10, 1, 'A')[0].providers, 1)
    assert.deepEqual(index.search(['netinst'], 10, 1, 'A'), [])
  })

  it('unregisters, replaces and drops peers', () => {
    const index = new CentralIndex()
    index.register('A', [file('1', 'one file'), file('2', 'two file')], false, 0)
    assert.equal(index.size, 2)
    assert.equal(index.unregister('A', ['1', 'nope']), 1)
    assert.deepEqual(index.search(['file'], 10, 0).map(h => h.id), ['2'])
    index.register('A', [file('3', 'three file')], true, 0)
    assert.deepEqual(index.search(['file'], 10, 0).map(h => h.id), ['3'])
    index.removePeer('A')
    assert.equal(index.size, 0)
    assert.equal(index.files, 0)
    assert.deepEqual(index.search(['file'], 10, 0), [])
  })

  it('expires registrations that were not refreshed', () => {
    const index = new CentralIndex({ ttlMs: 1000 })
    index.register('A', [file('1', 'old file')], false, 0)
    index.register('B', [file('1', 'old file')], false, 800)
    assert.equal(index.search(['file'], 10, 900)[0].providers, 2)
    assert.equal(index.search(['file'], 10, 1200)[0].providers, 1, 'A expired, B not yet')
    index.register('A', [file('1', 'old file')], false, 1500)
    index.expire(1900)
    assert.equal(index.size, 1)
    assert.deepEqual(index.search(['file'], 10, 1900)[0].peers, ['A'])
  })

  it('bounds entries per peer and in total, and results per search', () => {
    const index = new CentralIndex({ maxEntriesPerPeer: 3, maxEntries: 5, maxPeersPerHit: 2 })
    const many = Array.from({ length: 10 }, (_, i) => file(`f${i}`, `bulk file ${i}`))
    assert.equal(index.register('A', many, false, 0), 3)
    assert.equal(index.register('B', many, false, 0), 2)
    assert.equal(index.register('C', many, false, 0), 0)
    assert.equal(index.size, 5)
    assert.equal(index.search(['bulk'], 2, 0).length, 2)
    for (const peer of ['D', 'E', 'F']) index.register(peer, [], true, 0)
    const shared = new CentralIndex({ maxPeersPerHit: 2 })
    for (const peer of ['A', 'B', 'C', 'D']) shared.register(peer, [file('x', 'shared thing')], false, 0)
    const [hit] = shared.search(['shared'], 10, 0)
    assert.equal(hit.providers, 4)
    assert.equal(hit.peers.length, 2)
  })

  it('refreshing a registration does not count it twice', () => {
    const index = new CentralIndex()
    index.register('A', [file('1', 'same file')], false, 0)
    index.register('A', [file('1', 'same file')], false, 10)
    assert.equal(index.size, 1)
    assert.equal(index.search(['same'], 10, 20)[0].providers, 1)
  })
})
