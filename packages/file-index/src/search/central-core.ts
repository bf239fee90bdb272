/**
 * The central index's state, free of I/O: which peer registered which files, a keyword index
 * over them, bounds on everything, and expiry of registrations that were not refreshed.
 */
import { keywords } from './keywords.ts'
import type { PeerKey } from '@hearsay/interface'
import type { WireEntry, WireHit } from './wire.ts'

/** Bounds and lifetimes of a {@link CentralIndex}. */
export interface CentralIndexOptions {
  /** Most files one peer may register. @default 10 000 */
  maxEntriesPerPeer: number
  /** Most registrations (peer, file) in the whole index. @default 200 000 */
  maxEntries: number
  /** A registration not refreshed for this long is dropped. @default 30 min */
  ttlMs: number
  /** Most provider peer ids listed with one result. @default 20 */
  maxPeersPerHit: number
}

/** Defaults of {@link CentralIndexOptions}. */
export const CENTRAL_INDEX_DEFAULTS: Readonly<CentralIndexOptions> = Object.freeze({
  maxEntriesPerPeer: 10_000,
  maxEntries: 200_000,
  ttlMs: 30 * 60_000,
  maxPeersPerHit: 20
})

interface FileRecord {
  name: string
  size: number
  words: string[]
  /** Provider → when its registration expires. */
  providers: Map<PeerKey, number>
}

/**
 * A Napster-style index: peers register the files they have, anyone searches by keywords and
 * gets each matching file once with the number of peers that have it.
 */
export class CentralIndex {
  readonly options: Readonly<CentralIndexOptions>
  readonly #files = new Map<string, FileRecord>()
  readonly #byPeer = new Map<PeerKey, Set<string>>()
  readonly #byWord = new Map<string, Set<string>>()
  #registrations = 0

  constructor (options: Partial<CentralIndexOptions> = {}) {
    this.options = Object.freeze({ ...CENTRAL_INDEX_DEFAULTS, ...options })
  }

  /** Registrations (peer, file) held. */
  get size (): number {
    return this.#registrations
  }

  /** Distinct files held. */
  get files (): number {
    return this.#files.size
  }

  /** Peers with at least one registration. */
  get peers (): number {
    return this.#byPeer.size
  }

  /**
   * Register (or refresh) `entries` for `peer`; with `replace`, drop what it registered before.
   * Returns how many were accepted: entries past the per-peer or total bound are refused.
   */
  register (peer: PeerKey, entries: readonly WireEntry[], replace: boolean, now: number): number {
    if (replace) this.removePeer(peer)
    const expires = now + this.options.ttlMs
    let accepted = 0
    for (const entry of entries) {
      const own = this.#byPeer.get(peer)
      const known = this.#files.get(entry.id)
      if (known?.providers.has(peer) === true) {
        known.providers.set(peer, expires)
        accepted++
        continue
      }
      if ((own?.size ?? 0) >= this.options.maxEntriesPerPeer) continue
      if (this.#registrations >= this.options.maxEntries) {
        this.expire(now)
        if (this.#registrations >= this.options.maxEntries) continue
      }
      let file = known
      if (file == null) {
        // the id is the manifest's CID, which covers the name: the first registration names it
        file = { name: entry.name, size: entry.size, words: keywords(entry.name), providers: new Map() }
        this.#files.set(entry.id, file)
        for (const word of file.words) {
          let ids = this.#byWord.get(word)
          if (ids == null) this.#byWord.set(word, ids = new Set())
          ids.add(entry.id)
        }
      }
      file.providers.set(peer, expires)
      if (own == null) this.#byPeer.set(peer, new Set([entry.id]))
      else own.add(entry.id)
      this.#registrations++
      accepted++
    }
    return accepted
  }

  /** Drop `peer`'s registrations of `ids`. Returns how many it had. */
  unregister (peer: PeerKey, ids: readonly string[]): number {
    let removed = 0
    for (const id of ids) if (this.#drop(peer, id)) removed++
    return removed
  }

  /** Drop everything `peer` registered. */
  removePeer (peer: PeerKey): void {
    const own = this.#byPeer.get(peer)
    if (own == null) return
    for (const id of [...own]) this.#drop(peer, id)
  }

  /** Drop every registration that expired by `now`. */
  expire (now: number): void {
    for (const [id, file] of [...this.#files]) {
      for (const [peer, expires] of [...file.providers]) {
        if (expires <= now) this.#drop(peer, id)
      }
    }
  }

  /**
   * Files matching every one of `words` (keywords), most providers first, at most `limit`.
   * Providers whose registration expired are not counted; `exclude` (the asker) neither.
   */
  search (words: readonly string[], limit: number, now: number, exclude?: PeerKey): WireHit[] {
    if (words.length === 0 || limit <= 0) return []
    const sets: Array<Set<string>> = []
    for (const word of words) {
      const ids = this.#byWord.get(word)
      if (ids == null) return []
      sets.push(ids)
    }
    sets.sort((a, b) => a.size - b.size)
    const hits: WireHit[] = []
    for (const id of sets[0]) {
      if (!sets.every(set => set.has(id))) continue
      const file = this.#files.get(id)
      if (file == null) continue
      const peers: PeerKey[] = []
      for (const [peer, expires] of file.providers) {
        if (expires > now && peer !== exclude) peers.push(peer)
      }
      if (peers.length === 0) continue
      hits.push({ id, name: file.name, size: file.size, providers: peers.length, peers: peers.slice(0, this.options.maxPeersPerHit) })
    }
    hits.sort((a, b) => b.providers - a.providers || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    return hits.slice(0, limit)
  }

  #drop (peer: PeerKey, id: string): boolean {
    const file = this.#files.get(id)
    if (file?.providers.delete(peer) !== true) return false
    this.#registrations--
    const own = this.#byPeer.get(peer)
    own?.delete(id)
    if (own?.size === 0) this.#byPeer.delete(peer)
    if (file.providers.size === 0) {
      this.#files.delete(id)
      for (const word of file.words) {
        const ids = this.#byWord.get(word)
        ids?.delete(id)
        if (ids?.size === 0) this.#byWord.delete(word)
      }
    }
    return true
  }
}
