/**
 * A bounded varint length-prefix reader, for `lpStream(stream, { lengthDecoder })` of
 * `@libp2p/utils`. lpStream's own reader waits for the end of a prefix however many
 * continuation bytes arrive (it checks `maxLengthLength` only once the varint ends), so a peer
 * sending 0xff forever grew the prefix buffer until the read timed out. This one gives up past
 * the bytes that `maxBytes` needs. Pure: bytes in, a length or an error out.
 */

/** The bytes a length prefix is read from (a `Uint8ArrayList` or anything shaped like one). */
export interface PrefixBytes {
  /** How many bytes are available so far. */
  readonly byteLength: number
  /** The byte at `index` (0 ≤ index < byteLength). */
  get(index: number): number
}

/** A length prefix longer than any allowed frame needs; named as lpStream names its own. */
export class LengthPrefixError extends Error {
  /**
   * An error named `InvalidDataLengthLengthError`, as lpStream names its own.
   *
   * @param message - what was wrong with the prefix
   */
  constructor (message: string) {
    super(message)
    this.name = 'InvalidDataLengthLengthError'
  }
}

/**
 * A `lengthDecoder` for frames of at most `maxBytes`: returns the decoded length, throws a
 * `RangeError` while the prefix is incomplete (lpStream then reads more) and a
 * {@link LengthPrefixError} once the prefix is longer than `maxBytes` could need.
 */
export function boundedLength (maxBytes: number): (data: PrefixBytes) => number {
  const maxPrefixBytes = Math.max(1, Math.ceil(Math.log2(maxBytes + 1) / 7))
  return data => {
    let value = 0
    for (let i = 0; i < data.byteLength; i++) {
      if (i >= maxPrefixBytes) throw new LengthPrefixError(`a length prefix longer than ${maxPrefixBytes} bytes`)
      const byte = data.get(i)
      value += (byte & 0x7f) * 2 ** (7 * i)
      if (byte < 0x80) return value
    }
    throw new RangeError('incomplete length prefix')
  }
}
