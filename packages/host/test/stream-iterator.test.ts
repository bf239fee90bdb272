import assert from 'node:assert/strict'
import { multiaddrConnectionPair } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { guardedYamux } from '../dist/guarded-yamux.js'

/** Open a stream from one muxer of a pair, and hand the other end to `onInbound` once it arrives. */
async function streamPairOverYamux (): Promise<{ outbound: Stream, inbound: Promise<Stream>, close: () => Promise<void> }> {
  const [a, b] = multiaddrConnectionPair()
  const factory = guardedYamux()()
  const left = factory.createStreamMuxer(a)
  const right = factory.createStreamMuxer(b)
  const inbound = new Promise<Stream>(resolve => { right.addEventListener('stream', event => { resolve(event.detail) }, { once: true }) })
  const outbound = await left.createStream()
  return { outbound, inbound, close: async () => { await Promise.all([a.close(), b.close()]) } }
}

/** Everything `for await` yields from `stream`, or a rejection if the loop has not ended within `ms`. */
async function readAll (stream: Stream, ms = 2000): Promise<number[]> {
  const bytes: number[] = []
  const loop = (async () => {
    for await (const chunk of stream) bytes.push(...(chunk instanceof Uint8Array ? chunk : chunk.subarray()))
    return bytes
  })()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`the loop did not end within ${ms} ms (read ${bytes.length} bytes)`)) }, ms) })
  try {
    return await Promise.race([loop, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const settle = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 50)) }

describe('stream iterator on guardedYamux streams', () => {
  it('ends after the buffered data when the remote wrote and closed before the loop began (libp2p awaits the peer store first)', async () => {
    const { outbound, inbound, close } = await streamPairOverYamux()
    outbound.send(Uint8Array.from([1, 2, 3]))
    await outbound.close()
    const stream = await inbound
    await settle()   // the handler starts late, as after a LevelDB peerStore.merge
    assert.deepEqual(await readAll(stream), [1, 2, 3])
    await close()
  })

  it('ends at once when the remote closed without writing before the loop began', async () => {
    const { outbound, inbound, close } = await streamPairOverYamux()
    await outbound.close()
    const stream = await inbound
    await settle()
    assert.deepEqual(await readAll(stream), [])
    await close()
  })

  it('still reads data that arrives while the loop runs, and ends on the remote close', async () => {
    const { outbound, inbound, close } = await streamPairOverYamux()
    const stream = await inbound
    const read = readAll(stream)
    outbound.send(Uint8Array.from([4]))
    await settle()
    outbound.send(Uint8Array.from([5, 6]))
    await outbound.close()
    assert.deepEqual(await read, [4, 5, 6])
    await close()
  })

  it('throws the error of a stream that is aborted mid-loop', async () => {
    const { outbound, inbound, close } = await streamPairOverYamux()
    outbound.send(Uint8Array.from([7]))
    const stream = await inbound
    const read = readAll(stream)
    await settle()
    stream.abort(new Error('gone'))
    await assert.rejects(read, /gone/)
    await close()
  })
})
