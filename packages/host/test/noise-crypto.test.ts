import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { hostNoiseCrypto } from '../dist/noise-crypto.js'

/** The list type Noise's crypto interface names: its major of uint8arraylist (2), not ours (3). */
type NoiseList = Exclude<Parameters<ICryptoInterface['chaCha20Poly1305Encrypt']>[0], Uint8Array>
const list = (...parts: Uint8Array[]): NoiseList => new Uint8ArrayList(...parts) as unknown as NoiseList
const join = (data: Uint8Array | NoiseList): Uint8Array => data instanceof Uint8Array ? data : data.subarray()

describe('hostNoiseCrypto', () => {
  const nonce = new Uint8Array(12)
  nonce[4] = 7
  const ad = randomBytes(32)

  for (const size of [0, 100, 1199, 1200, 65_519]) {
    it(`seals and opens ${size} bytes exactly as Noise's default crypto does, either way round`, () => {
      const k = randomBytes(32)
      const text = randomBytes(size)
      const ours = join(hostNoiseCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, k))
      const theirs = join(defaultCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, k))
      assert.deepEqual(new Uint8Array(ours), new Uint8Array(theirs))
      assert.deepEqual(new Uint8Array(join(hostNoiseCrypto.chaCha20Poly1305Decrypt(theirs, nonce, ad, k))), new Uint8Array(text))
      assert.deepEqual(new Uint8Array(join(defaultCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, k))), new Uint8Array(text))
    })
  }

  it('takes a message split across chunks, as it arrives from the socket', () => {
    const k = randomBytes(32)
    const text = randomBytes(65_519)
    const sealed = join(hostNoiseCrypto.chaCha20Poly1305Encrypt(list(text.subarray(0, 1000), text.subarray(1000)), nonce, ad, k))
    assert.deepEqual(new Uint8Array(sealed), new Uint8Array(join(defaultCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, k))))
    const chunks = list(sealed.subarray(0, 65_530), sealed.subarray(65_530))
    assert.deepEqual(new Uint8Array(join(hostNoiseCrypto.chaCha20Poly1305Decrypt(chunks, nonce, ad, k))), new Uint8Array(text))
  })

  it('rejects a damaged message or a wrong nonce', () => {
    const k = randomBytes(32)
    const sealed = Uint8Array.from(join(hostNoiseCrypto.chaCha20Poly1305Encrypt(randomBytes(5000), nonce, ad, k)))
    const other = new Uint8Array(12)
    assert.throws(() => hostNoiseCrypto.chaCha20Poly1305Decrypt(sealed, other, ad, k))
    sealed[100] ^= 1
    assert.throws(() => hostNoiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, k))
  })

  it('uses the key in the array now, even when the same array held another key before', () => {
    const k = randomBytes(32)
    const text = randomBytes(4000)
    hostNoiseCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, k)
    k.set(randomBytes(32))
    const sealed = join(hostNoiseCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, k))
    assert.deepEqual(new Uint8Array(sealed), new Uint8Array(join(defaultCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, Uint8Array.from(k)))))
  })

  it('agrees on X25519 shared keys with the default crypto of Noise, for its own key pairs and for those of the default', () => {
    for (let i = 0; i < 20; i++) {
      const ours = hostNoiseCrypto.generateX25519KeyPair()
      const theirs = defaultCrypto.generateX25519KeyPair()
      assert.equal(ours.privateKey.byteLength, 32)
      assert.equal(ours.publicKey.byteLength, 32)
      const a = hostNoiseCrypto.generateX25519SharedKey(ours.privateKey, theirs.publicKey)
      const b = defaultCrypto.generateX25519SharedKey(theirs.privateKey, ours.publicKey)
      assert.deepEqual(new Uint8Array(a), new Uint8Array(b))
      // again, from the cached key objects
      assert.deepEqual(new Uint8Array(hostNoiseCrypto.generateX25519SharedKey(ours.privateKey, theirs.publicKey)), new Uint8Array(b))
      assert.deepEqual(new Uint8Array(hostNoiseCrypto.generateX25519SharedKey(theirs.privateKey, ours.publicKey)), new Uint8Array(b))
    }
  })

  it('takes the peer\'s X25519 key as a list, as Noise reads it from a message (one chunk or split), and caches it by that list', () => {
    const ours = hostNoiseCrypto.generateX25519KeyPair()
    for (let i = 0; i < 10; i++) {
      const theirs = defaultCrypto.generateX25519KeyPair()
      const expected = new Uint8Array(defaultCrypto.generateX25519SharedKey(theirs.privateKey, ours.publicKey))
      for (const remote of [list(theirs.publicKey), list(theirs.publicKey.subarray(0, 5), theirs.publicKey.subarray(5))]) {
        // twice: the second from the key object cached for this list
        assert.deepEqual(new Uint8Array(hostNoiseCrypto.generateX25519SharedKey(ours.privateKey, remote)), expected)
        assert.deepEqual(new Uint8Array(hostNoiseCrypto.generateX25519SharedKey(ours.privateKey, remote)), expected)
      }
    }
    // a list whose bytes changed gets a new key object
    const [x, y] = [defaultCrypto.generateX25519KeyPair(), defaultCrypto.generateX25519KeyPair()]
    const chunk = Uint8Array.from(x.publicKey)
    const remote = list(chunk)
    assert.deepEqual(new Uint8Array(hostNoiseCrypto.generateX25519SharedKey(ours.privateKey, remote)),
      new Uint8Array(defaultCrypto.generateX25519SharedKey(x.privateKey, ours.publicKey)))
    chunk.set(y.publicKey)
    assert.deepEqual(new Uint8Array(hostNoiseCrypto.generateX25519SharedKey(ours.privateKey, remote)),
      new Uint8Array(defaultCrypto.generateX25519SharedKey(y.privateKey, ours.publicKey)))
  })

  it('never serves a stale X25519 key object for a key array whose bytes changed', () => {
    const a = defaultCrypto.generateX25519KeyPair()
    const b = defaultCrypto.generateX25519KeyPair()
    const c = defaultCrypto.generateX25519KeyPair()
    const key = Uint8Array.from(a.privateKey)
    const first = hostNoiseCrypto.generateX25519SharedKey(key, c.publicKey)
    assert.deepEqual(new Uint8Array(first), new Uint8Array(defaultCrypto.generateX25519SharedKey(a.privateKey, c.publicKey)))
    key.set(b.privateKey)
    assert.deepEqual(new Uint8Array(hostNoiseCrypto.generateX25519SharedKey(key, c.publicKey)), new Uint8Array(defaultCrypto.generateX25519SharedKey(b.privateKey, c.publicKey)))
  })
})
