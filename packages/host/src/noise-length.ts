import type { ConnectionEncrypter } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/**
 * The "not enough bytes yet" signal, made once. `@libp2p/utils`' `LengthPrefixedDecoder` takes any
 * `RangeError` from its length decoder to mean "wait for more data", and it asks again after every
 * frame it takes, so once per Noise message it meets an empty buffer. Noise's own decoder
 * (`uint16BEDecode`, `@chainsafe/libp2p-noise` 17.0.0) then builds a fresh `RangeError`, stack
 * trace and all: 1 % of a core at 1000 idle hosts, and one per 64 KiB of a bulk transfer. A thrown
 * object made once costs no stack.
 */
const NEED_MORE_BYTES = new RangeError('fewer than 2 bytes of a Noise message length buffered')

/** A Noise message's 2-byte big-endian length, as Noise reads it, throwing one `RangeError`, made once, when it has not all arrived. */
export function noiseMessageLength (data: Uint8Array | Uint8ArrayList): number {
  if (data.byteLength < 2) throw NEED_MORE_BYTES
  return data instanceof Uint8Array ? (data[0] << 8) | data[1] : data.getUint16(0)
}

/** What {@link withCheapNoiseLengths} looks for on a secured connection: Noise's stream keeps its decoder there. */
interface DecodingStream {
  decoder?: { lengthDecoder?: { name?: string } & ((data: Uint8Array | Uint8ArrayList) => number) }
}

/** Give a Noise-secured connection the length decoder above, if it has Noise's. */
function cheapen (connection: unknown): void {
  const decoder = (connection as DecodingStream | undefined)?.decoder
  if (decoder?.lengthDecoder?.name === 'uint16BEDecode') decoder.lengthDecoder = noiseMessageLength
}

/**
 * Wrap a Noise connection encrypter factory (`noise()`) so that every connection it secures reads
 * its message lengths with {@link noiseMessageLength}, which reports a partly arrived length
 * without building an `Error` each time. Bytes and behaviour are unchanged; a Noise version whose
 * stream keeps no such decoder is left as it is.
 *
 * @typeParam F - the encrypter factory's type, returned unchanged
 */
export function withCheapNoiseLengths<F extends (components: any) => ConnectionEncrypter> (factory: F): F {
  return ((components: any) => {
    const encrypter = factory(components)
    for (const method of ['secureInbound', 'secureOutbound'] as const) {
      const secure = encrypter[method].bind(encrypter)
      encrypter[method] = async (...args) => {
        const secured = await secure(...args)
        cheapen(secured.connection)
        return secured
      }
    }
    return encrypter
  }) as F
}
