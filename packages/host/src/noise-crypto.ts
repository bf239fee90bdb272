import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, createSecretKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
// the workspace's major (3). Noise 17 still names major 2 in its types, but reads what we return
// only as any list is read (byteLength, subarray, iteration), which both majors share
import { Uint8ArrayList } from 'uint8arraylist'

/** The list type Noise's crypto interface names (major 2's). */
type NoiseList = Exclude<ReturnType<ICryptoInterface['chaCha20Poly1305Encrypt']>, Uint8Array>
const noiseList = (parts: Uint8Array[]): NoiseList => new Uint8ArrayList(...parts) as unknown as NoiseList

const CHACHA = 'chacha20-poly1305'
const TAG_BYTES = 16
/** Below this, `@chainsafe/libp2p-noise`'s WebAssembly cipher is the faster (its own measure). */
const NATIVE_FROM_BYTES = 1200

/**
 * A session key's `KeyObject`, made once. Node checks a raw key given to `createCipheriv` by
 * failing a `KeyObject` brand check first, about 15 µs a call: with one call per 64 KiB Noise
 * message that was a fifth of decrypting. Keyed by the key's array, which Noise keeps for the
 * session; the bytes are compared too, so a reused array never gets a stale key.
 */
const sessionKeys: KeyCache = new WeakMap()

function keyObject (k: Uint8Array): KeyObject {
  return cachedKey(sessionKeys, k, bytes => createSecretKey(bytes))
}

/** `KeyObject`s by the array (or list) of the raw key they were made from, with a copy of its bytes. */
type KeyCache = WeakMap<Uint8Array | Uint8ArrayList, { bytes: Uint8Array, key: KeyObject }>

/** `raw`'s `KeyObject` from `cache`; made by `make` from its bytes when there is none, or the bytes changed. */
function cachedKey (cache: KeyCache, raw: Uint8Array | Uint8ArrayList, make: (bytes: Uint8Array) => KeyObject): KeyObject {
  const bytes = raw instanceof Uint8Array ? raw : raw.subarray()
  const cached = cache.get(raw)
  if (cached != null && sameBytes(cached.bytes, bytes)) return cached.key
  return remember(cache, raw, bytes, make(bytes))
}

function remember (cache: KeyCache, raw: Uint8Array | Uint8ArrayList, bytes: Uint8Array, key: KeyObject): KeyObject {
  cache.set(raw, { bytes: Uint8Array.from(bytes), key })
  return key
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

const x25519Keys: KeyCache = new WeakMap()

/**
 * An X25519 key's `KeyObject`, made once per key array or list. Noise's default crypto imports
 * both keys at every Diffie-Hellman, three per handshake and side, though the static key is the
 * same in every handshake and each ephemeral key serves two. The peer's ephemeral key comes as
 * a list (a part of the message it came in), which the cache must take too: keyed by arrays only,
 * it missed two of the three at each side. Cached as session keys are (`cachedKey`).
 */
function x25519Key (raw: Uint8Array | Uint8ArrayList, kind: 'private' | 'public'): KeyObject {
  return cachedKey(x25519Keys, raw, bytes => kind === 'private'
    ? createPrivateKey({ key: Buffer.concat([X25519_PKCS8, bytes]), format: 'der', type: 'pkcs8' })
    : createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: base64url(bytes) }, format: 'jwk' }))
}

/** The DER header that makes a raw 32-byte X25519 key a PKCS #8 private key. */
const X25519_PKCS8 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])

/** `bytes` in base64url, as a JWK holds key bytes. */
export const base64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
const fromBase64url = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'))

/**
 * Noise's default crypto (`@chainsafe/libp2p-noise/crypto`) with ChaCha20-Poly1305 of transport
 * messages made cheaper in Node: the session key becomes a `KeyObject` once, not at every
 * message, and a sealed message is returned as its parts (ciphertext, tag) instead of being
 * copied into one buffer; and X25519 keys become `KeyObject`s once, not at every Diffie-Hellman
 * (see `x25519Key`). Same algorithms, same bytes on the wire.
 */
export const hostNoiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  generateX25519KeyPair () {
    const pair = generateKeyPairSync('x25519')
    // raw keys by way of JWK: a DER export of both took twice as long as the key's generation
    const privateKey = fromBase64url(pair.privateKey.export({ format: 'jwk' }).d as string)
    const publicKey = fromBase64url(pair.publicKey.export({ format: 'jwk' }).x as string)
    // the ephemeral key's object is the one just made: its two Diffie-Hellmans import nothing
    remember(x25519Keys, privateKey, privateKey, pair.privateKey)
    return { privateKey, publicKey }
  },
  generateX25519SharedKey (privateKey, publicKey) {
    return diffieHellman({ privateKey: x25519Key(privateKey as Uint8Array | Uint8ArrayList, 'private'), publicKey: x25519Key(publicKey as Uint8Array | Uint8ArrayList, 'public') })
  },
  chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
    if (plaintext.byteLength < NATIVE_FROM_BYTES) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    const cipher = createCipheriv(CHACHA, keyObject(k), nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(ad, { plaintextLength: plaintext.byteLength })
    const parts: Uint8Array[] = []
    if (plaintext instanceof Uint8Array) parts.push(cipher.update(plaintext))
    else for (const chunk of plaintext) parts.push(cipher.update(chunk))
    const final = cipher.final()
    if (final.byteLength > 0) parts.push(final)
    parts.push(cipher.getAuthTag())
    return noiseList(parts)
  },
  chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
    if (ciphertext.byteLength < NATIVE_FROM_BYTES) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
    const textBytes = ciphertext.byteLength - TAG_BYTES
    const decipher = createDecipheriv(CHACHA, keyObject(k), nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(ad, { plaintextLength: textBytes })
    decipher.setAuthTag(ciphertext.subarray(textBytes))
    const parts: Uint8Array[] = []
    if (ciphertext instanceof Uint8Array) parts.push(decipher.update(ciphertext.subarray(0, textBytes)))
    else for (const chunk of ciphertext.sublist(0, textBytes)) parts.push(decipher.update(chunk))
    // final() is what checks the tag: it throws on a forged or damaged message
    const final = decipher.final()
    if (final.byteLength > 0) parts.push(final)
    return parts.length === 1 ? parts[0] : noiseList(parts)
  }
}
