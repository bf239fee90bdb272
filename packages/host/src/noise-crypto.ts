import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
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
const keys = new WeakMap<Uint8Array, { bytes: Uint8Array, key: KeyObject }>()

function keyObject (k: Uint8Array): KeyObject {
  const cached = keys.get(k)
  if (cached != null && sameBytes(cached.bytes, k)) return cached.key
  const key = createSecretKey(k)
  keys.set(k, { bytes: Uint8Array.from(k), key })
  return key
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Noise's default crypto (`@chainsafe/libp2p-noise/crypto`) with ChaCha20-Poly1305 of transport
 * messages made cheaper in Node: the session key becomes a `KeyObject` once, not at every
 * message, and a sealed message is returned as its parts (ciphertext, tag) instead of being
 * copied into one buffer. Same algorithm, same bytes on the wire.
 */
export const hostNoiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
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
