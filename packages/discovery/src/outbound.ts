import type { AddressBook, AddressEntry } from './address-book.ts'
import type { PeerKey } from '@hearsay/interface'

/** What {@link planOutbound} needs to know about the node's connections. */
export interface OutboundState {
  /** How many outbound connections the node wants. */
  target: number
  /** Netgroups that already hold an outbound connection (or a dial in progress). */
  outboundGroups: ReadonlySet<string>
  /** Peers not to dial: connected, being dialled, the node itself. */
  skip: (peer: PeerKey) => boolean
  /**
   * Do not dial an address tried more recently than this (ms); one whose last dials failed waits
   * less ({@link mayDial}).
   */
  retryMs: number
  /** Current time (epoch ms). */
  now: number
  /** At most this many dials per call. @default target - outboundGroups.size */
  maxDials?: number
}

/** The first wait before an address whose dial failed is dialled again; it doubles per failure in a row. */
export const FAILED_RETRY_MS = 60_000

/**
 * Whether `entry` may be dialled now: never tried, tried at least `retryMs` ago, or its dials
 * failed and it has waited {@link FAILED_RETRY_MS} doubled per failure in a row (at most
 * `retryMs`). A peer that connected and then went away waits the full `retryMs` (it may have
 * evicted us); one that refused us may have been busy — a host libp2p lets upgrade 10 inbound
 * connections at once refuses the rest, which in a network that starts at once left hosts
 * below their target for the 10 min of `retryMs` with nothing else to dial. The book's choice
 * still makes a recently failed entry 100× less likely than a fresh one, and an entry never
 * reached is terrible after its third failure (never chosen again), so this costs at most two
 * more dials to a dead address.
 */
export function mayDial (entry: AddressEntry, now: number, retryMs: number): boolean {
  if (entry.lastTry === 0) return true
  const wait = entry.attempts > 0 ? Math.min(retryMs, FAILED_RETRY_MS * 2 ** (entry.attempts - 1)) : retryMs
  return now - entry.lastTry >= wait
}

/**
 * Choose addresses to dial so that outbound connections reach `target`, with at most one
 * outbound connection per netgroup (Bitcoin Core's rule): an attacker who owns one netgroup,
 * however many addresses it injects, can hold at most one outbound slot.
 */
export function planOutbound (book: AddressBook, state: OutboundState): AddressEntry[] {
  const missing = Math.max(0, state.target - state.outboundGroups.size)
  const wanted = Math.min(missing, state.maxDials ?? missing)
  const groups = new Set(state.outboundGroups)
  const chosen: AddressEntry[] = []
  for (let i = 0; i < wanted; i++) {
    const entry = book.select({
      filter: e => !groups.has(e.group) && !state.skip(e.peer) && mayDial(e, state.now, state.retryMs)
    })
    if (entry == null) break
    groups.add(entry.group)
    chosen.push(entry)
  }
  return chosen
}

/**
 * The feeler's target: first an old tried entry that blocks a newer one (test before evict),
 * else a random `new` entry outside the netgroups in use, to move it to `tried` if it answers.
 */
export function planFeeler (book: AddressBook, state: Omit<OutboundState, 'target' | 'maxDials'>): AddressEntry | undefined {
  const collision = book.selectTriedCollision()
  if (collision != null && !state.skip(collision.peer)) return collision
  return book.select({
    newOnly: true,
    filter: e => !state.outboundGroups.has(e.group) && !state.skip(e.peer) && mayDial(e, state.now, state.retryMs)
  })
}
