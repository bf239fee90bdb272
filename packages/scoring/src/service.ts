import { systemClock, type CancelTimer, type TimedClock } from '@hearsay/sansio'
import { TypedEventEmitter, serviceCapabilities } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { isPeerId } from '@hearsay/sansio/adapter'
import { scoringConnectionGater, type GaterPolicy } from './gater.ts'
import { ipOf } from './ip.ts'
import { Ledger, type BanRecord } from './ledger.ts'
import { BanStore, DEFAULT_BAN_PREFIX, banFields } from './store.ts'
import { DEFAULT_TAG_NAME, TagWriter } from './tags.ts'
import type {
  Ban, PeerUnbanned, Scoring, ScoringBanOptions, ScoringComponents, ScoringEvents, ScoringFactory, ScoringInit
} from './types.ts'
import type { InfractionName } from '@hearsay/interface'
import type { AbortOptions, Connection, Logger, PeerId, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Longest delay a Node timer takes (~24.8 days); longer bans re-arm on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The libp2p adapter around a {@link Ledger}: converts PeerIds to keys, persists bans, closes
 * banned peers' connections, writes reputation tags, runs the one expiry timer and emits events.
 */
class ScoringService extends TypedEventEmitter<ScoringEvents> implements Scoring, Startable, GaterPolicy {
  readonly [Symbol.toStringTag] = '@hearsay/scoring'
  readonly [serviceCapabilities]: string[] = ['@hearsay/scoring']

  readonly #components: ScoringComponents
  readonly #log: Logger
  readonly #clock: TimedClock
  readonly #ledger: Ledger
  readonly #store: BanStore
  readonly #tags: TagWriter
  readonly #self: string
  readonly #closeTimeoutMs: number
  #running = false
  #cancelExpiry: CancelTimer | undefined

  constructor (components: ScoringComponents, init: ScoringInit) {
    super()
    this.#components = components
    this.#log = components.logger.forComponent('hearsay:scoring')
    this.#clock = init.clock ?? systemClock
    this.#ledger = createLedger(init, this.#clock)
    this.#self = components.peerId.toString()
    this.#closeTimeoutMs = init.closeTimeoutMs ?? 500
    this.#store = new BanStore(components.datastore, this.#log, init.datastorePrefix ?? DEFAULT_BAN_PREFIX)
    this.#tags = new TagWriter({
      peerStore: components.peerStore,
      getConnections: peer => components.connectionManager.getConnections(peer),
      reputation: peer => this.#ledger.reputation(peer.toString()),
      timers: this.#clock,
      log: this.#log,
      tagName: init.tagName ?? DEFAULT_TAG_NAME,
      debounceMs: init.tagDebounceMs ?? 1000
    })
  }

  async start (): Promise<void> {
    this.#running = true
    this.#components.events.addEventListener('connection:open', this.#onConnectionOpen)
    this.#components.events.addEventListener('peer:disconnect', this.#onPeerDisconnect)
    // libp2p starts listening in afterStart, so bans are in place before any inbound connection
    await this.#loadBans()
    this.#armExpiry()
  }

  async stop (): Promise<void> {
    this.#running = false
    this.#components.events.removeEventListener('connection:open', this.#onConnectionOpen)
    this.#components.events.removeEventListener('peer:disconnect', this.#onPeerDisconnect)
    this.#cancelExpiry?.()
    this.#cancelExpiry = undefined
    this.#tags.stop()
    // the datastore may close right after us: let queued ban writes land first
    await this.#store.flush()
  }

  report (peer: PeerId, infraction: InfractionName, detail?: string): void {
    try {
      const key = peer.toString()
      if (key === this.#self) return
      const result = this.#ledger.report(key, String(infraction), detail == null ? undefined : String(detail))
      this.#log.trace('%p: %s (+%d) now %d%s', peer, infraction, result.weight, result.score, detail != null ? ` - ${detail}` : '')
      if (result.evicted != null) this.#lifted(result.evicted, 'evicted')
      if (result.banned != null) {
        this.#banned(toPeerId(peer), result.banned)
      } else if (result.weight > 0) {
        this.#tags.mark(toPeerId(peer))
      }
    } catch (err) {
      this.#log.error('could not record %s by %p - %e', infraction, peer, err)
    }
  }

  credit (peer: PeerId, reason: string): void {
    try {
      const key = peer.toString()
      if (key === this.#self) return
      this.#ledger.credit(key, String(reason))
      this.#tags.mark(toPeerId(peer))
    } catch (err) {
      this.#log.error('could not credit %p for %s - %e', peer, reason, err)
    }
  }

  score (peer: PeerId): number {
    return this.#ledger.score(peer.toString())
  }

  reputation (peer: PeerId): number {
    return this.#ledger.reputation(peer.toString())
  }

  isBanned (peer: PeerId): boolean {
    return this.#ledger.isBanned(peer.toString())
  }

  async ban (peer: PeerId, options: ScoringBanOptions = {}): Promise<Ban | undefined> {
    options.signal?.throwIfAborted()
    const key = peer.toString()
    if (key === this.#self) return undefined
    const result = this.#ledger.ban(key, { durationMs: options.durationMs, reason: options.reason })
    if (result.evicted != null) this.#lifted(result.evicted, 'evicted')
    if (result.banned == null) return undefined
    const ban = this.#banned(toPeerId(peer), result.banned)
    await this.#store.flush()
    return ban
  }

  async unban (peer: PeerId, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    const record = this.#ledger.unban(peer.toString())
    if (record == null) return false
    this.#lifted(record, 'unbanned')
    this.#armExpiry()
    await this.#store.flush()
    return true
  }

  list (): Ban[] {
    const bans: Ban[] = []
    for (const record of this.#ledger.list()) {
      const ban = toBan(record)
      if (ban != null) bans.push(ban)
    }
    return bans
  }

  infractions (): Record<string, number> {
    return this.#ledger.infractions()
  }

  /** The gater's question, answered from the ledger. */
  refuses (peer: string | undefined, addr: Multiaddr | undefined): boolean {
    if (peer != null) {
      if (this.#ledger.isAllowed(peer)) return false
      if (this.#ledger.isBanned(peer)) return true
    }
    const ip = ipOf(addr)
    return ip != null && this.#ledger.isIpBanned(ip)
  }

  /** A ban was made: record IPs if due, persist, disconnect, schedule its expiry, tell listeners. */
  #banned (peerId: PeerId, made: BanRecord): Ban {
    const connections = this.#components.connectionManager.getConnections(peerId)
    // IPs come only from the peer's own connections, never from addresses it announced
    const ips = connections.map(connection => ipOf(connection.remoteAddr)).filter(ip => ip != null)
    const record = (ips.length > 0 ? this.#ledger.banIps(made.peer, ips) : undefined) ?? made
    this.#store.put(record)
    this.#disconnect(peerId)
    this.#armExpiry()
    this.#log('banned %p until %s (strike %d%s): %s', peerId, formatTime(record.until), record.strikes,
      record.ips.length > 0 ? `, IPs ${record.ips.join(' ')}` : '', record.reason)
    const ban = { ...banFields(record), peerId }
    this.safeDispatchEvent('peer:banned', { detail: ban })
    return ban
  }

  /** A ban was lifted: drop its persisted copy and tell listeners. */
  #lifted (record: BanRecord, reason: PeerUnbanned['reason']): void {
    this.#store.delete(record.peer)
    const ban = toBan(record)
    if (ban == null) return
    this.#log('unbanned %p (%s)', ban.peerId, reason)
    this.safeDispatchEvent('peer:unbanned', { detail: { peerId: ban.peerId, reason, ban } })
  }

  #disconnect (peerId: PeerId): void {
    // closeConnections aborts whatever has not closed gracefully when the signal fires
    this.#components.connectionManager.closeConnections(peerId, { signal: AbortSignal.timeout(this.#closeTimeoutMs) })
      .catch((err: unknown) => { this.#log.error('could not close the connections of %p - %e', peerId, err) })
  }

  /** One timer for the earliest expiry, however many bans there are. */
  #armExpiry (): void {
    this.#cancelExpiry?.()
    this.#cancelExpiry = undefined
    if (!this.#running) return
    const next = this.#ledger.nextExpiry()
    if (next == null) return
    const delay = Math.min(Math.max(0, next - this.#clock.now()), MAX_TIMER_MS)
    this.#cancelExpiry = this.#clock.setTimeout(() => {
      this.#cancelExpiry = undefined
      try {
        for (const record of this.#ledger.expire()) this.#lifted(record, 'expired')
      } catch (err) {
        this.#log.error('could not expire bans - %e', err)
      }
      this.#armExpiry()
    }, delay)
  }

  async #loadBans (): Promise<void> {
    let restored = 0
    try {
      for (const { key, peer, record } of await this.#store.load()) {
        if (typeof record === 'string') {
          this.#log.error('skipping the unreadable ban record %s: %s', key, record)
          continue
        }
        if (record.peer !== peer || !isPeerId(record.peer)) {
          this.#log.error('skipping the ban record %s: it names %s', key, record.peer)
          continue
        }
        const result = this.#ledger.restore(record)
        if (result.evicted != null) this.#store.delete(result.evicted.peer)
        if (result.banned != null) {
          restored++
        } else {
          // over already (or the peer is now allow-listed): no need to keep it
          this.#store.delete(record.peer)
        }
      }
    } catch (err) {
      this.#log.error('could not load persisted bans - %e', err)
    }
    this.#log('restored %d ban(s)', restored)
  }

  readonly #onConnectionOpen = (event: CustomEvent<Connection>): void => {
    const connection = event.detail
    try {
      // the gater already refuses banned peers; this catches a connection that was mid-upgrade
      // when its peer was banned
      if (this.refuses(connection.remotePeer.toString(), connection.remoteAddr)) {
        connection.abort(new Error('peer is banned'))
        return
      }
      this.#tags.mark(connection.remotePeer)
    } catch (err) {
      this.#log.error('could not check a new connection - %e', err)
    }
  }

  readonly #onPeerDisconnect = (event: CustomEvent<PeerId>): void => {
    this.#tags.forget(event.detail)
  }
}

/**
 * A libp2p service that keeps one misbehaviour score per peer for every protocol on the node,
 * bans peers that reach the threshold (closing their connections and refusing them through
 * the returned factory's `connectionGater`), persists bans in the node's datastore, and writes
 * reputations as peer-store tags. Use one call per node:
 *
 * ```ts
 * const s = scoring({ infractions: { 'invalid-vote': 25 } })
 * const node = await createLibp2p({ connectionGater: s.connectionGater, services: { scoring: s } })
 * ```
 *
 * @throws {@link ScoringOptionError} for unusable options, at once rather than when the node starts
 */
export function scoring (init: ScoringInit = {}): ScoringFactory {
  createLedger(init, init.clock ?? systemClock)
  let bound: ScoringService | undefined
  const factory = (components: ScoringComponents): Scoring => {
    bound = new ScoringService(components, init)
    return bound
  }
  return Object.assign(factory, { connectionGater: scoringConnectionGater(() => bound) })
}

function createLedger (init: ScoringInit, clock: TimedClock): Ledger {
  return new Ledger({
    ...init,
    clock,
    allow: [...(init.allow ?? [])].map(peer => peer.toString())
  })
}

function toPeerId (peer: PeerId | string): PeerId {
  return typeof peer === 'string' ? peerIdFromString(peer) : peer
}


function toBan (record: BanRecord): Ban | undefined {
  try {
    return { ...banFields(record), peerId: peerIdFromString(record.peer) }
  } catch {
    return undefined
  }
}

function formatTime (ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'forever'
}
