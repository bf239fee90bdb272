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
})
