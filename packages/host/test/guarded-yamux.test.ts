import assert from 'node:assert/strict'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { guardedYamux } from '../dist/guarded-yamux.js'

describe('guardedYamux', () => {
  it('a stream opened as its connection starts closing does not crash the process (plain yamux 8.0.1 throws from a microtask)', async () => {
    const uncaught: Error[] = []
    const onUncaught = (err: Error): void => { uncaught.push(err) }
    // mocha installs its own handler; ours records what would have killed a plain node
    process.prependListener('uncaughtException', onUncaught)
    try {
      const [a, b] = multiaddrConnectionPair()
      const factory = guardedYamux()()
      const muxer = factory.createStreamMuxer(a)
      factory.createStreamMuxer(b)
      const opened = muxer.createStream()
      const closing = a.close()   // graceful: the connection is 'closing' when yamux's microtask writes
      await opened.catch(() => {})
      await closing.catch(() => {})
      await new Promise(resolve => setTimeout(resolve, 50))
      assert.deepEqual(uncaught.map(e => e.message), [])
    } finally {
      process.removeListener('uncaughtException', onUncaught)
    }
  })

  it('still carries data between two muxers', async () => {
    const [a, b] = multiaddrConnectionPair()
    const factory = guardedYamux()()
    const left = factory.createStreamMuxer(a)
    const right = factory.createStreamMuxer(b)
    const received = new Promise<Uint8Array>(resolve => {
      right.addEventListener('stream', event => {
        event.detail.addEventListener('message', message => { resolve(message.data.subarray()) }, { once: true })
      }, { once: true })
    })
    const stream = await left.createStream()
    stream.send(Uint8Array.from([1, 2, 3]))
    assert.deepEqual(await received, Uint8Array.from([1, 2, 3]))
    await Promise.all([a.close(), b.close()])
  })

  it('aborts a connection whose keep-alive ping goes unanswered, and keeps one whose pings are answered', async () => {
    const factory = guardedYamux({ keepAliveInterval: 50, keepAliveTimeoutMs: 200 })()
    // a peer that went silent: nothing reads or answers at the other end
    const [silent] = multiaddrConnectionPair()
    factory.createStreamMuxer(silent)
    // two live muxers
    const [a, b] = multiaddrConnectionPair()
    factory.createStreamMuxer(a)
    factory.createStreamMuxer(b)
    try {
      await new Promise(resolve => setTimeout(resolve, 150))
      assert.equal(silent.status, 'open', 'not before the timeout')
      await new Promise(resolve => setTimeout(resolve, 250))
      assert.notEqual(silent.status, 'open', 'aborted once its ping waited keepAliveTimeoutMs')
      assert.equal(a.status, 'open', 'pinged eight times, answered every time')
      assert.equal(b.status, 'open')
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})
