import assert from 'node:assert/strict'
import { BoundedMap, OptionError } from '@hearsay/sansio'

describe('BoundedMap', () => {
  it('drops the oldest key past its bound; setting a key makes it the newest', () => {
    const map = new BoundedMap<string, number>(2)
    map.set('a', 1).set('b', 2)
    map.set('a', 3)
    map.set('c', 4)
    assert.deepEqual([...map], [['a', 3], ['c', 4]])
    assert.equal(map.size, 2)
  })

  it('holds at least one key', () => {
    const map = new BoundedMap<string, number>(0)
    map.set('a', 1).set('b', 2)
    assert.deepEqual([...map.keys()], ['b'])
  })
})

describe('OptionError', () => {
  it('names the option, in a message a CLI can cut', () => {
    const err = new OptionError('threshold', 'expected a positive number')
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'OptionError')
    assert.equal(err.option, 'threshold')
    assert.equal(err.message, 'invalid option "threshold": expected a positive number')
  })
})
