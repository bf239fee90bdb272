import type { Stream } from '@libp2p/interface'

/**
 * Frames on their way to one peer. `stream.send()` buffers and returns false when the
 * muxer's buffer is full; frames then wait here for `drain`, up to `maxBytes`, beyond which
 * they are dropped (a slow peer must not grow our memory without bound).
 */
export class OutboundQueue {
  readonly #maxBytes: number
  readonly #onDrop: (bytes: number) => void
  #stream: Stream | undefined
  #waiting: Uint8Array[] = []
  #waitingBytes = 0
  #blocked = false
  #closed = false

  constructor (maxBytes: number, onDrop: (bytes: number) => void) {
    this.#maxBytes = maxBytes
    this.#onDrop = onDrop
  }

  /**
   * The stream frames go to once it is open; `first` goes before the frames queued while there
   * was none.
   */
  attach (stream: Stream, first?: Uint8Array): void {
    this.#stream = stream
    this.#blocked = false
    if (first != null) {
      this.#waiting.unshift(first)
      this.#waitingBytes += first.byteLength
    }
    this.#flush()
  }

  /** The stream ended: queue (bounded) until the next {@link OutboundQueue.attach}. */
  detach (): void {
    this.#stream = undefined
    this.#blocked = false
  }

  get attached (): boolean {
    return this.#stream != null
  }

  /** Frames waiting for a stream or for `drain`. */
  get waiting (): number {
    return this.#waiting.length
  }

  push (bytes: Uint8Array): void {
    if (this.#closed) return
    if (this.#stream == null || this.#blocked || this.#waiting.length > 0 || !this.#send(bytes)) this.#enqueue(bytes, false)
  }

  /** Keep a frame for later (bounded): at the back, or back at the front when a send failed. */
  #enqueue (bytes: Uint8Array, front: boolean): void {
    if (this.#waitingBytes + bytes.byteLength > this.#maxBytes) {
      this.#onDrop(bytes.byteLength)
      return
    }
    if (front) this.#waiting.unshift(bytes)
    else this.#waiting.push(bytes)
    this.#waitingBytes += bytes.byteLength
  }

  close (): void {
    this.#closed = true
    this.#waiting = []
    this.#waitingBytes = 0
  }

  /**
   * Hand a frame to the stream; false when the stream can no longer take it (then it is let go,
   * and the caller keeps the frame for the next stream: a stream ending must not lose frames).
   */
  #send (bytes: Uint8Array): boolean {
    const stream = this.#stream
    if (stream == null) return false
    if (stream.status !== 'open' || stream.writeStatus !== 'writable') {
      this.detach()
      return false
    }
    let sent: boolean
    try {
      sent = stream.send(bytes)
    } catch {
      // the stream stopped taking data under us (its connection closing, a ban): it throws
      // instead of returning false, and frames go to the next stream, never up the caller's stack
      if (this.#stream === stream) this.detach()
      return false
    }
    if (!sent) {
      // taken, but buffered past the muxer's limit: hold the next frames until it drains
      this.#blocked = true
      stream.onDrain().then(() => {
        if (this.#stream !== stream) return
        this.#blocked = false
        this.#flush()
      }, () => {
        // the stream closed or reset: frames wait for the next stream
        if (this.#stream === stream) this.detach()
      })
    }
    return true
  }

  #flush (): void {
    while (this.#waiting.length > 0 && !this.#blocked && !this.#closed) {
      const bytes = this.#waiting.shift() as Uint8Array
      this.#waitingBytes -= bytes.byteLength
      if (!this.#send(bytes)) {
        this.#enqueue(bytes, true)
        return
      }
    }
  }
}
