import { FRAME_SLACK, type KvLimits } from './limits.ts'
import { entrySize, type KvEntry } from './entry.ts'

/**
 * Entries waiting to be pushed to one peer. A newer write of a key replaces the waiting one
 * (only the latest matters to a last-writer-wins map), and the queue holds at most `maxEntries`:
 * past that, new entries are dropped and counted. Nothing is lost for good: the next
 * anti-entropy sync repairs whatever a push did not deliver.
 */
export class PushQueue {
  readonly #maxEntries: number
  readonly #waiting = new Map<string, KvEntry>()
  /** Entries dropped because the queue was full. */
  dropped = 0

  constructor (maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  get size (): number {
    return this.#waiting.size
  }

  /** Queue `entry`; returns false if it was dropped. */
  add (entry: KvEntry): boolean {
    if (!this.#waiting.has(entry.key) && this.#waiting.size >= this.#maxEntries) {
      this.dropped++
      return false
    }
    // delete first so the key moves to the back: entries leave in the order of their last write
    this.#waiting.delete(entry.key)
    this.#waiting.set(entry.key, entry)
    return true
  }

  /** Take the oldest entries that fit in one frame (at least one, if any wait). */
  take (limits: KvLimits): KvEntry[] {
    const batch: KvEntry[] = []
    let budget = limits.maxFrameBytes - FRAME_SLACK
    for (const entry of this.#waiting.values()) {
      const size = entrySize(entry)
      if (batch.length > 0 && (batch.length >= limits.maxEntriesPerFrame || size > budget)) break
      batch.push(entry)
      budget -= size
    }
    for (const entry of batch) this.#waiting.delete(entry.key)
    return batch
  }

  clear (): void {
    this.#waiting.clear()
  }
}
