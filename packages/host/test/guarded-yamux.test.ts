import assert from 'node:assert/strict'
import { yamux } from '@chainsafe/libp2p-yamux'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { guardedYamux, rttFromKeepAlive } from '../dist/guarded-yamux.js'
import type { Connection, MultiaddrConnection } from '@libp2p/interface'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Counts the yamux ping requests (type 2, SYN) an end writes to its connection. */
function countPings (maConn: MultiaddrConnection): { pings: number } {
  const counted = { pings: 0 }
  const send = maConn.send.bind(maConn)
  maConn.send = (data: any) => {
    const bytes: Uint8Array = data instanceof Uint8Array ? data : data.subarray()
    // a yamux header: version, type, flags (2 bytes, big-endian), stream id, length
    if (bytes[1] === 2 && (bytes[3] & 1) === 1) counted.pings++
    return send(data)
  }
  return counted
}

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

  it('closes the connection at both ends when a muxer aborts itself (more early streams than it holds), so no connection stays open without a muxer', async () => {
    const [a, b] = multiaddrConnectionPair()
    const factory = guardedYamux({ maxEarlyStreams: 10 })()
    const left = factory.createStreamMuxer(a)
    // nobody listens for the right end's streams yet, as while libp2p is still upgrading: it holds
    // 10 (maxEarlyStreams, @libp2p/utils' default), and aborts itself at the 11th
    const right = factory.createStreamMuxer(b)
    await Promise.all(Array.from({ length: 11 }, async () => await left.createStream().then(s => { s.send(Uint8Array.of(1)) }).catch(() => {})))
    const deadline = Date.now() + 5000
    while ((a.status === 'open' || b.status === 'open') && Date.now() < deadline) await sleep(20)
    assert.equal(right.status, 'closed', 'the muxer aborted itself')
    assert.equal(left.status, 'closed', 'the other end heard its GoAway')
    assert.notEqual(b.status, 'open', "the aborting end's connection is closed with it")
    assert.notEqual(a.status, 'open', "the other end's connection too")
  })

  it('holds as many early streams as inbound ones by default, and hands every one over once libp2p listens', async () => {
    const [a, b] = multiaddrConnectionPair()
    const factory = guardedYamux()()
    const left = factory.createStreamMuxer(a)
    const right = factory.createStreamMuxer(b)
    // 40 streams opened before anyone listens at the right end, as a dialler's first requests
    // arrive while the listening end is still upgrading (plain yamux: the 11th aborts the muxer)
    await Promise.all(Array.from({ length: 40 }, async () => { (await left.createStream()).send(Uint8Array.of(1)) }))
    await sleep(100)
    assert.equal(right.status, 'open', 'the muxer did not abort itself')
    const arrived: unknown[] = []
    right.addEventListener('stream', event => { arrived.push(event.detail) })
    const deadline = Date.now() + 5000
    while (arrived.length < 40 && Date.now() < deadline) await sleep(10)
    assert.equal(arrived.length, 40, 'every early stream reached the listener')
    assert.equal(a.status, 'open')
    assert.equal(b.status, 'open')
    await Promise.all([a.close(), b.close()])
  })

  it('refuses a keep-alive timeout that is not a positive number of ms', () => {
    assert.throws(() => guardedYamux({ keepAliveTimeoutMs: 0 }), RangeError)
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
      assert.equal(a.status, 'open', 'pinged every 50 ms, answered every time')
      assert.equal(b.status, 'open')
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('pings a quiet line from one end only: the listener pings, the dialler hears it and stays quiet', async () => {
    const factory = guardedYamux({ keepAliveInterval: 100 })()
    const [dialler, listener] = multiaddrConnectionPair()
    const out = countPings(dialler)
    const inb = countPings(listener)
    factory.createStreamMuxer(dialler)
    factory.createStreamMuxer(listener)
    try {
      await sleep(750)
      // yamux's own keep-alive pinged from both ends, every interval: ~7 pings each here
      assert.ok(inb.pings >= 3, `the listener pinged ${inb.pings} times`)
      // beyond the one ping each end sends as the connection opens
      assert.ok(out.pings - 1 <= inb.pings / 3, `the dialler pinged ${out.pings} times, the listener ${inb.pings}`)
      assert.equal(dialler.status, 'open')
      assert.equal(listener.status, 'open')
    } finally {
      await Promise.all([dialler.close(), listener.close()])
    }
  })

  it('knows the round trip at both ends from the start, and rttFromKeepAlive makes it the connection\'s rtt', async () => {
    // an interval far beyond the test: only the ping each end sends as the connection opens
    const factory = guardedYamux({ keepAliveInterval: 60_000 })()
    const [dialler, listener] = multiaddrConnectionPair()
    const muxers = [factory.createStreamMuxer(dialler), factory.createStreamMuxer(listener)] as unknown as Array<{ rtt: number }>
    // libp2p's Connection is a class that keeps its muxer as `muxer`
    class FakeConnection {
      readonly muxer: unknown
      constructor (muxer: unknown) { this.muxer = muxer }
    }
    const connection = new FakeConnection(muxers[1]) as unknown as Connection
    const other = new FakeConnection(muxers[0]) as unknown as Connection
    rttFromKeepAlive(connection)
    // the accessor is the class's, not each connection's own (which made each a slow dictionary object)
    assert.equal(Object.getOwnPropertyDescriptor(connection, 'rtt'), undefined)
    // nothing measured before the first pong (yamux keeps -1)
    assert.equal(connection.rtt, undefined)
    try {
      for (let i = 0; i < 100 && muxers.some(m => m.rtt < 0); i++) await sleep(10)
      for (const muxer of muxers) assert.ok(muxer.rtt >= 0, `rtt ${muxer.rtt}`)
      assert.equal(connection.rtt, muxers[1].rtt)
      // every connection of the class has it, without a call of its own
      assert.equal(other.rtt, muxers[0].rtt)
      // what something else measures and assigns (libp2p's connection monitor, if turned on) wins,
      // on that connection only
      connection.rtt = 1234
      assert.equal(connection.rtt, 1234)
      assert.equal(other.rtt, muxers[0].rtt)
      // a connection of the class whose muxer is not Yamux (QUIC) has only what is assigned
      const quic = new FakeConnection({}) as unknown as Connection
      assert.equal(quic.rtt, undefined)
      quic.rtt = 7
      assert.equal(quic.rtt, 7)
      // a plain object is left alone
      const plain = { muxer: muxers[0] } as unknown as Connection
      rttFromKeepAlive(plain)
      assert.equal(Object.getOwnPropertyDescriptor(plain, 'rtt'), undefined)
      assert.equal(plain.rtt, undefined)
    } finally {
      await Promise.all([dialler.close(), listener.close()])
    }
  })

  it('sends no ping on a connection closed as soon as its muxer exists (a feeler), and leaves nothing pending', async () => {
    const factory = guardedYamux({ keepAliveInterval: 50 })()
    const [dialler, listener] = multiaddrConnectionPair()
    const out = countPings(dialler)
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
    process.on('unhandledRejection', onUnhandled)
    try {
      factory.createStreamMuxer(dialler)
      factory.createStreamMuxer(listener)
      dialler.abort(new Error('feeler done'))
      await sleep(200)
      assert.equal(out.pings, 0)
      assert.deepEqual(unhandled, [])
    } finally {
      process.removeListener('unhandledRejection', onUnhandled)
      await listener.close().catch(() => {})
    }
  })

  it('sends no ping on a line that carries data both ways', async () => {
    const factory = guardedYamux({ keepAliveInterval: 100 })()
    const [dialler, listener] = multiaddrConnectionPair()
    const out = countPings(dialler)
    const inb = countPings(listener)
    const left = factory.createStreamMuxer(dialler)
    const right = factory.createStreamMuxer(listener)
    right.addEventListener('stream', event => {
      const echo = event.detail
      echo.addEventListener('message', message => { echo.send(message.data) })
    })
    try {
      const stream = await left.createStream()
      let echoed = 0
      stream.addEventListener('message', () => { echoed++ })
      for (let i = 0; i < 25; i++) {
        stream.send(Uint8Array.from([i]))
        await sleep(20)
      }
      assert.ok(echoed >= 20, `${echoed} echoes`)
      // only the one each end sends as the connection opens
      assert.deepEqual([out.pings, inb.pings], [1, 1])
    } finally {
      await Promise.all([dialler.close(), listener.close()])
    }
  })

  it('pings a peer that never pings, from either end, and keeps the connection while it answers', async () => {
    const guarded = guardedYamux({ keepAliveInterval: 100, keepAliveTimeoutMs: 300 })()
    // rust-yamux pings nobody by default: plain yamux with its keep-alive off stands for it
    const silentPeer = yamux({ enableKeepAlive: false })()
    for (const guardedEnd of ['dialler', 'listener'] as const) {
      const [dialler, listener] = multiaddrConnectionPair()
      const ours = guardedEnd === 'dialler' ? dialler : listener
      const theirs = guardedEnd === 'dialler' ? listener : dialler
      const counted = countPings(ours)
      const theirPings = countPings(theirs)
      guarded.createStreamMuxer(ours)
      silentPeer.createStreamMuxer(theirs)
      try {
        await sleep(750)
        assert.ok(counted.pings >= 3, `as the ${guardedEnd}, pinged ${counted.pings} times`)
        assert.equal(theirPings.pings, 0)
        assert.equal(ours.status, 'open', `as the ${guardedEnd}`)
      } finally {
        await Promise.all([dialler.close(), listener.close()])
      }
    }
  })

  it('keeps a connection whose pong is late while data from the peer keeps arriving', async () => {
    const factory = guardedYamux({ keepAliveInterval: 50, keepAliveTimeoutMs: 200 })()
    const [dialler, listener] = multiaddrConnectionPair()
    // the peer's pongs never leave it (as if queued behind a long backlog): ping replies dropped
    const send = listener.send.bind(listener)
    listener.send = (data: any) => {
      const bytes: Uint8Array = data instanceof Uint8Array ? data : data.subarray()
      if (bytes[1] === 2 && (bytes[3] & 2) === 2) return true
      return send(data)
    }
    const ours = factory.createStreamMuxer(dialler)
    const theirs = yamux({ enableKeepAlive: false })().createStreamMuxer(listener)
    let received = 0
    ours.addEventListener('stream', event => {
      event.detail.addEventListener('message', () => { received++ })
    })
    try {
      const stream = await theirs.createStream()
      // quiet for longer than the interval between frames, so that we ping, and never answered
      for (let i = 0; i < 8; i++) {
        await sleep(80)
        stream.send(Uint8Array.from([i]))
      }
      await sleep(20)
      assert.ok(received >= 6, `${received} frames received`)
      assert.equal(dialler.status, 'open', 'no pong for 600 ms, but data every 80 ms')
      await sleep(300)
      assert.notEqual(dialler.status, 'open', 'aborted once nothing at all came for the timeout')
    } finally {
      await Promise.all([dialler.close(), listener.close()])
    }
  })
})
