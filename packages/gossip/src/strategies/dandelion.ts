import { exponential, pick, sample } from '@hearsay/sansio'
import type {
  Direction, GossipMessage, GossipStrategy, HopInfo, MessageId, PeerKey, StrategyContext, StrategySpec
} from '@hearsay/interface'
import { diffusion } from './diffusion.ts'
import type { DiffusionTimer } from './diffusion.ts'

/** Options of {@link dandelion}. */
export interface DandelionOptions<F = DiffusionTimer> {
  /**
   * q: the probability that a relay ends the stem and fluffs, so stems are about 1/q hops long.
   * @default 0.1 (the Dandelion++ paper's and BIP 156's)
   */
  fluffProbability?: number
  /**
   * When the q coin is flipped. `'epoch'`: once per node per epoch, so within an epoch a node is
   * either a diffuser (fluffs every stem it receives) or a relayer (stems every one on), as in the
   * Dandelion++ paper; a spy then learns nothing from comparing many messages of one epoch.
   * `'message'`: once per relayed message, as in the original Dandelion.
   * @default 'epoch'
   */
  fluffDecision?: 'epoch' | 'message'
  /** How long the stem relays, the predecessor map and the diffuser role last. @default 600 000 (10 min) */
  epochMs?: number
  /** Stem relays chosen per epoch. @default 2 (Dandelion++'s "approximately 4-regular" graph) */
  stemRelays?: number
  /**
   * How a relay is chosen for each stem. `'one-to-one'`: each predecessor is mapped to one relay
   * for the whole epoch, and all own messages go to one (Dandelion++'s recommendation: a spy
   * learns nothing from comparing the stems of many messages). `'per-message'`: a random relay
   * per message (never the sender), the per-transaction forwarding Dandelion++ compares it with.
   * @default 'one-to-one'
   */
  routing?: 'one-to-one' | 'per-message'
  /**
   * Fixed part of the embargo: the least time a node waits for a stem message to come back
   * fluffed before it fluffs it itself. It must be well above a stem's expected travel time
   * (about latency / q). @default 30 000
   */
  embargoMs?: number
  /**
   * Mean of the exponentially distributed part added to {@link DandelionOptions.embargoMs} per
   * node and message. Because it is random and memoryless, when a stem is black-holed the node
   * whose embargo fires first is spread over the whole stem instead of being its first node —
   * the publisher. @default embargoMs / 2
   */
  embargoJitterMs?: number
  /**
   * Most messages held in the stem phase (each with an embargo) at once; beyond it the oldest is
   * fluffed at once. Keep it below the router's `maxStemPool` so the router never drops a stem
   * message this strategy still holds. @default 8192
   */
  maxStemmed?: number
  /** Strategy of the fluff (public) phase. Must not itself use stems. @default diffusion() */
  fluff?: StrategySpec<F>
}

/** A dandelion timer: the end of an epoch. */
export interface DandelionEpochTimer {
  readonly epoch: number
}

/** A dandelion timer: the embargo of one stem message. */
export interface DandelionEmbargoTimer {
  readonly embargo: MessageId
  readonly seq: number
}

// classes, so that `instanceof` tells them from the fluff strategy's timers of any shape
class EpochTimer implements DandelionEpochTimer {
  constructor (readonly epoch: number) {}
}

class EmbargoTimer implements DandelionEmbargoTimer {
  constructor (readonly embargo: MessageId, readonly seq: number) {}
}

/**
 * A dandelion timer: the end of an epoch, the embargo of one stem message, or a timer of the
 * embedded fluff strategy. Dandelion's own are instances of private classes, so the fluff
 * strategy's timers pass through unwrapped and the two never mix.
 */
export type DandelionTimer<F = DiffusionTimer> = DandelionEpochTimer | DandelionEmbargoTimer | F

interface Held {
  message: GossipMessage
  /** tells this embargo's timer from a stale one of an earlier hold of the same id */
  seq: number
}

