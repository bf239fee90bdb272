import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Uint8ArrayList } from 'uint8arraylist'
import { withCachedSigning } from '../dist/signing-key.js'

describe('withCachedSigning', () => {
  it('signs what the key itself signs (Ed25519 is deterministic), arrays and lists, and its public key verifies it', async () => {
    const key = await generateKeyPair('Ed25519')
    const cached = withCachedSigning(key)
    for (let i = 0; i < 20; i++) {
      const message = randomBytes(1 + i * 37)
      const signature = await cached.sign(message)
      assert.deepEqual(new Uint8Array(signature), new Uint8Array(await key.sign(message)))
      assert.ok(await key.publicKey.verify(message, signature))
      const split = new Uint8ArrayList(message.subarray(0, 1), message.subarray(1))
      assert.deepEqual(new Uint8Array(await cached.sign(split)), new Uint8Array(signature))
    }
    assert.ok(await key.publicKey.verify(randomBytes(10), await cached.sign(randomBytes(10))) === false, 'a signature of other bytes does not verify')
  })

  it('is the same key everywhere else: type, bytes, public key, peer id, equals, protobuf', async () => {
    const key = await generateKeyPair('Ed25519')
    const cached = withCachedSigning(key)
    assert.equal(cached.type, 'Ed25519')
    assert.deepEqual(cached.raw, key.raw)
    assert.ok(cached.publicKey.equals(key.publicKey))
    assert.ok(cached.equals(key) && key.equals(cached))
    assert.ok(peerIdFromPrivateKey(cached).equals(peerIdFromPrivateKey(key)))
    assert.deepEqual(privateKeyToProtobuf(cached), privateKeyToProtobuf(key))
    assert.ok(privateKeyFromProtobuf(privateKeyToProtobuf(cached)).equals(key))
  })

  it('honours an aborted signal, and leaves other key types as they are', async () => {
    const cached = withCachedSigning(await generateKeyPair('Ed25519'))
    assert.throws(() => cached.sign(randomBytes(4), { signal: AbortSignal.abort() }), { name: 'AbortError' })
    const secp = await generateKeyPair('secp256k1')
    assert.equal(withCachedSigning(secp), secp)
  })
})
