import assert from 'node:assert/strict'
import { streamPair } from '@libp2p/utils'
import { ManualClock, PeerRateLimiter } from '@hearsay/sansio'
import { peerIdFromString } from '@libp2p/peer-id'
import { FrameError, aborted, isPeerId, readFrames, readOne, requestOnce, serveOnce, streamToConnected } from '@hearsay/sansio/adapter'
import type { Decoded } from '@hearsay/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A toy protocol: one byte, which must be under 100. */
const decode = (bytes: Uint8ArrayList): Decoded<number> => bytes.byteLength === 1 && bytes.get(0) < 100
  ? { ok: true, frame: bytes.get(0) }
  : { ok: false, infraction: 'malformed-frame', detail: `not a small number (${bytes.byteLength} bytes)` }

const never = (): never => { throw new Error('not expected') }

describe('adapter kit: reading one request frame', () => {
  it('reads a whole frame', async () => {
    const [a, b] = await streamPair()
    const read = readOne(b, 1024, AbortSignal.timeout(5000))
    a.send(Uint8Array.from([3, 1, 2, 3]))
    const { bytes } = await read
    assert.deepEqual(bytes.subarray(), Uint8Array.from([1, 2, 3]))
    a.abort(new Error('done'))
  })

  it('stops a length prefix of endless continuation bytes at once: oversized-frame', async () => {
    const [a, b] = await streamPair()
    const read = readOne(b, 256 * 1024, AbortSignal.timeout(5000))
    a.send(new Uint8Array(100).fill(0xff))
    await assert.rejects(read, (err: any) => err instanceof FrameError && err.infraction === 'oversized-frame')
    a.abort(new Error('done'))
  })

  it('reports a frame cut short by the asker closing its side: malformed-frame', async () => {
    const [a, b] = await streamPair()
    const read = readOne(b, 1024, AbortSignal.timeout(5000))
    a.send(Uint8Array.from([10, 1, 2, 3]))
    await a.close()
    await assert.rejects(read, (err: any) => err instanceof FrameError && err.infraction === 'malformed-frame')
  })
})

describe('adapter kit: one request and answer per stream', () => {
  it('answers a request, and the asker reads the answer', async () => {
    const [a, b] = await streamPair()
    const reports: string[] = []
    const served = serveOnce(b, {
      peer: 'a', maxBytes: 16, signal: AbortSignal.timeout(5000), decode,
      report: infraction => { reports.push(infraction) },
      answer: n => Uint8Array.from([n + 1])
    })
    const answer = await requestOnce(async () => await Promise.resolve(a), Uint8Array.from([41]), { maxBytes: 16, signal: AbortSignal.timeout(5000), decode, report: never })
    assert.equal(answer, 42)
    assert.equal(await served, undefined)
    assert.deepEqual(reports, [])
  })

  it('reports an undecodable request and aborts the stream', async () => {
    const [a, b] = await streamPair()
    const reports: string[] = []
    const served = serveOnce(b, {
      peer: 'a', maxBytes: 16, signal: AbortSignal.timeout(5000), decode,
      report: infraction => { reports.push(infraction) },
      answer: never
    })
    const asked = requestOnce(async () => await Promise.resolve(a), Uint8Array.from([200]), { maxBytes: 16, signal: AbortSignal.timeout(5000), decode, report: never })
    assert.ok((await served) instanceof FrameError)
    assert.deepEqual(reports, ['malformed-frame'])
    await assert.rejects(asked)
    assert.equal(b.status, 'aborted')
  })

  it('reports and resolves undefined for a bad answer', async () => {
    const [a, b] = await streamPair()
    const served = serveOnce(b, { peer: 'a', maxBytes: 16, signal: AbortSignal.timeout(5000), decode, report: never, answer: () => Uint8Array.from([1, 2, 3]) })
    const reports: string[] = []
    const answer = await requestOnce(async () => await Promise.resolve(a), Uint8Array.from([1]), { maxBytes: 16, signal: AbortSignal.timeout(5000), decode, report: infraction => { reports.push(infraction) } })
    assert.equal(answer, undefined)
    assert.deepEqual(reports, ['malformed-frame'])
    await served
  })

  it('refuses a peer over its rate on the injected clock, reporting at most once a second', async () => {
    const clock = new ManualClock()
    const rate = new PeerRateLimiter(clock, 1, 1)
    const reports: string[] = []
    const serve = async (): Promise<Error | undefined> => {
      const [a, b] = await streamPair()
      const served = serveOnce(b, {
        peer: 'a', rate, rateReportEveryMs: 1000, maxBytes: 16, signal: AbortSignal.timeout(5000), decode,
        report: infraction => { reports.push(infraction) },
        answer: n => Uint8Array.from([n])
      })
      await requestOnce(async () => await Promise.resolve(a), Uint8Array.from([7]), { maxBytes: 16, signal: AbortSignal.timeout(5000), decode, report: () => {} }).catch(() => {})
      return await served
    }
    assert.equal(await serve(), undefined)
    assert.match(String(await serve()), /rate limit/)
    assert.match(String(await serve()), /rate limit/)
    assert.deepEqual(reports, ['rate-limit-exceeded'])
    clock.advance(1000)
    assert.equal(await serve(), undefined)
  })
})

