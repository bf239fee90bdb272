import { Bitfield } from './bitfield.ts'
import type { Clock, PeerKey, Rng } from '@hearsay/interface'

/** Options of {@link PiecePicker}. */
export interface PickerOptions {
  /** Requests kept in flight to a peer before its throughput is known. @default 4 */
  minDepth: number
  /** Most requests in flight to one peer. @default 64 */
  maxDepth: number
  /**
   * A peer's pipeline holds this many milliseconds of its measured throughput, so the link
   * never idles for a round trip between pieces; no deeper, or the first peers to answer
   * take most of the file and the download turns into an endgame early. @default 300
   */
  pipelineMs: number
  /**
   * A pipeline is topped up only once at least this share of it is free, so that requests
   * go out in batches (one frame, one write) instead of one per piece received. @default 0.25
   */
  refillFraction: number
  /** Throughput is measured over this window. @default 2000 */
  rateWindowMs: number
  /** A peer with requests in flight that sends nothing for this long is stalled. @default 15000 */
  stallTimeoutMs: number
  /** Endgame: when nothing is left unrequested, let idle peers take over or duplicate the last pieces. @default true */
  endgame: boolean
  /** Most peers one piece is requested from at once in endgame. @default 2 */
  maxEndgameHolders: number
}

/** Defaults of {@link PickerOptions}. */
export const PICKER_DEFAULTS: Readonly<PickerOptions> = Object.freeze({
  minDepth: 4,
  maxDepth: 64,
  pipelineMs: 300,
  refillFraction: 0.25,
  rateWindowMs: 2000,
  stallTimeoutMs: 15_000,
  endgame: true,
  maxEndgameHolders: 2
})

/** What the picker asks its adapter to send. */
export type PickerAction =
  | { type: 'request', peer: PeerKey, index: number }
  | { type: 'cancel', peer: PeerKey, index: number }

/** How a received piece was accounted. */
export type Received =
  /** requested from this peer and still missing: verify it */
  | 'expected'
  /** already done (an endgame race, or it came after our cancel): discard */
  | 'duplicate'
  /** never requested from this peer: misbehaviour */
  | 'unrequested'

interface Outstanding {
  index: number
  at: number
}

/**
 * (time, bytes) of the pieces from one peer within the rate window, with their running sum: a
 * fast peer has a thousand samples in the window, and the rate is asked at every pump.
 */
class RateWindow {
  readonly #at: number[] = []
  readonly #bytes: number[] = []
  #head = 0
  #total = 0

  add (at: number, bytes: number): void {
    this.#at.push(at)
    this.#bytes.push(bytes)
    this.#total += bytes
  }

