import assert from 'node:assert/strict'
import { OutboundQueue } from '../dist/outbound-queue.js'

/** Just enough of a libp2p stream for the queue: records what it is sent, or throws as a closing stream does. */
function fakeStream (options: { throws?: boolean, writeStatus?: string } = {}): any {
  const sent: Uint8Array[] = []
  return {
    sent,
    status: 'open',
    writeStatus: options.writeStatus ?? 'writable',
    send (bytes: Uint8Array): boolean {
      if (options.throws === true) throw Object.assign(new Error('Cannot write to a stream that is closed'), { name: 'StreamStateError' })
      sent.push(bytes)
      return true
    },
    async onDrain (): Promise<void> {}
  }
}

describe('outbound queue', () => {
  it('never throws when the stream stops taking data under it (a ban closing the connection), and carries on over the next stream', () => {
    const queue = new OutboundQueue(1024, () => {})
    queue.attach(fakeStream({ throws: true }))
    assert.doesNotThrow(() => { queue.push(Uint8Array.from([1])) })
    assert.equal(queue.attached, false, 'the dead stream is let go')
    const next = fakeStream()
    queue.attach(next)
    queue.push(Uint8Array.from([2]))
    assert.deepEqual(next.sent, [Uint8Array.from([1]), Uint8Array.from([2])], 'the frame the dead stream refused goes first')
  })

  it('does not write to a stream whose writable end is closed', () => {
    const queue = new OutboundQueue(1024, () => {})
    const closing = fakeStream({ writeStatus: 'closed' })
    queue.attach(closing)
    queue.push(Uint8Array.from([1]))
    assert.deepEqual(closing.sent, [])
  })

  it('loses no frame to a stream that ended: frames pushed meanwhile go out, in order, on the next stream', () => {
    const queue = new OutboundQueue(1024, () => {})
    queue.attach(fakeStream({ writeStatus: 'closing' }))
    queue.push(Uint8Array.from([1]))
    queue.attach(fakeStream({ throws: true }), Uint8Array.from([0]))   // a reopen that dies at once
    queue.push(Uint8Array.from([2]))
    const next = fakeStream()
    queue.attach(next)
    queue.push(Uint8Array.from([3]))
    assert.deepEqual(next.sent, [Uint8Array.from([0]), Uint8Array.from([1]), Uint8Array.from([2]), Uint8Array.from([3])])
  })

  it('keeps at most maxBytes waiting, and says what it dropped', () => {
    const dropped: number[] = []
    const queue = new OutboundQueue(3, bytes => { dropped.push(bytes) })
    for (let i = 0; i < 5; i++) queue.push(Uint8Array.from([i]))
    assert.deepEqual(dropped, [1, 1])
    const next = fakeStream()
    queue.attach(next)
    assert.deepEqual(next.sent, [Uint8Array.from([0]), Uint8Array.from([1]), Uint8Array.from([2])])
  })
})