/**
 * Dandelion++ (Fanti et al. 2018; BIP 156): messages first travel a private *stem* — one peer
 * per hop, as `stem` frames that the router neither delivers nor serves — and then *fluff*
 * into the embedded public strategy (diffusion by default) from a node far from the publisher.
 *
 * Per epoch each node picks up to `stemRelays` (2) relays at random among its outbound peers
 * (all peers when it has none), sends all of its own messages to one of them, and maps each
 * predecessor to one of them for the whole epoch (one-to-one forwarding). A stem never goes back
 * to its sender: when the sender is the only relay (a node with one outbound peer, fed by it),
 * the stem goes to the epoch's spare, a peer outside the relays; when the sender is the only
 * peer, the stem ends there and fluffs. Own messages published before any peer subscribed go
 * when the first one does. Each message in the stem phase gets a random embargo timer; if no
 * public copy arrived when it fires, the node fluffs the message itself, so a peer that swallows
 * stems delays messages but cannot stop them — among honest nodes no embargo fires (`embargoes`
 * in the topic's stats counts them). A stem that loops back to a node still holding it is
 * fluffed there (as Grin does).
 */
export function dandelion<F = DiffusionTimer> (options: DandelionOptions<F> = {}): StrategySpec<DandelionTimer<F>> {
  const q = options.fluffProbability ?? 0.1
  const decision = options.fluffDecision ?? 'epoch'
  const epochMs = options.epochMs ?? 600_000
  const stemRelays = options.stemRelays ?? 2
  const routing = options.routing ?? 'one-to-one'
  const embargoMs = options.embargoMs ?? 30_000
  const jitterMs = options.embargoJitterMs ?? embargoMs / 2
  const maxStemmed = options.maxStemmed ?? 8192
  const fluffSpec = options.fluff ?? (diffusion() as unknown as StrategySpec<F>)
  if (!(q >= 0 && q <= 1)) throw new RangeError('dandelion: fluffProbability must be in [0, 1]')
  if (decision !== 'epoch' && decision !== 'message') throw new RangeError("dandelion: fluffDecision must be 'epoch' or 'message'")
  if (!(Number.isFinite(epochMs) && epochMs > 0)) throw new RangeError('dandelion: epochMs must be > 0')
  if (!Number.isInteger(stemRelays) || stemRelays < 1) throw new RangeError('dandelion: stemRelays must be an integer >= 1')
  if (routing !== 'one-to-one' && routing !== 'per-message') throw new RangeError("dandelion: routing must be 'one-to-one' or 'per-message'")
  if (!(Number.isFinite(embargoMs) && embargoMs >= 0)) throw new RangeError('dandelion: embargoMs must be >= 0')
  if (!(Number.isFinite(jitterMs) && jitterMs >= 0)) throw new RangeError('dandelion: embargoJitterMs must be >= 0')
  if (!Number.isInteger(maxStemmed) || maxStemmed < 1) throw new RangeError('dandelion: maxStemmed must be an integer >= 1')
  if (fluffSpec.stems === true) throw new RangeError('dandelion: the fluff strategy must not use stems')

  const config: DandelionConfig<F> = { q, decision, epochMs, stemRelays, perMessage: routing === 'per-message', embargoMs, jitterMs, maxStemmed, fluffSpec }
  return {
    name: 'dandelion',
    stems: true,
    create: context => new Dandelion(context, config)
  }
}

interface DandelionConfig<F> {
  q: number
  decision: 'epoch' | 'message'
  epochMs: number
  stemRelays: number
  /** `routing: 'per-message'` */
  perMessage: boolean
  embargoMs: number
  jitterMs: number
  maxStemmed: number
  fluffSpec: StrategySpec<F>
}

/**
 * One node's Dandelion++. A class, not a closure per method: with 100k nodes in a process (the
 * simulator), a frame or timer then touches this object, not a function object and a scope per
 * method per node, on its way to the fluff strategy.
 */
class Dandelion<F> implements GossipStrategy<DandelionTimer<F>> {
  readonly #context: StrategyContext<DandelionTimer<F>>
  readonly #config: DandelionConfig<F>
  readonly #inner: GossipStrategy<F>

  // Epoch state. An epoch starts when first needed and ends at its timer, which is not
  // rescheduled until the next one starts: an idle node keeps no timer running.
  #epoch = 0
  #inEpoch = false
  #diffuser = false
  #relays: PeerKey[] = []
  #ownRelay: PeerKey | undefined
  /**
   * Where stems go whose sender is this epoch's only relay (a node with one outbound peer, fed
   * by that peer): a peer outside the relays, drawn once per epoch when first needed
   */
  #spare: PeerKey | undefined
  /** predecessor → its relay this epoch; only subscribed peers, so bounded by them */
  readonly #routes = new Map<PeerKey, PeerKey>()

