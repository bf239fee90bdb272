/**
 * The mempool: validated transactions waiting to be mined, as a plain data structure with an
 * injected clock. Bounded by count and bytes; when full, the lowest fee goes first (all
 * transactions have one size, so the fee is the fee rate); one spend per (sender, nonce), first
 * seen wins; entries expire.
 */
import { TX_BYTES, txId, type Tx } from './tx.ts'
import type { Clock } from '@hearsay/interface'

/** Options of {@link Mempool}. */
export interface MempoolOptions {
  clock: Clock
  /** @default 10 000 */
  maxCount?: number
  /** @default 8 MiB */
  maxBytes?: number
  /** Lowest fee accepted. @default 1 */
  minFee?: bigint
  /** How long a transaction stays. @default 24 h */
  expiryMs?: number
}

/** One transaction in the pool. */
export interface PoolEntry {
  id: string
  tx: Tx
  /** When this node accepted it, ms since the epoch. */
  addedAt: number
}

/** Why {@link Mempool.add} refused a transaction. */
export type RefusalReason = 'duplicate' | 'conflict' | 'fee-too-low' | 'mempool-full'

/** The outcome of {@link Mempool.add}. */
export type AddResult =
  | { ok: true, id: string, evicted: string[] }
  | { ok: false, id: string, reason: RefusalReason, message: string }

export class Mempool {
  readonly #clock: Clock
  readonly #maxCount: number
  readonly #maxBytes: number
  readonly #minFee: bigint
  readonly #expiryMs: number
  readonly #entries = new Map<string, PoolEntry>()
  /** `from:nonce` → id of the transaction spending it */
  readonly #spends = new Map<string, string>()

  constructor (options: MempoolOptions) {
    this.#clock = options.clock
    this.#maxCount = options.maxCount ?? 10_000
    this.#maxBytes = options.maxBytes ?? 8 * 1024 * 1024
    this.#minFee = options.minFee ?? 1n
    this.#expiryMs = options.expiryMs ?? 24 * 3600_000
  }

  get size (): number {
    return this.#entries.size
  }

  get bytes (): number {
    return this.#entries.size * TX_BYTES
  }

  get minFee (): bigint {
    return this.#minFee
  }

  has (id: string): boolean {
    return this.#entries.has(id)
  }

  get (id: string): PoolEntry | undefined {
    return this.#entries.get(id)
  }

  /**
   * Whether `tx` could be added now, without adding it: the checks of {@link Mempool.add} that
   * do not depend on room (used for Dandelion stem-phase transactions, held apart).
   */
  check (tx: Tx, id = txId(tx)): AddResult {
    this.expire()
    if (this.#entries.has(id)) return { ok: false, id, reason: 'duplicate', message: 'already in the mempool' }
    if (tx.fee < this.#minFee) return { ok: false, id, reason: 'fee-too-low', message: `fee ${tx.fee} is below the minimum ${this.#minFee}` }
    const other = this.#spends.get(spendKey(tx))
    if (other != null) return { ok: false, id, reason: 'conflict', message: `nonce ${tx.nonce} of this sender is already spent by ${other}` }
    return { ok: true, id, evicted: [] }
  }

  /** Add a transaction whose signature was verified. */
  add (tx: Tx, id = txId(tx), addedAt = this.#clock.now()): AddResult {
    const checked = this.check(tx, id)
    if (!checked.ok) return checked
    const evicted: string[] = []
    while (this.#entries.size + 1 > this.#maxCount || (this.#entries.size + 1) * TX_BYTES > this.#maxBytes) {
      const lowest = this.#lowestFee()
      if (lowest == null || lowest.tx.fee >= tx.fee) {
        return { ok: false, id, reason: 'mempool-full', message: `the mempool is full and its lowest fee is ${lowest?.tx.fee ?? 0n}` }
      }
      this.remove(lowest.id)
      evicted.push(lowest.id)
    }
    this.#entries.set(id, { id, tx, addedAt })
    this.#spends.set(spendKey(tx), id)
    return { ok: true, id, evicted }
  }

  remove (id: string): boolean {
    const entry = this.#entries.get(id)
    if (entry == null) return false
    this.#entries.delete(id)
    this.#spends.delete(spendKey(entry.tx))
    return true
  }

  /** Drop expired entries; returns their ids. */
  expire (): string[] {
    const cutoff = this.#clock.now() - this.#expiryMs
    const expired: string[] = []
    // insertion order is (almost) age order: stop at the first young entry
    for (const entry of this.#entries.values()) {
      if (entry.addedAt > cutoff) break
      expired.push(entry.id)
    }
    for (const id of expired) this.remove(id)
    return expired
  }

  /** Entries, highest fee first. */
  list (): PoolEntry[] {
    this.expire()
    return [...this.#entries.values()].sort((a, b) => (b.tx.fee > a.tx.fee ? 1 : b.tx.fee < a.tx.fee ? -1 : a.addedAt - b.addedAt))
  }

  /** The sender's next unused nonce, as far as this pool knows. */
  nextNonce (from: string): bigint {
    let next = 0n
    for (const entry of this.#entries.values()) {
      if (entry.tx.from === from && entry.tx.nonce >= next) next = entry.tx.nonce + 1n
    }
    return next
  }

  #lowestFee (): PoolEntry | undefined {
    let lowest: PoolEntry | undefined
    for (const entry of this.#entries.values()) {
      if (lowest == null || entry.tx.fee < lowest.tx.fee) lowest = entry
    }
    return lowest
  }
}

function spendKey (tx: Tx): string {
  return `${tx.from}:${tx.nonce}`
}
