import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseMessageLength, withCheapNoiseLengths } from '../dist/noise-length.js'
import { hostNoiseCrypto } from '../dist/noise-crypto.js'

async function components (): Promise<any> {
  const privateKey = await generateKeyPair('Ed25519')
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), logger: defaultLogger(), upgrader: { getStreamMuxers: () => new Map() } }
}

describe('withCheapNoiseLengths', () => {
  it('reads a 2-byte big-endian length from one array or from chunks split inside it', () => {
    assert.equal(noiseMessageLength(Uint8Array.of(0x01, 0x02, 0xff)), 258)
    assert.equal(noiseMessageLength(new Uint8ArrayList(Uint8Array.of(0xff), Uint8Array.of(0xfe))), 65534)
  })

  it('reports a length not all arrived yet with one RangeError made once, not a new one per call', () => {
    const thrown = [new Uint8Array(0), Uint8Array.of(1), new Uint8ArrayList(Uint8Array.of(1))].map(data => {
      try { noiseMessageLength(data) } catch (err) { return err }
      return undefined
    })
    assert.ok(thrown[0] instanceof RangeError, '@libp2p/utils waits for more data on a RangeError')
    assert.ok(thrown.every(err => err === thrown[0]), 'the same object every time')
  })

  it('gives both ends of a Noise connection the cheap decoder, and their messages arrive whole and in order', async () => {
    const [a, b] = multiaddrConnectionPair()
    const encrypter = async (): Promise<any> => withCheapNoiseLengths(noise({ crypto: hostNoiseCrypto }))(await components())
    const [left, right] = [await encrypter(), await encrypter()]
    const [outbound, inbound] = await Promise.all([
      left.secureOutbound(a, { remotePeer: right.components.peerId }),
      right.secureInbound(b)
    ])
    for (const end of [outbound, inbound]) assert.equal(end.connection.decoder.lengthDecoder, noiseMessageLength)
    // sizes around one Noise message (65 519 bytes of plaintext) and many messages in one send
    const sent = [1, 2, 65_519, 65_520, 300_000].map(size => randomBytes(size))
    const received = new Uint8ArrayList()
    const total = sent.reduce((sum, s) => sum + s.byteLength, 0)
    const all = new Promise<void>(resolve => {
      inbound.connection.addEventListener('message', (event: any) => {
        received.append(event.data)
        if (received.byteLength === total) resolve()
      })
    })
    for (const bytes of sent) outbound.connection.send(bytes)
    await all
    assert.deepEqual(received.subarray(), new Uint8Array(Buffer.concat(sent)))
    outbound.connection.abort(new Error('test over'))
    inbound.connection.abort(new Error('test over'))
  })
})
