import { createPrivateKey, sign } from 'node:crypto'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'
import { base64url } from './noise-crypto.ts'
import type { Uint8ArrayList } from 'uint8arraylist'

/**
 * `key` signing with one `KeyObject` made once, where `@libp2p/crypto` 5 builds a new one from
 * the raw key (a JWK import) at every Ed25519 signature: 89 µs a signature against 31 µs here.
 * The node signs at every connection (its Noise handshake payload, its identify peer record),
 * so at 1000 idle hosts, whose feelers each cost a handshake at both ends, those imports were
 * part of the handshakes' cost. Same key, same signatures; anything but Ed25519 is returned as is.
 *
 * The result delegates to `key` (its prototype), so its fields, `equals` and `instanceof` are
 * `key`'s; only `sign` is its own.
 */
export function withCachedSigning (key: PrivateKey): PrivateKey {
  if (key.type !== 'Ed25519' || key.raw.byteLength !== 64) return key
  const keyObject = createPrivateKey({
    format: 'jwk',
    key: { kty: 'OKP', crv: 'Ed25519', d: base64url(key.raw.subarray(0, 32)), x: base64url(key.raw.subarray(32)) }
  })
  const signWith = (message: Uint8Array | Uint8ArrayList, options?: AbortOptions): Uint8Array => {
    options?.signal?.throwIfAborted()
    return sign(null, message instanceof Uint8Array ? message : message.subarray(), keyObject)
  }
  return Object.create(key, { sign: { value: signWith } })
}
