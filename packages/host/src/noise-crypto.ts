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
  return cachedKey(sessionKeys, k, () => createSecretKey(k))
}

/** `KeyObject`s by the array of the raw key they were made from, with a copy of its bytes. */
type KeyCache = WeakMap<Uint8Array, { bytes: Uint8Array, key: KeyObject }>

/** `raw`'s `KeyObject` from `cache`; made by `make` when there is none, or the array's bytes changed. */
function cachedKey (cache: KeyCache, raw: Uint8Array, make: () => KeyObject): KeyObject {
  const cached = cache.get(raw)
  if (cached != null && sameBytes(cached.bytes, raw)) return cached.key
  return remember(cache, raw, make())
}

function remember (cache: KeyCache, raw: Uint8Array, key: KeyObject): KeyObject {
  cache.set(raw, { bytes: Uint8Array.from(raw), key })
  return key
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** DER headers that make a raw 32-byte X25519 key a PKCS #8 private key or an SPKI public key. */
const X25519_PKCS8 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])
const X25519_SPKI = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00])

const x25519Keys: KeyCache = new WeakMap()

/**
 * An X25519 key's `KeyObject`, made once per key array. Noise's default crypto parses both keys
 * from DER at every Diffie-Hellman, three per handshake and side, though the static key is the
 * same in every handshake and each ephemeral key serves two: at 1000 idle hosts in one process,
 * whose feelers each cost a handshake, that parsing was a tenth of the main thread's busy time.
 * Cached as session keys are (`cachedKey`).
 */
function x25519Key (raw: Uint8Array, kind: 'private' | 'public'): KeyObject {
  return cachedKey(x25519Keys, raw, () => {
    const header = kind === 'private' ? X25519_PKCS8 : X25519_SPKI
    const der = Buffer.alloc(header.byteLength + raw.byteLength)
    der.set(header)
    der.set(raw, header.byteLength)
    return kind === 'private' ? createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) : createPublicKey({ key: der, format: 'der', type: 'spki' })
  })
}

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
    const privateKey = new Uint8Array(pair.privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(X25519_PKCS8.byteLength))
    const publicKey = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }).subarray(X25519_SPKI.byteLength))
    // the ephemeral key's object is the one just made: its two Diffie-Hellmans parse nothing
    remember(x25519Keys, privateKey, pair.privateKey)
    return { privateKey, publicKey }
  },
  generateX25519SharedKey (privateKey, publicKey) {
    if (!(privateKey instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) return defaultCrypto.generateX25519SharedKey(privateKey, publicKey)
    return diffieHellman({ privateKey: x25519Key(privateKey, 'private'), publicKey: x25519Key(publicKey, 'public') })
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
