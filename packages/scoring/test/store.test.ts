import assert from 'node:assert/strict'
import { decodeBan, encodeBan } from '@hearsay/scoring'
import type { BanRecord } from '@hearsay/scoring'

const record: BanRecord = { peer: 'p', reason: 'spam', since: 1000, until: 2000, strikes: 2, ips: ['10.0.0.1'], manual: false }

describe('persisted ban format', () => {
  it('round-trips a ban, including one that never ends', () => {
    assert.deepEqual(decodeBan(encodeBan(record)), record)
    const forever = { ...record, until: Infinity, manual: true }
    assert.match(new TextDecoder().decode(encodeBan(forever)), /"until":null/)
    assert.deepEqual(decodeBan(encodeBan(forever)), forever)
  })

  it('explains, rather than throws, why bytes are not a ban', () => {
    const text = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))
    assert.match(decodeBan(new TextEncoder().encode('{')) as string, /not UTF-8 JSON/)
    assert.match(decodeBan(Uint8Array.from([0xc3, 0x28])) as string, /not UTF-8 JSON/)
    assert.equal(decodeBan(text(null)), 'not an object')
    assert.equal(decodeBan(text({ ...record, v: 2 })), 'unknown format version 2')
    assert.equal(decodeBan(text({ ...record, v: 1, strikes: 0 })), 'missing or invalid fields')
    assert.equal(decodeBan(text({ ...record, v: 1, until: 500 })), 'missing or invalid fields')
    assert.equal(decodeBan(text({ ...record, v: 1, ips: [1] })), 'missing or invalid fields')
  })
})
