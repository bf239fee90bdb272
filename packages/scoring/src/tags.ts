import type { CancelTimer, Timers } from '@hearsay/sansio'
import type { Connection, Logger, PeerId, PeerStore } from '@libp2p/interface'

/** The peer-store tag that carries a peer's reputation. */
export const DEFAULT_TAG_NAME = 'hearsay-score'

/** Pending tag writes held at most; past it new ones wait for the next connection event. */
const MAX_PENDING = 10_000

/** What a {@link TagWriter} needs from its node. */
export interface TagWriterInit {
  peerStore: Pick<PeerStore, 'merge'>
  getConnections(peer: PeerId): Connection[]
  /** The value to write for a peer (0..100, higher is better). */
  reputation(peer: PeerId): number
  timers: Timers
  log: Logger
  tagName: string
  debounceMs: number
}

/**
 * Writes reputations as peer-store tags, so libp2p's connection pruner (which closes the
 * connections with the lowest sum of tag values first) drops misbehaving peers before good
 * ones. Changes are batched per `debounceMs`, only connected peers are written (the pruner
 * only looks at those) and a value equal to the last one written is skipped, so a busy
 * protocol crediting every message costs at most one write per peer per interval.
 */
export class TagWriter {
  readonly #init: TagWriterInit
  readonly #pending = new Map<string, PeerId>()
  /** Last value written per connected peer; cleared on disconnect so reconnects are rewritten. */
  readonly #written = new Map<string, number>()
  #cancel: CancelTimer | undefined

  constructor (init: TagWriterInit) {
    this.#init = init
  }

  /** Schedule a write of `peer`'s reputation. */
  mark (peer: PeerId): void {
    const key = peer.toString()
    if (!this.#pending.has(key) && this.#pending.size >= MAX_PENDING) return
    this.#pending.set(key, peer)
    this.#cancel ??= this.#init.timers.setTimeout(() => { this.#flush() }, this.#init.debounceMs)
  }

  /** The peer disconnected: its next connection gets a fresh write. */
  forget (peer: PeerId): void {
    this.#written.delete(peer.toString())
  }

  /** Drop pending writes and the timer (the peer store may be going away). */
  stop (): void {
    this.#cancel?.()
    this.#cancel = undefined
    this.#pending.clear()
    this.#written.clear()
  }

  #flush (): void {
    this.#cancel = undefined
    const { peerStore, tagName, log } = this.#init
    for (const [key, peer] of this.#pending) {
      this.#pending.delete(key)
      if (this.#init.getConnections(peer).length === 0) continue
      const value = this.#init.reputation(peer)
      if (this.#written.get(key) === value) continue
      this.#written.set(key, value)
      peerStore.merge(peer, { tags: { [tagName]: { value } } }).catch((err: unknown) => {
        this.#written.delete(key)
        log.error('could not tag %p with %s=%d - %e', peer, tagName, value, err)
      })
    }
  }
}
