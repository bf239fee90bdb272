/**
 * A fixed-length set of piece indices as bits, most significant bit first in each byte
 * (BitTorrent's layout): bit i lives in byte `i >> 3` under mask `0x80 >> (i & 7)`.
 */
export class Bitfield {
  readonly length: number
  readonly bytes: Uint8Array
  #count = 0

  /**
   * An empty bitfield of `length` bits, or a copy of `bytes` (which must be a valid bitfield of
   * that length: {@link Bitfield.isValid}).
   */
  constructor (length: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError('bitfield length must be a non-negative integer')
    this.length = length
    this.bytes = new Uint8Array(Bitfield.byteLength(length))
    if (bytes != null) {
      if (!Bitfield.isValid(length, bytes)) throw new RangeError(`not a bitfield of ${length} bits`)
      this.bytes.set(bytes)
      for (let i = 0; i < length; i++) if (this.get(i)) this.#count++
    }
  }

  /** Bytes needed for `length` bits. */
  static byteLength (length: number): number {
    return Math.ceil(length / 8)
  }

  /** True when `bytes` is exactly a bitfield of `length` bits with its spare bits clear. */
  static isValid (length: number, bytes: Uint8Array): boolean {
    if (bytes.byteLength !== Bitfield.byteLength(length)) return false
    const spare = length & 7
    return spare === 0 || (bytes[bytes.byteLength - 1] & (0xff >> spare)) === 0
  }

  /** A bitfield with every bit set. */
  static full (length: number): Bitfield {
    const field = new Bitfield(length)
    for (let i = 0; i < length; i++) field.set(i)
    return field
  }

  /** Whether bit `index` is set; false outside `0..length-1`. */
  get (index: number): boolean {
    if (index < 0 || index >= this.length) return false
    return (this.bytes[index >> 3] & (0x80 >> (index & 7))) !== 0
  }

  /** Set bit `index`; true when it was clear. */
  set (index: number): boolean {
    if (index < 0 || index >= this.length || this.get(index)) return false
    this.bytes[index >> 3] |= 0x80 >> (index & 7)
    this.#count++
    return true
  }

  /** Clear bit `index`; true when it was set. */
  clear (index: number): boolean {
    if (!this.get(index)) return false
    this.bytes[index >> 3] &= ~(0x80 >> (index & 7))
    this.#count--
    return true
  }

  /** How many bits are set. */
  get count (): number {
    return this.#count
  }

  /** Whether every bit is set. */
  get complete (): boolean {
    return this.#count === this.length
  }
}
