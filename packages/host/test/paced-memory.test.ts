import assert from 'node:assert/strict'
import { receiveInTasks } from '../dist/paced-memory.js'

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

  it('leaves alone an object its transport does not feed through onData and onTransportClosed', () => {
    const other = { onData: (): void => {} }
    assert.equal(receiveInTasks(other), false)
  })
})
