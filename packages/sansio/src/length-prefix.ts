/**
 * A bounded varint length-prefix reader, for `lpStream(stream, { lengthDecoder })` of
 * `@libp2p/utils`. lpStream's own reader waits for the end of a prefix however many
 * continuation bytes arrive (it checks `maxLengthLength` only once the varint ends), so a peer
 * sending 0xff forever grew the prefix buffer until the read timed out. This one gives up past
 * the bytes that `maxBytes` needs. Pure: bytes in, a length or an error out. {@link FrameDecoder}
 * splits a byte stream into frames with the same bound.
 */
import { Uint8ArrayList } from 'uint8arraylist'

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
  const maxPrefixBytes = prefixBytesFor(maxBytes)
  return data => {
    const prefix = readPrefix(data, maxPrefixBytes)
    if (prefix == null) throw new RangeError('incomplete length prefix')
    return prefix.length
  }
}

/** The most prefix bytes a varint of at most `maxBytes` takes. */
function prefixBytesFor (maxBytes: number): number {
  return Math.max(1, Math.ceil(Math.log2(maxBytes + 1) / 7))
}

/** The varint at the start of `data` and its size; `undefined` while incomplete; throws past `maxPrefixBytes`. */
function readPrefix (data: PrefixBytes, maxPrefixBytes: number): { length: number, bytes: number } | undefined {
  let value = 0
  for (let i = 0; i < data.byteLength; i++) {
    if (i >= maxPrefixBytes) throw new LengthPrefixError(`a length prefix longer than ${maxPrefixBytes} bytes`)
    const byte = data.get(i)
    value += (byte & 0x7f) * 2 ** (7 * i)
    if (byte < 0x80) return { length: value, bytes: i + 1 }
  }
  return undefined
}

/**
 * Splits a byte stream into length-prefixed frames. It throws as soon as a length prefix
 * announces more than `maxFrameBytes` (a {@link LengthPrefixError} for a prefix too long, a
 * `RangeError` for a length too large), so at most one incomplete frame (bounded) is ever
 * buffered beyond the chunk at hand. Empty frames are skipped.
 */
export class FrameDecoder {
  /** The largest frame accepted. */
  readonly maxFrameBytes: number
  readonly #maxPrefixBytes: number
  readonly #buffer = new Uint8ArrayList()

  /**
   * An empty decoder.
   *
   * @param maxFrameBytes - the largest frame accepted; a longer length prefix throws
   */
  constructor (maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes
    this.#maxPrefixBytes = prefixBytesFor(maxFrameBytes)
  }

  /** Bytes held of a frame not yet complete: non-zero when a stream ends mid-frame. */
  get buffered (): number {
    return this.#buffer.byteLength
  }

  /**
   * Append `chunk` and yield every frame now complete (without its length prefix); an
   * incomplete one stays buffered for the next chunk. Throws on a prefix over `maxFrameBytes`.
   */
  * decode (chunk: Uint8Array | Uint8ArrayList): Generator<Uint8ArrayList> {
    this.#buffer.append(chunk)
    const buffer = this.#buffer
    for (;;) {
      const prefix = readPrefix(buffer, this.#maxPrefixBytes)
      if (prefix == null) return
      const { length, bytes } = prefix
      if (length > this.maxFrameBytes) throw new RangeError(`frame of ${length} bytes over the limit of ${this.maxFrameBytes}`)
      if (buffer.byteLength < bytes + length) return
      const frame = buffer.sublist(bytes, bytes + length)
      buffer.consume(bytes + length)
      if (length > 0) yield frame
    }
  }
}
