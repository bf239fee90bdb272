import assert from 'node:assert/strict'
import { DELIVERIES_PER_TASK, receiveInTasks } from '../dist/paced-memory.js'

describe('receiveInTasks', () => {
  it('delivers what a connection receives in one tick together, in a task of the event loop, in order and with its end last', async () => {
    const got: string[] = []
    const conn = {
      onData (data: unknown): void { got.push(`data ${String(data)}`) },
      onTransportClosed (err?: Error): void { got.push(`closed ${err?.message ?? ''}`) }
    }
    assert.equal(receiveInTasks(conn), true)
    conn.onData('a')
    conn.onData('b')
    conn.onTransportClosed()
    await Promise.resolve()
    await Promise.resolve()
    assert.deepEqual(got, [], 'nothing within microtasks')
    let timerRan = false
    setTimeout(() => { timerRan = true }, 0)
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(got, ['data a', 'data b', 'closed '])
    // the next tick's data comes in a task of its own, after timers had their turn
    conn.onData('c')
    await new Promise(resolve => setTimeout(resolve, 2))
    assert.equal(timerRan, true)
    assert.deepEqual(got, ['data a', 'data b', 'closed ', 'data c'])
  })

  it('calls the original methods on the connection itself', async () => {
    class Conn {
      readonly seen: unknown[] = []
      onData (data: unknown): void { this.seen.push(data) }
      onTransportClosed (): void { this.seen.push('end') }
    }
    const conn = new Conn()
    receiveInTasks(conn)
    conn.onData(1)
    conn.onTransportClosed()
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(conn.seen, [1, 'end'])
  })

  it('runs at most DELIVERIES_PER_TASK deliveries of all connections per task, so timers run between', async () => {
    const got: number[] = []
    const conns = [0, 1, 2].map(() => ({ onData (data: unknown): void { got.push(data as number) }, onTransportClosed (): void {} }))
    for (const conn of conns) receiveInTasks(conn)
    const total = DELIVERIES_PER_TASK * 2 + 10
    for (let i = 0; i < total; i++) conns[i % 3].onData(i)
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(got.length, DELIVERIES_PER_TASK, 'one task, one batch')
    // a timer due before the next batch runs before it
    let timerSaw = -1
    setTimeout(() => { timerSaw = got.length }, 0)
    const due = Date.now() + 3
    while (Date.now() < due) { /* busy */ }
    // one batch per turn of the loop: three turns, whatever the machine's load
    for (let turn = 0; turn < 10 && got.length < total; turn++) await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(got, Array.from({ length: total }, (_, i) => i), 'all of it, in arrival order')
    assert.equal(timerSaw, DELIVERIES_PER_TASK, 'the timer ran between the first batch and the second')
  })

  it('aborts the connection whose delivery throws, and goes on delivering to the others', async () => {
    const aborted: string[] = []
    const got: string[] = []
    const bad = { onData (_data: unknown): void { throw new Error('bad frame') }, onTransportClosed (): void {}, abort (err: Error): void { aborted.push(err.message) } }
    const good = { onData (data: unknown): void { got.push(String(data)) }, onTransportClosed (): void {}, abort (): void {} }
    receiveInTasks(bad)
    receiveInTasks(good)
    bad.onData('x')
    good.onData('y')
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(aborted, ['bad frame'])
    assert.deepEqual(got, ['y'])
  })

  it('leaves alone an object its transport does not feed through onData and onTransportClosed', () => {
    const other = { onData: (): void => {} }
    assert.equal(receiveInTasks(other), false)
  })
})
