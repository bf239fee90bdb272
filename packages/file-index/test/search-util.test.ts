import assert from 'node:assert/strict'
import { streamPair } from '@libp2p/utils'
import { FrameError, readOne } from '../dist/search/util.js'

describe('search: reading one request frame', () => {
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
