import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { coalesceWrites } from '../dist/coalesced-tcp.js'

/** A connected loopback socket pair; `received` collects what the server side reads. */
async function socketPair (): Promise<{ client: Socket, received: Buffer[], close: () => Promise<void> }> {
  const received: Buffer[] = []
  const server = createServer(socket => { socket.on('data', chunk => received.push(chunk)) })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const client = connect(port, '127.0.0.1')
  await once(client, 'connect')
  return {
    client,
    received,
    close: async () => {
      client.destroy()
      server.close()
      await once(server, 'close')
    }
  }
}

describe('coalesceWrites', () => {
  it('corks the socket for the rest of the tick its first buffer arrives in, and sends everything in order', async () => {
    const { client, received, close } = await socketPair()
    try {
      const corkedAtWrite: number[] = []
      const maConn = {
        socket: client,
        // what @libp2p/tcp's connection does: one socket.write per buffer
        sendData (data: Iterable<Uint8Array>) {
          let sentBytes = 0
          for (const buf of data) {
            corkedAtWrite.push(client.writableCorked)
            sentBytes += buf.byteLength
            client.write(buf)
          }
          return { sentBytes, canSendMore: true }
        }
      }
      assert.equal(coalesceWrites(maConn), true)
      maConn.sendData([Uint8Array.from([1, 2]), Uint8Array.from([3])])
      maConn.sendData([Uint8Array.from([4, 5, 6])])
      assert.equal(client.writableCorked, 1, 'still corked within the tick')
      assert.deepEqual(corkedAtWrite, [1, 1, 1])
      await new Promise(resolve => process.nextTick(resolve))
      assert.equal(client.writableCorked, 0, 'uncorked on the next tick')
      // a later tick corks again, once
      maConn.sendData([Uint8Array.from([7])])
      assert.equal(client.writableCorked, 1)
      const deadline = Date.now() + 2000
      while (Buffer.concat(received).length < 7 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
      assert.deepEqual([...Buffer.concat(received)], [1, 2, 3, 4, 5, 6, 7])
    } finally {
      await close()
    }
  })

  it('leaves a connection without a net.Socket as it is', () => {
    const sendData = (): { sentBytes: number, canSendMore: boolean } => ({ sentBytes: 0, canSendMore: true })
    const maConn = { socket: {}, sendData }
    assert.equal(coalesceWrites(maConn), false)
    assert.equal(maConn.sendData, sendData)
  })
})