  /** Bytes per second over the samples of the last `windowMs` (0 with fewer than two). */
  rate (now: number, windowMs: number): number {
    const at = this.#at
    while (this.#head < at.length && at[this.#head] < now - windowMs) this.#total -= this.#bytes[this.#head++]
    if (this.#head > 1024 && this.#head * 2 > at.length) {
      at.splice(0, this.#head)
      this.#bytes.splice(0, this.#head)
      this.#head = 0
    }
    if (at.length - this.#head < 2) return 0
    // the first sample's bytes arrived before the window's start: they are not counted
    const bytes = this.#total - this.#bytes[this.#head]
    // never trust a burst: measure over at least a quarter of the window, so a pipeline grows
    // like TCP's slow start (about 4× per quarter window) instead of jumping to the maximum
    const elapsed = Math.max(now - at[this.#head], windowMs / 4)
    return bytes * 1000 / elapsed
  }
}

interface PeerState {
  key: PeerKey
  have: Bitfield
  /** requests in flight, in the order sent (the provider serves them in order) */
  queue: Outstanding[]
  /**
   * Copies of a piece still owed for requests we cancelled (the provider may have been
   * sending already): a piece can be cancelled, asked of the same peer again, and then
   * arrive twice, and neither copy is misbehaviour
   */
  cancelled: Map<number, number>
  /** pieces this peer must not be asked for again (rejected, or sent bad) */
  excluded: Set<number>
  /** recent pieces, for the throughput estimate */
  samples: RateWindow
  lastData: number
  busyUntil: number
  piecesReceived: number
  bytesReceived: number
}

/** Progress of a download. */
export interface PickerProgress {
  piecesDone: number
  pieces: number
  bytesDone: number
  bytes: number
  /** Peers the picker may request from. */
  peers: number
  /** Bytes of pieces received twice (endgame races) or after their cancel. */
  duplicateBytes: number
}

/**
 * The sans-IO core of a download: which piece to request from which peer, and the state of
 * every request. It never performs I/O; the adapter feeds it events (a peer's bitfield, a
 * piece, a reject, a closed stream, the passing of time) and carries out the actions
 * {@link PiecePicker.pump} returns.
 *
 * - rarest first: among the pieces a peer has, the ones the fewest peers have, ties broken
 *   at random (seeded rng);
 * - a pipeline per peer of `throughput × pipelineMs` bytes (at least `minDepth`, at most
 *   `maxDepth` requests);
 * - endgame: once every missing piece is requested, an idle peer that would deliver a piece
 *   sooner than its holder takes it over — cancelled at the holder when it waits in the back
 *   half of the holder's queue, duplicated (at most `maxEndgameHolders` copies, and only when
 *   twice as soon) when it is nearer the front, where it may be on its way already;
 *   whichever copy comes first wins and the others are cancelled.
 */
export class PiecePicker {
  readonly pieces: number
  readonly #pieceLength: (index: number) => number
  readonly #clock: Clock
  readonly #rng: Rng
  readonly #options: PickerOptions
  readonly #done: Bitfield
  readonly #availability: Uint32Array
  readonly #holders = new Map<number, Set<PeerKey>>()
  /** pieces received and being verified: neither missing nor done, so asked of nobody */
  readonly #verifying = new Set<number>()
  readonly #peers = new Map<PeerKey, PeerState>()
  #order: number[] = []
  #orderStart = 0
  #dirty = true
  #bytesDone = 0
  #totalBytes = 0
  #duplicateBytes = 0

  /**
   * A picker for a file of `init.pieces` pieces, `pieceLength(i)` bytes each, starting from the
   * pieces in `have`. Time and randomness come from `clock` and `rng` only.
   */
  constructor (init: {
    pieces: number
    pieceLength: (index: number) => number
    /** Pieces already held (verified on disk). */
    have?: Bitfield
    clock: Clock
    rng: Rng
    options?: Partial<PickerOptions>
  }) {
    this.pieces = init.pieces
    this.#pieceLength = init.pieceLength
    this.#clock = init.clock
    this.#rng = init.rng
    this.#options = { ...PICKER_DEFAULTS, ...init.options }
    this.#done = new Bitfield(init.pieces)
    this.#availability = new Uint32Array(init.pieces)
    for (let i = 0; i < init.pieces; i++) {
      const length = this.#pieceLength(i)
      this.#totalBytes += length
      if (init.have?.get(i) === true) {
        this.#done.set(i)
        this.#bytesDone += length
      }
    }
  }

  /** Whether every piece is verified. */
  get complete (): boolean {
    return this.#done.complete
  }

  /** Pieces verified so far (including those held at the start). */
  get done (): Bitfield {
    return this.#done
  }

  /** Whether piece `index` is verified. */
  isDone (index: number): boolean {
    return this.#done.get(index)
  }

  /** Pieces and bytes done so far, peers in the download and duplicate bytes received. */
  progress (): PickerProgress {
    return {
      piecesDone: this.#done.count,
      pieces: this.pieces,
      bytesDone: this.#bytesDone,
      bytes: this.#totalBytes,
      peers: this.#peers.size,
      duplicateBytes: this.#duplicateBytes
    }
  }

  /** Whether `peer` takes part in the download (added and not removed). */
  hasPeer (peer: PeerKey): boolean {
    return this.#peers.has(peer)
  }

  /** The peers taking part in the download. */
  peerKeys (): PeerKey[] {
    return [...this.#peers.keys()]
  }

  /** Bytes and pieces received from each peer. */
  peerStats (): Map<PeerKey, { pieces: number, bytes: number, rate: number, inFlight: number }> {
    const out = new Map<PeerKey, { pieces: number, bytes: number, rate: number, inFlight: number }>()
    for (const peer of this.#peers.values()) {
      out.set(peer.key, { pieces: peer.piecesReceived, bytes: peer.bytesReceived, rate: this.#rate(peer), inFlight: peer.queue.length })
    }
    return out
  }

  /** A peer joined with the pieces of its bitfield. */
  addPeer (key: PeerKey, have: Bitfield): void {
    if (have.length !== this.pieces) throw new RangeError(`bitfield of ${have.length} bits for ${this.pieces} pieces`)
    this.removePeer(key)
    const copy = new Bitfield(this.pieces, have.bytes)
    this.#peers.set(key, {
      key,
      have: copy,
      queue: [],
      cancelled: new Map(),
      excluded: new Set(),
      samples: new RateWindow(),
      lastData: this.#clock.now(),
      busyUntil: 0,
      piecesReceived: 0,
      bytesReceived: 0
    })
    for (let i = 0; i < this.pieces; i++) if (copy.get(i)) this.#availability[i]++
    this.#dirty = true
  }

  /** A peer left (its stream closed, it was banned or it stalled): its requests go back to the pool. */
  removePeer (key: PeerKey): void {
    const peer = this.#peers.get(key)
    if (peer == null) return
    for (const { index } of peer.queue) this.#release(index, key)
    for (let i = 0; i < this.pieces; i++) if (peer.have.get(i)) this.#availability[i]--
    this.#peers.delete(key)
    this.#dirty = true
  }

  /** A peer announced a new piece. */
  have (key: PeerKey, index: number): void {
    const peer = this.#peers.get(key)
    if (peer == null || index < 0 || index >= this.pieces) return
    if (peer.have.set(index)) {
      this.#availability[index]++
      this.#dirty = true
    }
  }

  /** A peer refused a request: `busy` retries later (after `retryAfterMs`), anything else never asks it for that piece again. */
  rejected (key: PeerKey, index: number, busy: boolean, retryAfterMs = 1000): void {
    const peer = this.#peers.get(key)
    if (peer == null) return
    if (!this.#dropOutstanding(peer, index)) {
      // a refusal of a request we had cancelled: that copy will not come
      uncount(peer.cancelled, index)
      return
    }
    this.#release(index, key)
    if (busy) peer.busyUntil = this.#clock.now() + retryAfterMs
    else peer.excluded.add(index)
  }

  /**
   * A piece arrived from `key`, before verification. `expected` means: verify it, then call
   * {@link PiecePicker.verified}.
   */
  received (key: PeerKey, index: number, bytes: number): Received {
    const peer = this.#peers.get(key)
    if (peer == null) return 'unrequested'
    const now = this.#clock.now()
    // requests are served in order: a copy of a piece that was cancelled, then asked for again,
    // answers the older, cancelled request first
    const cancelled = uncount(peer.cancelled, index)
    const requested = !cancelled && this.#dropOutstanding(peer, index)
    if (!requested && !cancelled) return 'unrequested'
    peer.lastData = now
    peer.samples.add(now, bytes)
    peer.bytesReceived += bytes
    if (requested) this.#holders.get(index)?.delete(key)
    if (this.#done.get(index) || this.#verifying.has(index)) {
      // an endgame race: the first copy is done or being verified (should that one turn out
      // bad, the piece goes back to the pool and is fetched again)
      this.#duplicateBytes += bytes
      if (requested) this.#cleanupHolders(index)
      return 'duplicate'
    }
    this.#verifying.add(index)
    // (when it came after our cancel, yet nobody else delivered it: take it all the same; a
    // request of it still in this peer's queue is cancelled once it is verified)
    return 'expected'
  }

  /**
   * The outcome of verifying a piece `received` as expected (which may take a while: until
   * then the piece is asked of nobody, and further copies are duplicates). A good piece is
   * done and its other requests are cancelled; a bad one goes back to the pool, never again
   * from `key`.
   */
  verified (key: PeerKey, index: number, ok: boolean): PickerAction[] {
    this.#verifying.delete(index)
    const peer = this.#peers.get(key)
    if (!ok) {
      if (peer != null) peer.excluded.add(index)
      this.#cleanupHolders(index)
      this.#dirty = true
      return []
    }
    if (peer != null) peer.piecesReceived++
    if (!this.#done.set(index)) return []
    this.#bytesDone += this.#pieceLength(index)
    const actions: PickerAction[] = []
    for (const other of this.#holders.get(index) ?? []) {
      const state = this.#peers.get(other)
      if (state == null) continue
      if (this.#dropOutstanding(state, index)) {
        count(state.cancelled, index)
        actions.push({ type: 'cancel', peer: other, index })
      }
    }
    this.#holders.delete(index)
    return actions
  }

  /**
   * Requests to send now: fill every peer's pipeline, rarest pieces first, then endgame.
   * Call after every event.
   */
  pump (): PickerAction[] {
    if (this.complete) return []
    const actions: PickerAction[] = []
    const now = this.#clock.now()
    // the peers with the most free slots pick first, so pieces spread evenly at the start
    const peers = [...this.#peers.values()].filter(p => p.busyUntil <= now)
    for (const peer of peers) this.#fill(peer, actions, now)
    // with one peer there is nobody to race (and the endgame scan costs a pass over every
    // piece in flight, at every pump)
    if (this.#options.endgame && this.#peers.size > 1) {
      const fresh = new Set<number>()
      for (const action of actions) fresh.add(action.index)
      for (const peer of peers) this.#endgame(peer, actions, now, fresh)
    }
    return actions
  }

  /**
   * Peers that have had requests in flight and sent nothing for `stallTimeoutMs`. They are
   * removed; their requests go back to the pool.
   */
  stalled (): PeerKey[] {
    const now = this.#clock.now()
    const out: PeerKey[] = []
    for (const peer of this.#peers.values()) {
      if (peer.queue.length > 0 && now - Math.max(peer.lastData, peer.queue[0].at) >= this.#options.stallTimeoutMs) out.push(peer.key)
    }
    for (const key of out) this.removePeer(key)
    return out
  }

  /** The requests in flight to `key`, oldest first. */
  inFlight (key: PeerKey): number[] {
    return this.#peers.get(key)?.queue.map(o => o.index) ?? []
  }

  /** Pipeline depth for `peer`: throughput × pipelineMs in pieces, within [minDepth, maxDepth]. */
  depth (key: PeerKey): number {
    const peer = this.#peers.get(key)
    return peer == null ? 0 : this.#depth(peer)
  }

  // --- internals ---

  #depth (peer: PeerState): number {
    const rate = this.#rate(peer)
    if (rate <= 0) return this.#options.minDepth
    const typical = this.#pieceLength(0)
    const wanted = Math.ceil(rate * this.#options.pipelineMs / 1000 / typical) + 1
    return Math.max(this.#options.minDepth, Math.min(this.#options.maxDepth, wanted))
  }

  /** Bytes per second over the rate window; 0 until two pieces have arrived. */
  #rate (peer: PeerState): number {
    return peer.samples.rate(this.#clock.now(), this.#options.rateWindowMs)
  }

  #rebuildOrder (): void {
    const missing: number[] = []
    for (let i = 0; i < this.pieces; i++) if (!this.#done.get(i)) missing.push(i)
    // random ties: shuffle, then a stable sort by availability
    for (let i = missing.length - 1; i > 0; i--) {
      const j = this.#rng.int(i + 1)
      const t = missing[i]; missing[i] = missing[j]; missing[j] = t
    }
    const availability = this.#availability
    missing.sort((a, b) => availability[a] - availability[b])
    this.#order = missing
    this.#orderStart = 0
    this.#dirty = false
  }

  #fill (peer: PeerState, actions: PickerAction[], now: number): void {
    const depth = this.#depth(peer)
    let room = depth - peer.queue.length
    if (room <= 0 || room < depth * this.#options.refillFraction) return
    if (this.#dirty) this.#rebuildOrder()
    const order = this.#order
    // skip the prefix of pieces already done or in flight for good
    while (this.#orderStart < order.length && this.#done.get(order[this.#orderStart])) this.#orderStart++
    for (let k = this.#orderStart; k < order.length && room > 0; k++) {
      const index = order[k]
      if (this.#done.get(index) || !peer.have.get(index) || peer.excluded.has(index) || this.#verifying.has(index)) continue
      if ((this.#holders.get(index)?.size ?? 0) > 0) continue
      this.#request(peer, index, now, actions)
      room--
    }
  }

  #endgame (peer: PeerState, actions: PickerAction[], now: number, fresh: ReadonlySet<number>): void {
    const depth = this.#depth(peer)
    let room = depth - peer.queue.length
    // in batches too; and a peer #fill left waiting for its batch is not idle
    if (room <= 0 || room < depth * this.#options.refillFraction) return
    // only when no piece this peer has is left unrequested
    const ownRate = this.#rate(peer)
    while (room > 0) {
      const idle = peer.queue.length === 0
      let best: { index: number, holder: PeerState, position: number, eta: number } | undefined
      for (const [index, holders] of this.#holders) {
        if (holders.size === 0 || holders.has(peer.key) || holders.size >= this.#options.maxEndgameHolders) continue
        // asked for in this very pump: a cancel right behind the request only costs a frame
        // each way, and a copy if the holder had started on it
        if (fresh.has(index)) continue
        if (this.#done.get(index) || !peer.have.get(index) || peer.excluded.has(index) || this.#verifying.has(index)) continue
        // the soonest any holder will deliver it
        let eta = Infinity
        let holder: PeerState | undefined
        let position = 0
        let unknown = false
        for (const key of holders) {
          const state = this.#peers.get(key)
          if (state == null) continue
          const at = state.queue.findIndex(o => o.index === index)
          const rate = this.#rate(state)
          // a holder whose rate is not known yet (it has not sent two pieces) is not slow for
          // that: its piece is raced by an idle peer, or once it has waited a quarter of the
          // rate window. Racing it at once duplicated nearly every piece of a small file, whose
          // endgame begins before any rate is known
          if (rate === 0 && !idle && at !== -1 && now - state.queue[at].at < this.#options.rateWindowMs / 4) unknown = true
          const e = rate > 0 ? (at + 1) * this.#pieceLength(index) / rate : Infinity
          if (holder == null || e < eta) { eta = e; holder = state; position = at }
        }
        if (holder == null || (unknown && eta === Infinity)) continue
        if (best == null || eta > best.eta) best = { index, holder, position, eta }
      }
      if (best == null) return
      const ownEta = ownRate > 0 ? (peer.queue.length + 1) * this.#pieceLength(best.index) / ownRate : Infinity
      // the front half of a holder's queue may be on its way already (sent, not yet read here):
      // only a piece behind that is moved; one in front gets a second copy, which costs its
      // bytes, so only when this peer would clearly be sooner
      // and pieces are only taken from a holder clearly slower than this peer: when every peer
      // is about as fast (say this node is the bottleneck), taking over gains nothing, and
      // whatever was on its way arrives twice
      const movable = best.eta !== Infinity && best.position >= Math.max(2, Math.ceil(best.holder.queue.length / 2))
      const slower = best.eta === Infinity || ownRate > 1.5 * this.#rate(best.holder)
      if (!(best.eta === Infinity || (slower && ownEta < best.eta * (movable ? 0.75 : 0.5)))) return
      if (movable) {
        // deep in the holder's queue: the holder has not started it, so move it
        this.#dropOutstanding(best.holder, best.index)
        this.#holders.get(best.index)?.delete(best.holder.key)
        count(best.holder.cancelled, best.index)
        actions.push({ type: 'cancel', peer: best.holder.key, index: best.index })
      }
      this.#request(peer, best.index, now, actions)
      room--
    }
  }

  #request (peer: PeerState, index: number, now: number, actions: PickerAction[]): void {
    peer.queue.push({ index, at: now })
    let holders = this.#holders.get(index)
    if (holders == null) {
      holders = new Set()
      this.#holders.set(index, holders)
    }
    holders.add(peer.key)
    actions.push({ type: 'request', peer: peer.key, index })
  }

  #dropOutstanding (peer: PeerState, index: number): boolean {
    const at = peer.queue.findIndex(o => o.index === index)
    if (at === -1) return false
    peer.queue.splice(at, 1)
    return true
  }

  #release (index: number, key: PeerKey): void {
    const holders = this.#holders.get(index)
    holders?.delete(key)
    this.#cleanupHolders(index)
    // a released piece is missing again: scan it from the start
    this.#orderStart = 0
  }

  #cleanupHolders (index: number): void {
    const holders = this.#holders.get(index)
    if (holders != null && holders.size === 0) this.#holders.delete(index)
    this.#orderStart = 0
  }
}

function count (counts: Map<number, number>, key: number): void {
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

/** Take one from `key`'s count; false when there was none. */
function uncount (counts: Map<number, number>, key: number): boolean {
  const n = counts.get(key) ?? 0
  if (n === 0) return false
  if (n === 1) counts.delete(key)
  else counts.set(key, n - 1)
  return true
}