describe('adapter kit: a frame loop on a long-lived stream', () => {
  it('hands over every frame, however the bytes are cut', async () => {
    const [a, b] = await streamPair()
    const frames: number[] = []
    let ended = false
    readFrames(b, { maxBytes: 16, decode, onFrame: n => { frames.push(n) }, report: never, onEnd: () => { ended = true } })
    a.send(Uint8Array.from([1, 5, 1]))
    a.send(Uint8Array.from([6]))
    await a.close()
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.deepEqual(frames, [5, 6])
    assert.ok(ended)
  })

  it('reports a length over the bound before buffering, and aborts', async () => {
    const [a, b] = await streamPair()
    const reports: string[] = []
    readFrames(b, { maxBytes: 16, decode, onFrame: never, report: infraction => { reports.push(infraction) } })
    a.send(Uint8Array.from([100, 0, 0]))
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.deepEqual(reports, ['oversized-frame'])
    assert.equal(b.status, 'aborted')
  })

  it('reports a stream that ends inside a frame', async () => {
    const [a, b] = await streamPair()
    const reports: string[] = []
    readFrames(b, { maxBytes: 16, decode, onFrame: never, report: infraction => { reports.push(infraction) }, onEnd: never })
    a.send(Uint8Array.from([3, 1]))
    await a.close()
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.deepEqual(reports, ['malformed-frame'])
  })

  it('keeps reading after our own handler throws, and stops when told', async () => {
    const [a, b] = await streamPair()
    const frames: number[] = []
    const errors: unknown[] = []
    let stop = false
    readFrames(b, {
      maxBytes: 16, decode, report: never,
      onFrame: n => { frames.push(n); if (n === 1) throw new Error('ours'); if (n === 2) stop = true },
      onError: err => { errors.push(err) },
      stopped: () => stop
    })
    a.send(Uint8Array.from([1, 1, 1, 2, 1, 3]))
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.deepEqual(frames, [1, 2])
    assert.equal(errors.length, 1)
    a.abort(new Error('done'))
  })
})

describe('adapter kit: peer ids', () => {
  it('tells a peer id string from anything else', () => {
    assert.ok(isPeerId('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'))
    assert.ok(!isPeerId('not a peer'))
    assert.ok(!isPeerId(''))
  })
})

describe('adapter kit: aborted()', () => {
  it('resolves when a signal aborts, at once if it has, and for a signal of AbortSignal.any', async () => {
    await aborted(AbortSignal.abort())
    const controller = new AbortController()
    const waiting = aborted(AbortSignal.any([controller.signal, new AbortController().signal]))
    let done = false
    void waiting.then(() => { done = true })
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.ok(!done)
    controller.abort()
    await waiting
  })
})

describe('adapter kit: streams to neighbours', () => {
  /** A connection as the host holds it; opening a stream records which one carried it. */
  const connection = (name: string, shape: { limited?: boolean, direct?: boolean, status?: string }, used: string[]): any => ({
    status: shape.status ?? 'open',
    limits: shape.limited === true ? { bytes: 131072n } : undefined,
    direct: shape.direct ?? shape.limited !== true,
    newStream: async (protocol: string, options: { runOnLimitedConnection?: boolean }) => {
      await Promise.resolve()
      used.push(`${name} ${protocol}${options.runOnLimitedConnection === true ? ' limited-ok' : ''}`)
      return {} as any
    }
  })
  const peer = peerIdFromString('12D3KooWRquXiq8g8etPwK2sQRtgESjLpRQkmB9bH6GPgQndceTf')
  const host = (...connections: any[]): { getConnections: () => any[] } => ({ getConnections: () => connections })

  it('takes a direct connection before a relayed one, and an unlimited before a limited one', async () => {
    const used: string[] = []
    await streamToConnected(host(connection('relayed', { limited: true }, used), connection('unlimited-indirect', { direct: false }, used), connection('direct', {}, used)), peer, '/p/1')
    await streamToConnected(host(connection('relayed', { limited: true }, used), connection('unlimited-indirect', { direct: false }, used)), peer, '/p/1')
    assert.deepEqual(used, ['direct /p/1', 'unlimited-indirect /p/1'])
  })

  it('uses a limited connection only when the protocol may run on one', async () => {
    const used: string[] = []
    const relayedOnly = host(connection('relayed', { limited: true }, used))
    await assert.rejects(streamToConnected(relayedOnly, peer, '/p/1'), { name: 'LimitedConnectionError' })
    await streamToConnected(relayedOnly, peer, '/p/1', { runOnLimitedConnection: true })
    assert.deepEqual(used, ['relayed /p/1 limited-ok'])
  })

  it('never dials: no open connection is a NotFoundError', async () => {
    const used: string[] = []
    await assert.rejects(streamToConnected(host(connection('closing', { status: 'closing' }, used)), peer, '/p/1'), { name: 'NotFoundError' })
    await assert.rejects(streamToConnected(host(), peer, '/p/1'), { name: 'NotFoundError' })
    assert.deepEqual(used, [])
  })
})
