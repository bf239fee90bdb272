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
  /** Do not dial an address tried more recently than this (ms). */
  retryMs: number
  /** Current time (epoch ms). */
  now: number
  /** At most this many dials per call. @default target - outboundGroups.size */
  maxDials?: number
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
      filter: e => !groups.has(e.group) && !state.skip(e.peer) && (e.lastTry === 0 || state.now - e.lastTry >= state.retryMs)
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
    filter: e => !state.outboundGroups.has(e.group) && !state.skip(e.peer) && (e.lastTry === 0 || state.now - e.lastTry >= state.retryMs)
  })
}