  /** stem-phase messages with a running embargo, oldest first */
  readonly #held = new Map<MessageId, Held>()
  #seq = 0
  /** own messages published with no peer to stem them to: they go as soon as one subscribes */
  readonly #unsent = new Set<MessageId>()
  /** embargo timers that fired with their message still in the stem phase */
  #embargoes = 0

  constructor (context: StrategyContext<DandelionTimer<F>>, config: DandelionConfig<F>) {
    this.#context = context
    this.#config = config
    // the fluff strategy shares this context: its timers come back to it unchanged
    this.#inner = config.fluffSpec.create(context)
  }

  addPeer (peer: PeerKey, direction: Direction): void {
    this.#inner.addPeer(peer, direction)
    if (this.#unsent.size > 0) this.#sendUnsent()
  }

  removePeer (peer: PeerKey): void {
    this.#routes.delete(peer)
    for (const [from, relay] of this.#routes) if (relay === peer) this.#routes.delete(from)
    this.#relays = this.#relays.filter(relay => relay !== peer)
    if (this.#ownRelay === peer) this.#ownRelay = undefined
    if (this.#spare === peer) this.#spare = undefined
    this.#inner.removePeer(peer)
  }

  publish (message: GossipMessage): void {
    // own messages always stem (a publisher that fluffed would be its own first spreader)
    this.#hold(message)
    const relay = this.#routeOwn()
    if (relay != null) this.#context.send(relay, { type: 'stem', message })
    else this.#unsent.add(message.id)
  }

  onStem (message: GossipMessage, from: PeerKey): void {
    if (this.#shouldFluff()) {
      this.#fluffNow(message)
      return
    }
    this.#hold(message)
    const relay = this.#routeFrom(from)
    if (relay != null) {
      this.#context.send(relay, { type: 'stem', message })
    } else {
      // nowhere to go but back to its sender, this node's only peer: the stem ends here.
      // Waiting would only end it at an embargo, 30 s later and maybe at the publisher.
      this.#fluffNow(message)
    }
  }

  onMessage (message: GossipMessage, from: PeerKey, hop: HopInfo): void {
    // a public copy: the stem ended somewhere, the embargo is no longer needed
    this.#held.delete(message.id)
    this.#unsent.delete(message.id)
    this.#inner.onMessage(message, from, hop)
  }

  onDuplicate (id: MessageId, from: PeerKey, type: 'message' | 'stem'): void {
    if (type === 'message') {
      this.#inner.onDuplicate?.(id, from, type)
      return
    }
    // our own stem came back round a cycle: fluff rather than wait for the embargo
    const entry = this.#held.get(id)
    if (entry != null) this.#fluffNow(entry.message)
  }

  timer (timer: DandelionTimer<F>): void {
    if (timer instanceof EmbargoTimer) {
      const entry = this.#held.get(timer.embargo)
      if (entry?.seq !== timer.seq) return
      this.#embargoes++
      this.#fluffNow(entry.message)
    } else if (timer instanceof EpochTimer) {
      if (timer.epoch === this.#epoch && this.#inEpoch) this.#endEpoch()
    } else {
      this.#inner.timer(timer as F)
    }
  }

  embargoes (): number {
    return this.#embargoes
  }

  /** Relay candidates: the outbound peers (not chosen by an attacker who dials us), else all. */
  #candidates (): PeerKey[] {
    const all: PeerKey[] = []
    const outbound: PeerKey[] = []
    for (const [peer, direction] of this.#context.peers()) {
      all.push(peer)
      if (direction === 'outbound') outbound.push(peer)
    }
    return outbound.length > 0 ? outbound : all
  }

  #startEpoch (): void {
    if (this.#inEpoch) return
    this.#inEpoch = true
    this.#epoch++
    const rng = this.#context.rng
    this.#diffuser = rng.next() < this.#config.q
    this.#relays = sample(rng, this.#candidates(), this.#config.stemRelays)
    this.#ownRelay = undefined
    this.#spare = undefined
    this.#routes.clear()
    this.#context.schedule(this.#config.epochMs, new EpochTimer(this.#epoch))
  }

  #endEpoch (): void {
    this.#inEpoch = false
    this.#relays = []
    this.#ownRelay = undefined
    this.#spare = undefined
    this.#routes.clear()
  }

  /**
   * This epoch's relays, repaired: a relay that left, or an inbound one taken for want of
   * outbound peers once outbound peers exist, is replaced by a random candidate.
   */
  #currentRelays (): PeerKey[] {
    this.#startEpoch()
    const pool = this.#candidates()
    const eligible = new Set(pool)
    this.#relays = this.#relays.filter(relay => eligible.has(relay))
    const want = this.#config.stemRelays
    if (this.#relays.length < want && pool.length > this.#relays.length) {
      const chosen = new Set(this.#relays)
      this.#relays.push(...sample(this.#context.rng, pool.filter(peer => !chosen.has(peer)), want - this.#relays.length))
    }
    return this.#relays
  }

  #routeOwn (): PeerKey | undefined {
    const current = this.#currentRelays()
    if (this.#config.perMessage) return pick(this.#context.rng, current)
    if (this.#ownRelay == null || !current.includes(this.#ownRelay)) this.#ownRelay = pick(this.#context.rng, current)
    return this.#ownRelay
  }

  /**
   * The relay of `from`'s stems this epoch; never `from` itself. When `from` is the only relay,
   * the epoch's spare; undefined only when `from` is this node's only peer.
   */
  #routeFrom (from: PeerKey): PeerKey | undefined {
    const current = this.#currentRelays()
    if (this.#config.perMessage) return pick(this.#context.rng, current.filter(peer => peer !== from)) ?? this.#currentSpare(current)
    const mapped = this.#routes.get(from)
    if (mapped != null && (current.includes(mapped) || mapped === this.#spare)) return mapped
    const relay = pick(this.#context.rng, current.filter(peer => peer !== from)) ?? this.#currentSpare(current)
    if (relay != null && this.#context.peers().has(from)) this.#routes.set(from, relay)
    return relay
  }

  /**
   * The epoch's spare relay: a peer that is not one of `relays`, outbound if there is one. Only
   * called when every relay is the stem's sender, so the spare never sends a stem back.
   */
  #currentSpare (relays: PeerKey[]): PeerKey | undefined {
    if (this.#spare != null && !relays.includes(this.#spare)) return this.#spare
    const others: PeerKey[] = []
    const outbound: PeerKey[] = []
    for (const [peer, direction] of this.#context.peers()) {
      if (relays.includes(peer)) continue
      others.push(peer)
      if (direction === 'outbound') outbound.push(peer)
    }
    this.#spare = pick(this.#context.rng, outbound.length > 0 ? outbound : others)
    return this.#spare
  }

  /** Stem the own messages held for want of peers, now that there is one. */
  #sendUnsent (): void {
    const relay = this.#routeOwn()
    if (relay == null) return
    for (const id of this.#unsent) {
      const entry = this.#held.get(id)
      if (entry != null) this.#context.send(relay, { type: 'stem', message: entry.message })
    }
    this.#unsent.clear()
  }

  #shouldFluff (): boolean {
    if (this.#config.decision === 'message') return this.#context.rng.next() < this.#config.q
    this.#startEpoch()
    return this.#diffuser
  }

  #fluffNow (message: GossipMessage): void {
    this.#held.delete(message.id)
    this.#unsent.delete(message.id)
    this.#context.fluff(message)
    this.#inner.publish(message)
  }

  #hold (message: GossipMessage): void {
    const held = this.#held
    if (held.has(message.id)) return
    while (held.size >= this.#config.maxStemmed) {
      // bounded state: the oldest stem message goes public now rather than be forgotten
      const oldest = held.values().next().value as Held
      this.#fluffNow(oldest.message)
    }
    const entry: Held = { message, seq: ++this.#seq }
    held.set(message.id, entry)
    const { embargoMs, jitterMs } = this.#config
    this.#context.schedule(embargoMs + exponential(this.#context.rng, jitterMs), new EmbargoTimer(message.id, entry.seq))
  }
}
