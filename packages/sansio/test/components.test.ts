import assert from 'node:assert/strict'
import { scoringOf } from '@hearsay/sansio'

describe('scoringOf', () => {
  it('returns the scoring service, or undefined where libp2p\'s components proxy throws for a missing one', () => {
    const scoring = { report: () => {}, credit: () => {} }
    assert.equal(scoringOf({ scoring }), scoring)
    const missing = new Proxy({}, { get: (_target, name) => { throw new Error(`${String(name)} not found`) } })
    assert.equal(scoringOf(missing), undefined)
    assert.equal(scoringOf({}), undefined)
    assert.equal(scoringOf({ scoring: {} as any }), undefined, 'something else under that name is no reporter')
  })
})
