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
    assert.deepEqual(next.sent, [Uint8Array.from([2])])
  })

  it('does not write to a stream whose writable end is closed', () => {
    const queue = new OutboundQueue(1024, () => {})
    const closing = fakeStream({ writeStatus: 'closed' })
    queue.attach(closing)
    queue.push(Uint8Array.from([1]))
    assert.deepEqual(closing.sent, [])
  })
})
