import assert from 'node:assert/strict'
import { ManualClock } from '@hearsay/sansio'

describe('ManualClock', () => {
  it('fires timers in due order with the clock set to each due time', () => {
    const clock = new ManualClock(1000)
    const fired: Array<[string, number]> = []
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20)
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10)
    clock.setTimeout(() => fired.push(['c', clock.now()]), 20)
    clock.advance(15)
    assert.deepEqual(fired, [['a', 1010]])
    assert.equal(clock.now(), 1015)
    clock.advance(5)
    assert.deepEqual(fired, [['a', 1010], ['b', 1020], ['c', 1020]])
  })

  it('runs timers scheduled by timers within the same advance, and cancels', () => {
    const clock = new ManualClock()
    const fired: number[] = []
    const cancel = clock.setTimeout(() => fired.push(-1), 5)
    clock.setTimeout(() => { fired.push(clock.now()); clock.setTimeout(() => fired.push(clock.now()), 10) }, 10)
    cancel()
    clock.advance(30)
    assert.deepEqual(fired, [10, 20])
    assert.equal(clock.pendingTimers, 0)
  })

  it('refuses to go backwards and stops a runaway timer loop', () => {
    const clock = new ManualClock()
    assert.throws(() => clock.advance(-1), RangeError)
    const loop = (): void => { clock.setTimeout(loop, 1) }
    loop()
    assert.throws(() => clock.runAll(50), /more than 50 timers/)
  })
})
