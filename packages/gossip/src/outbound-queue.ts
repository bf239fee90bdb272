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

  push (bytes: Uint8Array): void {
    if (this.#closed) return
    if (this.#stream == null || this.#blocked || this.#waiting.length > 0) {
      if (this.#waitingBytes + bytes.byteLength > this.#maxBytes) {
        this.#onDrop(bytes.byteLength)
        return
      }
      this.#waiting.push(bytes)
      this.#waitingBytes += bytes.byteLength
      return
    }
    this.#send(bytes)
  }

  close (): void {
    this.#closed = true
    this.#waiting = []
    this.#waitingBytes = 0
  }

  #send (bytes: Uint8Array): void {
    const stream = this.#stream
    if (stream == null || stream.status !== 'open' || stream.writeStatus !== 'writable') return
    let sent: boolean
    try {
      sent = stream.send(bytes)
    } catch {
      // the stream stopped taking data under us (its connection closing, a ban): it throws
      // instead of returning false, and frames go to the next stream, never up the caller's stack
      if (this.#stream === stream) this.detach()
      return
    }
    if (!sent) {
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
  }

  #flush (): void {
    while (this.#waiting.length > 0 && !this.#blocked && !this.#closed) {
      const bytes = this.#waiting.shift() as Uint8Array
      this.#waitingBytes -= bytes.byteLength
      this.#send(bytes)
    }
  }
}
