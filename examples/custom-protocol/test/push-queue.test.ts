import assert from 'node:assert/strict'
import { KV_LIMITS } from '../src/limits.ts'
import { PushQueue } from '../src/push-queue.ts'
import type { KvEntry } from '../src/entry.ts'

const entry = (key: string, wall: number, bytes = 1): KvEntry =>
  ({ key, value: new Uint8Array(bytes), deleted: false, wall, counter: 0, node: 'n' })

describe('PushQueue', () => {
  it('keeps only the latest write of a key, in the order of last writes', () => {
    const queue = new PushQueue(10)
    queue.add(entry('a', 1))
    queue.add(entry('b', 2))
    queue.add(entry('a', 3))
    assert.equal(queue.size, 2)
    assert.deepEqual(queue.take(KV_LIMITS).map(e => [e.key, e.wall]), [['b', 2], ['a', 3]])
    assert.equal(queue.size, 0)
  })

  it('drops new keys past its bound and counts them, but still replaces waiting ones', () => {
    const queue = new PushQueue(2)
    assert.ok(queue.add(entry('a', 1)))
    assert.ok(queue.add(entry('b', 1)))
    assert.equal(queue.add(entry('c', 1)), false)
    assert.ok(queue.add(entry('a', 2)))
    assert.equal(queue.dropped, 1)
    assert.equal(queue.size, 2)
  })

  it('takes batches that fit in a frame, and always at least one entry', () => {
    const limits = { ...KV_LIMITS, maxFrameBytes: 1024 + 300, maxEntriesPerFrame: 3 }
    const queue = new PushQueue(100)
    for (let i = 0; i < 10; i++) queue.add(entry(`k${i}`, i, 100))
    const sizes: number[] = []
    for (let round = 0; round < 20 && queue.size > 0; round++) sizes.push(queue.take(limits).length)
    assert.deepEqual(sizes, [2, 2, 2, 2, 2], '300 bytes of room take two 100-byte entries')
    const big = new PushQueue(10)
    big.add(entry('huge', 1, 64 * 1024))
    assert.equal(big.take(limits).length, 1)
  })
})
