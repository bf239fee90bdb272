import type { Clock, GossipMessage, MessageId } from '@hearsay/interface'

/**
 * Recent public messages, kept to answer `request` frames: bounded by total payload bytes and
 * by age, oldest dropped first.
 */
export class MessageCache {
  readonly #entries = new Map<MessageId, { message: GossipMessage, expires: number }>()
  readonly #ttlMs: number
  readonly #maxBytes: number
  readonly #clock: Clock
  #bytes = 0
  /** no entry expires before this: most calls skip the sweep without touching the map */
  #nextExpiry = Infinity

  constructor (ttlMs: number, maxBytes: number, clock: Clock) {
    this.#ttlMs = ttlMs
    this.#maxBytes = maxBytes
    this.#clock = clock
  }

  get (id: MessageId): GossipMessage | undefined {
    this.#expire()
    return this.#entries.get(id)?.message
  }

  put (message: GossipMessage): void {
    this.#expire()
    if (message.data.byteLength > this.#maxBytes || this.#entries.has(message.id)) return
    const expires = this.#clock.now() + this.#ttlMs
    this.#entries.set(message.id, { message, expires })
    if (expires < this.#nextExpiry) this.#nextExpiry = expires
    this.#bytes += message.data.byteLength
    for (const [id, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break
      this.#remove(id, entry.message)
    }
  }

  /** Payload bytes held. */
  get bytes (): number {
    return this.#bytes
  }

  #remove (id: MessageId, message: GossipMessage): void {
    this.#entries.delete(id)
    this.#bytes -= message.data.byteLength
  }

  #expire (): void {
    const now = this.#clock.now()
    if (now < this.#nextExpiry) return
    for (const [id, entry] of this.#entries) {
      if (entry.expires > now) {
        this.#nextExpiry = entry.expires
        return
      }
      this.#remove(id, entry.message)
    }
    this.#nextExpiry = Infinity
  }
}
