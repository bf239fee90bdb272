import assert from 'node:assert/strict'
import { ManualClock } from '@hearsay/sansio'
import { HybridClock, compareTimestamps } from '../src/hlc.ts'

describe('HybridClock', () => {
  it('follows the wall clock and counts writes within one millisecond', () => {
    const clock = new ManualClock(1000)
    const hlc = new HybridClock(clock, 'a')
    assert.deepEqual(hlc.tick(), { wall: 1000, counter: 0, node: 'a' })
    assert.deepEqual(hlc.tick(), { wall: 1000, counter: 1, node: 'a' })
    clock.advance(5)
    assert.deepEqual(hlc.tick(), { wall: 1005, counter: 0, node: 'a' })
  })

  it('orders a write after a peer\'s write seen from a clock that runs ahead', () => {
    const clock = new ManualClock(1000)
    const hlc = new HybridClock(clock, 'slow')
    const seen = { wall: 50_000, counter: 7, node: 'fast' }
    hlc.observe(seen)
    const next = hlc.tick()
    assert.ok(compareTimestamps(next, seen) > 0, 'our next write is newer than what we saw')
    assert.deepEqual(next, { wall: 50_000, counter: 8, node: 'slow' })
    // an older timestamp changes nothing
    hlc.observe({ wall: 10, counter: 99, node: 'old' })
    assert.deepEqual(hlc.tick(), { wall: 50_000, counter: 9, node: 'slow' })
  })

  it('never goes backwards when the wall clock does not move', () => {
    const hlc = new HybridClock(new ManualClock(0), 'a')
    let last = hlc.tick()
    for (let i = 0; i < 1000; i++) {
      const next = hlc.tick()
      assert.ok(compareTimestamps(next, last) > 0)
      last = next
    }
  })

  it('orders by wall, then counter, then writer id', () => {
    assert.ok(compareTimestamps({ wall: 1, counter: 9, node: 'z' }, { wall: 2, counter: 0, node: 'a' }) < 0)
    assert.ok(compareTimestamps({ wall: 2, counter: 1, node: 'a' }, { wall: 2, counter: 0, node: 'z' }) > 0)
    assert.ok(compareTimestamps({ wall: 2, counter: 1, node: 'b' }, { wall: 2, counter: 1, node: 'a' }) > 0)
    assert.equal(compareTimestamps({ wall: 2, counter: 1, node: 'a' }, { wall: 2, counter: 1, node: 'a' }), 0)
  })
})
