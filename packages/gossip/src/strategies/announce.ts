import { BoundedMap } from '@hearsay/sansio'
import type { GossipMessage, GossipStrategy, MessageId, PeerKey, StrategyContext, StrategySpec } from '@hearsay/interface'

/** Options of {@link announce}. */
export interface AnnounceOptions {
  /**
   * How long ids wait in a peer's queue so that several go in one `announce` frame, in ms. On a
   * tree, announces go to lazy peers only, to repair it: sent later they take no event-loop time
   * from the pushes (measured on 30 loopback hosts, p90 against gossipsub's: 0.62× at 0,
   * 0.26–0.62× at 10, 0.21–0.46× at 30 over five runs; 0.97 payload copies per host at each).
   * Without a tree every hop adds it to the delivery time; at 0 a node announces at the end of
   * the event that brought the payload, with no timer in between (measured on 10 loopback
   * hosts: p50 9 ms at 0, 19 ms at 5, 52 ms at 20).
   * @default 30 (0 with `tree: false`)
   */
  batchMs?: number
  /**
   * Push payloads along a tree of eager links and announce them over the lazy ones (Plumtree,
   * see {@link announce}): about one payload copy per node and one frame per hop once the first
   * message's requests have grafted the tree. `false` announces every payload to every peer and
   * pushes none (Bitcoin's inv/getdata): three trips per hop, and no unsolicited payload tells a
   * peer who is near its publisher. @default true
   */
  tree?: boolean
  /**
   * Most ids in one `announce` or `request` frame: a full queue goes out at once, and a larger
   * received announce is an `oversized-frame` whose extra ids are ignored. @default 1000
   */
  maxBatch?: number
  /** How long a requested payload may take before its peer counts as stalled. @default 2000 */
  requestTimeoutMs?: number
  /**
   * How long a requested payload may take before its id is announced onward ahead of it (and
   * requests for it are held until it arrives). A payload that comes sooner is announced when it
   * arrives, to fewer peers: by then more of them are known to have it. At 0 every requested id
   * is announced ahead at once: fewest trips where links are slow, but about a quarter more
   * announce frames (measured on a 30-host random graph of mean degree 5), which is what costs
   * time where frames, not links, are the bottleneck (many hosts on one machine). The default
   * is about one round trip on a LAN, or a loaded loopback. @default 20
   */
  aheadMs?: number
  /** Most requests outstanding to one peer; more ids wait for a free slot. @default 100 (Bitcoin's) */
  maxInFlightPerPeer?: number
  /** Most alternative announcers remembered per id, to ask if the current one stalls. @default 8 */
  maxAnnouncers?: number
  /** Most ids being fetched at once; announces of new ids beyond it are ignored. @default 10 000 */
  maxTracked?: number
  /**
   * Most requests held, in all, for ids this node announced ahead and is still fetching; each
   * peer may have `maxInFlightPerPeer` of them. Requests beyond are answered `notfound`.
   * @default 10 000
   */
  maxHeld?: number
}

/** default `batchMs` of a tree */
const LAZY_MS = 30

/**
 * An announce timer: flush a peer's announce queue, the timeout of one request or of one held
 * request, or announce a requested id ahead of its payload.
 */
export type AnnounceTimer =
  | { flush: PeerKey, seq: number }
  | { ahead: MessageId, seq: number }
  | { request: MessageId, peer: PeerKey, seq: number }
  | { hold: MessageId, peer: PeerKey, seq: number }
  | { graft: MessageId, seq: number }

/** An id being fetched. */
interface Tracked {
  /** the peer asked for it, if a request is outstanding */
  peer?: PeerKey
  /** tells the outstanding request's timer from stale ones */
  seq: number
  /** peers to ask next, in the order they announced */
  alternatives: PeerKey[]
  /** peers that announced it (asked, waiting or beyond the alternatives cap), for skipping */
  announcers: Set<PeerKey>
  /** the peers it was announced to ahead of its payload (undefined: not announced ahead) */
  told?: Set<PeerKey>
  /**
   * peers known to lack it, whatever they announced: they asked for it in vain, or did not
   * answer a request for it; they are told when it comes (announced to, never pushed)
   */
  lacking?: Set<PeerKey>
  /** tells the ahead timer of this entry from a forgotten one's (0: none scheduled) */
  aheadSeq: number
  /**
   * the first request failed (notfound, stall, disconnect) and another announcer is asked: no
   * request is held any more, so held requests never wait in a circle
   */
  retried: boolean
  /** peers whose requests for it wait for the payload (cut-through), with their hold timers' seq */
  holders?: Map<PeerKey, number>
  /** its first request waits for the tree's payload until this timer (0: not waiting) */
  graftSeq: number
}

interface Queue {
  ids: Set<MessageId>
  seq: number
}

/**
 * Bitcoin's inv/getdata relay, for payloads much larger than their ids, pushed along a tree
 * (Plumtree: Leitão, Pereira, Rodrigues, "Epidemic Broadcast Trees", SRDS 2007). A node announces
 * the ids of new messages in batches; a peer that lacks one requests it from the first announcer,
 * and only if that announcer does not answer within `requestTimeoutMs` (reported as `stalled`)
 * from the next — so each node normally receives each payload exactly once.
 *
 * The tree (`tree`, on by default): each link is eager or lazy at each end. Payloads go to eager
 * peers as they arrive, ids to lazy ones `batchMs` later. A request grafts: the link it goes
 * over turns eager at both ends, since the tree did not bring that payload in time. Every link
 * starts lazy, so a topic's first message travels by announces and its requests graft the first
 * tree (starting eager, the first message would flood instead: about four copies per node, as
 * many as the next 60 messages cost). A node that receives a payload a second time over a
 * pushed link sends a `prune` (those ids) back, and both ends make the link lazy. A node
 * that gets an announce before the payload waits a quarter of `requestTimeoutMs` for the tree
 * (when another peer is eager) before it requests: a request while the payload is still on its
 * way costs a duplicate copy. When the tree's payload comes while an announce of it waits, the announcer's path was the
 * faster one for this publisher: the node swaps (Plumtree's optimization), grafting the
 * announcer with a request of no ids and pruning the link the payload came over. The eager links
 * so form a spanning tree shared by all publishers: one payload copy per node, one frame per hop
 * (an announce, a request and the payload are three), and the announces repair it wherever a
 * link or node fails. Where frames rather than links take the time (many hosts on one machine, a
 * LAN) payloads outrun the announces and the tree stays as it formed; where links are slow a
 * shared tree's paths are longer than the shortest, the swaps re-orient it towards publishers,
 * and `tree: false` delivers a little sooner (simulated, 1000 nodes of degree 8, log-normal links
 * of median 50 ms, 50 messages: p90 438 ms with the tree, 395 ms without, both at 1.00 payload
 * copies per node).
 *
 * Announce ahead, answer by cut-through: a node whose requested payload has not come within
 * `aheadMs` announces the id onward before it arrives (at 0: as it requests it), so where links
 * are slow announces travel about one trip (plus `aheadMs`) per hop, as a flood's payloads do. A
 * request for an id it is still fetching is held and answered the moment the payload arrives and
 * passes validation, so the payload trails the announce wave (at `aheadMs` 0: by two trips, the
 * first announce → request → payload) instead of costing three trips per hop. Held requests are
 * bounded: `maxInFlightPerPeer` per peer, `maxHeld` in all, and half of `requestTimeoutMs` each
 * (then `notfound`, before the sender's own request times out). When the fetch fails — the
 * validator rejects or ignores the payload, the announcer answers `notfound`, stalls or
 * disconnects — held requests are answered `notfound` at once, so their senders ask their next
 * announcer instead of reporting this node as `stalled`; and a node fetching from a second
 * announcer holds no requests any more. Requests held along first fetches point to nodes that
 * requested earlier, so they never wait in a circle; a request from the very peer being asked
 * is answered `notfound` too. A request for an id this node neither has nor fetches is
 * answered `notfound`. A `notfound` from the peer asked moves on to the next announcer without
 * a report; other ones change nothing else (a late answer after a timeout looks like that).
 *
 * Who is told: as Bitcoin's "known inventory", a peer that announced an id is not told of it
 * (neither announced to nor pushed). Announced ahead, an id is only being fetched, so a node whose
 * announcers all fail (a liar that announces and never delivers, or answers `notfound`) would be
 * left without it by the peers it told. Such a node asks those peers, one after another, once its
 * own announcers are exhausted (one request, one payload copy); and a peer known to lack an id —
 * it asked for it and was answered `notfound`, answered `notfound` itself, or stalled — is told of
 * it when it comes (announced to, never pushed), whatever it announced.
 *
 * What an observer learns: an announce now means "I have or am fetching this", sent `aheadMs`
 * after a node first requested an id or when its payload arrived, whichever is first; the
 * announce wave still spreads from the publisher's neighbourhood outwards, as before. Along the
 * tree a publisher's payload goes to its eager peers at once, as a flood's would: a peer that
 * receives an unsolicited payload before any announce of it learns its sender is the publisher or
 * on its tree path. `tree: false` pushes nothing: every payload is requested, as Bitcoin's were.
 *
 * Bounds against hostile peers: a link's state is one bit per peer, so a peer spamming `prune`
 * and requests flips only its own link (and stops only its own pushes); a `prune` naming no id
 * this node knows is an `unexpected-frame` and changes nothing, one of more than `maxBatch` ids
 * an `oversized-frame`. Frame
 * rates are the service's limit.
 *
 * A payload nobody asked for is accepted by the router and not reported: it is what a late
 * answer to a request that already timed out looks like, and Bitcoin tolerates unsolicited
 * transactions too. It costs only its sender bandwidth; validation, size and rate limits apply.
 */
export function announce (options: AnnounceOptions = {}): StrategySpec<AnnounceTimer> {
  const tree = options.tree ?? true
  const batchMs = options.batchMs ?? (tree ? LAZY_MS : 0)
  const maxBatch = options.maxBatch ?? 1000
  const requestTimeoutMs = options.requestTimeoutMs ?? 2000
  const maxInFlight = options.maxInFlightPerPeer ?? 100
  const maxAnnouncers = options.maxAnnouncers ?? 8
  const maxTracked = options.maxTracked ?? 10_000
  const maxHeld = options.maxHeld ?? 10_000
  const aheadMs = options.aheadMs ?? 20
  if (!(Number.isFinite(batchMs) && batchMs >= 0)) throw new RangeError('announce: batchMs must be >= 0')
  if (!(Number.isFinite(requestTimeoutMs) && requestTimeoutMs > 0)) throw new RangeError('announce: requestTimeoutMs must be > 0')
  if (!(Number.isFinite(aheadMs) && aheadMs >= 0)) throw new RangeError('announce: aheadMs must be >= 0')
  for (const [name, value] of Object.entries({ maxBatch, maxInFlightPerPeer: maxInFlight, maxAnnouncers, maxTracked, maxHeld })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`announce: ${name} must be an integer >= 1`)
  }
  // who announced an id is only remembered to skip them; a few beyond the alternatives suffice
  const maxRemembered = 4 * maxAnnouncers
  // a held request is answered notfound after this, well before its sender's own timeout: requests
  // held in a circle (possible after a failed fetch, from announces sent ahead before it failed)
  // come undone without a stall
  const holdMs = requestTimeoutMs / 2
  // how long an announced id waits for the tree's payload before it is requested (a graft), when
  // another peer is eager: a request before the payload comes costs a duplicate copy, while a
  // payload during the wait swaps links. Measured, simulated 1000 nodes with log-normal 50 ms
  // links: 1.17 copies per node when waiting only as long as the tree was seen to lag, 0.999 at
  // 500 ms; on loopback the tree's payloads come before any announce and nothing waits
  const waitMs = requestTimeoutMs / 4

  return {
    name: 'announce',
    create: (context: StrategyContext<AnnounceTimer>): GossipStrategy<AnnounceTimer> => {
      const tracked = new Map<MessageId, Tracked>()
      /** ids requested from each peer and not yet answered */
      const inFlight = new Map<PeerKey, Set<MessageId>>()
      /** ids each peer is an alternative for: what to ask it when it has a free slot */
      const offers = new Map<PeerKey, Set<MessageId>>()
      /** ids each peer requested that wait for their payload here */
      const holding = new Map<PeerKey, Set<MessageId>>()
      let held = 0
      /** ids waiting to be announced to each peer */
      const queues = new Map<PeerKey, Queue>()
      /** requests and notfound answers decided during the current event, one frame per peer at its end */
      const outbox = new Map<PeerKey, MessageId[]>()
      const notFound = new Map<PeerKey, MessageId[]>()
      /** the tree: peers sent payloads rather than announces (links start lazy; requests graft) */
      const eager = new Set<PeerKey>()
      /** make `peer` eager, if it is a peer of the topic (the set stays within the peers) */
      const graft = (peer: PeerKey): void => {
        if (tree && context.peers().has(peer)) eager.add(peer)
      }
      /** prunes decided during the current event, one frame per peer at its end */
      const prunes = new Map<PeerKey, MessageId[]>()
      /**
       * ids whose payload came another way while a request for it was outstanding, and the peer
       * asked: its answer is no reason to prune that peer
       */
      const asked = new BoundedMap<MessageId, PeerKey>(maxTracked)
      /** the tree brought `id` over `parent` while an announce of it waited: take the announcer's link instead */
      const swap = (id: MessageId, announcer: PeerKey | undefined, parent: PeerKey): void => {
        if (announcer == null || announcer === parent) return
        graft(announcer)
        context.send(announcer, { type: 'request', ids: [] })
        eager.delete(parent)
        append(prunes, parent, id)
      }
      /** whether some peer but `except` pushes payloads here */
      const hasEager = (except: PeerKey): boolean => {
        for (const peer of eager) if (peer !== except) return true
        return false
      }
      let seq = 0

      const addTo = (index: Map<PeerKey, Set<MessageId>>, peer: PeerKey, id: MessageId): void => {
        let ids = index.get(peer)
        if (ids == null) index.set(peer, ids = new Set())
        ids.add(id)
      }
      const removeFrom = (index: Map<PeerKey, Set<MessageId>>, peer: PeerKey, id: MessageId): void => {
        const ids = index.get(peer)
        if (ids?.delete(id) === true && ids.size === 0) index.delete(peer)
      }
      const append = (box: Map<PeerKey, MessageId[]>, peer: PeerKey, id: MessageId): void => {
        let ids = box.get(peer)
        if (ids == null) box.set(peer, ids = [])
        ids.push(id)
      }
      const hasSlot = (peer: PeerKey): boolean => (inFlight.get(peer)?.size ?? 0) < maxInFlight

      const request = (id: MessageId, entry: Tracked, peer: PeerKey): void => {
        // the request grafts the link: the tree did not bring the payload in time
        graft(peer)
        entry.peer = peer
        entry.alternatives = entry.alternatives.filter(p => p !== peer)
        removeFrom(offers, peer, id)
        addTo(inFlight, peer, id)
        entry.seq = ++seq
        context.schedule(requestTimeoutMs, { request: id, peer, seq: entry.seq })
        append(outbox, peer, id)
        if (entry.told != null || entry.aheadSeq !== 0) return
        if (aheadMs === 0) {
          goAhead(id, entry)
        } else {
          entry.aheadSeq = ++seq
          context.schedule(aheadMs, { ahead: id, seq: entry.aheadSeq })
        }
      }

      /**
       * Announce ahead: lazy peers not known to have it learn of it now, not a round trip later
       * (eager ones get the payload when it comes).
       */
      const goAhead = (id: MessageId, entry: Tracked): void => {
        const told = entry.told = new Set()
        for (const other of context.peers().keys()) {
          if (entry.announcers.has(other) || eager.has(other)) continue
          enqueue(other, id)
          told.add(other)
          // a peer that lacked it knows of it now
          entry.lacking?.delete(other)
        }
      }

      /** `peer` lacks `id`: it asked for it in vain, or did not answer a request for it. */
      const lacks = (entry: Tracked, peer: PeerKey): void => {
        (entry.lacking ??= new Set()).add(peer)
      }

      /**
       * Every announcer failed after this node announced `id` ahead. The peers it told take it for
       * one that has the payload and do not tell it of theirs (Bitcoin's "known inventory"), so it
       * asks them, one after another; not those known to lack it (they tell it when theirs comes).
       * An announce still queued was never sent: it is dropped, and that peer is not asked.
       */
      const askTold = (id: MessageId, entry: Tracked): void => {
        for (const peer of entry.told ?? []) {
          if (entry.lacking?.has(peer) === true || !context.peers().has(peer)) continue
          if (queues.get(peer)?.ids.delete(id) === true) {
            entry.told?.delete(peer)
          } else if (entry.alternatives.length < maxAnnouncers) {
            entry.alternatives.push(peer)
            addTo(offers, peer, id)
          }
        }
      }

      /** Answer the held requests for `id`: with its payload, or `notfound`. */
      const release = (id: MessageId, entry: Tracked, message?: GossipMessage): void => {
        if (entry.holders == null) return
        for (const holder of entry.holders.keys()) {
          removeFrom(holding, holder, id)
          held--
          if (message != null) {
            context.send(holder, { type: 'message', message })
          } else {
            append(notFound, holder, id)
            lacks(entry, holder)
          }
        }
        entry.holders = undefined
      }

      /** Stop fetching `id`; its held requests get `message`, or `notfound` without it. */
      const forget = (id: MessageId, entry: Tracked, message?: GossipMessage): void => {
        if (entry.peer != null) {
          removeFrom(inFlight, entry.peer, id)
          if (tree) asked.set(id, entry.peer)
        }
        for (const peer of entry.alternatives) removeFrom(offers, peer, id)
        release(id, entry, message)
        tracked.delete(id)
      }

      /**
       * The request failed: answer the held ones `notfound` (they have their own announcers to
       * ask); ask the first alternative with a free slot, or else a peer it announced the id ahead
       * to; wait if all are busy; forget if none is left.
       */
      const next = (id: MessageId, entry: Tracked): void => {
        entry.peer = undefined
        entry.retried = true
        release(id, entry)
        if (entry.alternatives.length === 0) askTold(id, entry)
        for (const peer of entry.alternatives) {
          if (hasSlot(peer)) {
            request(id, entry, peer)
            return
          }
        }
        // forgotten, a later announce starts afresh
        if (entry.alternatives.length === 0) forget(id, entry)
      }

      /** `peer` has free slots: ask it for ids that wait for a busy announcer. */
      const pump = (peer: PeerKey | undefined): void => {
        if (peer == null) return
        const ids = offers.get(peer)
        if (ids == null) return
        for (const id of ids) {
          if (!hasSlot(peer)) return
          const entry = tracked.get(id)
          if (entry != null && entry.peer == null && entry.graftSeq === 0) request(id, entry, peer)
        }
      }

      /** The end of an event: send the requests and `notfound`s decided, and (with no batch window) the announces. */
      const send = (): void => {
        for (const [box, type] of [[outbox, 'request'], [notFound, 'notfound'], [prunes, 'prune']] as const) {
          for (const [peer, ids] of box) {
            for (let i = 0; i < ids.length; i += maxBatch) {
              context.send(peer, { type, ids: ids.slice(i, i + maxBatch) })
            }
          }
          box.clear()
        }
        if (batchMs > 0) return
        for (const [peer, queue] of queues) flush(peer, queue)
      }

      const flush = (peer: PeerKey, queue: Queue): void => {
        queues.delete(peer)
        if (queue.ids.size > 0) context.send(peer, { type: 'announce', ids: [...queue.ids] })
      }

      const enqueue = (peer: PeerKey, id: MessageId): void => {
        let queue = queues.get(peer)
        if (queue == null) {
          queue = { ids: new Set(), seq: ++seq }
          queues.set(peer, queue)
          // at 0 the queue goes out at the end of this event (send), not a timer's turn later
          if (batchMs > 0) context.schedule(batchMs, { flush: peer, seq: queue.seq })
        }
        queue.ids.add(id)
        if (queue.ids.size >= maxBatch) flush(peer, queue)
      }

      /**
       * This node's own messages still waiting in an announce queue. Their announces go out even
       * to a peer that announced the id meanwhile: nobody can have it from elsewhere yet, so that
       * peer is fetching it from a peer that announced an id it could not have (a predictable
       * payload's), and with nobody else to ask it would never get it.
       */
      const own = new BoundedMap<MessageId, true>(maxBatch)

      /** `peer` has `id`: do not announce it there. */
      const dequeue = (peer: PeerKey, id: MessageId): void => {
        if (!own.has(id)) queues.get(peer)?.ids.delete(id)
      }

      /** Free the request slot `id` holds at its peer, if it is `peer`; the entry itself stays. */
      const answered = (id: MessageId, entry: Tracked, peer: PeerKey): boolean => {
        if (entry.peer !== peer) return false
        removeFrom(inFlight, peer, id)
        return true
      }

      /**
       * Send `message` on: its payload to eager peers, its id to lazy ones (not to those told of it
       * ahead), nothing to `from`, to the peers `entry` was fetched from (they have it) or to its
       * `holders` (they get it by release); its id to the peers known to lack it, whatever they
       * announced.
       */
      const relay = (message: GossipMessage, from?: PeerKey, entry?: Tracked, holders?: ReadonlyMap<PeerKey, number>): void => {
        for (const peer of context.peers().keys()) {
          if (peer === from || holders?.has(peer) === true) continue
          if (entry?.lacking?.has(peer) === true) enqueue(peer, message.id)
          else if (entry?.announcers.has(peer) === true) continue
          else if (eager.has(peer)) context.send(peer, { type: 'message', message })
          else if (entry?.told?.has(peer) !== true) enqueue(peer, message.id)
        }
      }

      return {
        // a new link starts lazy: its first request grafts it
        addPeer () {},
        removePeer (peer) {
          queues.delete(peer)
          eager.delete(peer)
          const waiting = holding.get(peer)
          holding.delete(peer)
          for (const id of waiting ?? []) {
            held--
            tracked.get(id)?.holders?.delete(peer)
          }
          const offered = offers.get(peer)
          offers.delete(peer)
          for (const id of offered ?? []) {
            const entry = tracked.get(id)
            if (entry == null) continue
            entry.alternatives = entry.alternatives.filter(p => p !== peer)
            if (entry.peer == null && entry.alternatives.length === 0) forget(id, entry)
          }
          // its outstanding requests go to other announcers now, not after their timeouts
          const requested = inFlight.get(peer)
          inFlight.delete(peer)
          for (const id of requested ?? []) {
            const entry = tracked.get(id)
            if (entry != null) next(id, entry)
          }
          send()
        },
        publish (message) {
          own.set(message.id, true)
          relay(message)
          send()
        },
        onMessage (message, from) {
          // its sender is on this node's tree: it pushed the payload, or answered a request (a graft)
          graft(from)
          const entry = tracked.get(message.id)
          if (entry == null) {
            relay(message, from)
          } else {
            // the tree brought it while it waited on an announce: the announcer's path was faster
            // for this publisher, so swap (Plumtree's optimization): graft the announcer (a
            // request of no ids), prune the tree's link
            if (tree && entry.graftSeq !== 0) swap(message.id, entry.alternatives[0], from)
            // whoever announced it has it or is fetching it, and held requests get it by release
            const holders = entry.holders
            forget(message.id, entry, message)
            pump(entry.peer)
            relay(message, from, entry, holders)
          }
          send()
        },
        onDuplicate (id, from, type) {
          if (type !== 'message') return
          dequeue(from, id)
          const entry = tracked.get(id)
          if (tree && entry?.peer !== from && asked.get(id) !== from) {
            // pushed over a link the tree does not need: make it lazy at both ends
            eager.delete(from)
            append(prunes, from, id)
          }
          if (entry == null) {
            // nothing fetched: at most the prune to send
          } else if (entry.told == null) {
            // never requested: nothing to wait for
            forget(id, entry)
          } else if (answered(id, entry, from)) {
            // another copy is being validated: wait for its outcome (onMessage or onRefused), or
            // else this request's timer, with the held requests
            pump(from)
          }
          send()
        },
        onRefused (id) {
          const entry = tracked.get(id)
          if (entry == null) return
          forget(id, entry)
          pump(entry.peer)
          send()
        },
        onAnnounce (from, ids) {
          if (ids.length > maxBatch) {
            context.report(from, 'oversized-frame', `announce of ${ids.length} ids, over ${maxBatch}`)
            ids = ids.slice(0, maxBatch)
          }
          for (const id of ids) {
            dequeue(from, id)
            if (context.has(id)) continue
            let entry = tracked.get(id)
            if (entry == null) {
              if (tracked.size >= maxTracked) continue
              entry = { seq: 0, alternatives: [], announcers: new Set(), told: undefined, lacking: undefined, aheadSeq: 0, retried: false, graftSeq: 0 }
              tracked.set(id, entry)
            }
            if (entry.peer === from || entry.announcers.has(from) || entry.alternatives.includes(from)) continue
            if (entry.announcers.size < maxRemembered) entry.announcers.add(from)
            if (entry.peer == null && entry.graftSeq === 0 && tree && hasEager(from)) {
              // the tree may still bring it: wait for it
              entry.graftSeq = ++seq
              context.schedule(waitMs, { graft: id, seq })
              entry.alternatives.push(from)
              addTo(offers, from, id)
            } else if (entry.peer == null && entry.graftSeq === 0 && hasSlot(from)) {
              request(id, entry, from)
            } else if (entry.alternatives.length < maxAnnouncers) {
              entry.alternatives.push(from)
              addTo(offers, from, id)
            }
          }
          send()
        },
        onPrune (from, ids) {
          if (!tree) {
            context.report(from, 'unexpected-frame', 'prune, but this node pushes no payloads')
            return
          }
          if (ids.length > maxBatch) {
            context.report(from, 'oversized-frame', `prune of ${ids.length} ids, over ${maxBatch}`)
            ids = ids.slice(0, maxBatch)
          }
          // a prune names payloads this node sent: of anything else, it is made up
          if (!ids.some(id => context.has(id))) {
            context.report(from, 'unexpected-frame', 'prune of ids this node never had')
            return
          }
          eager.delete(from)
        },
        onRequest (from, ids) {
          // a graft: the peer asks because its tree did not bring the payload
          graft(from)
          for (const id of ids) {
            const entry = tracked.get(id)
            if (entry?.holders?.has(from) === true) continue
            const mine = holding.get(from)
            // only what this node announced ahead and still fetches from its first announcer is worth
            // waiting for, and not by the peer it asked (the two would wait for each other); within bounds
            if (entry?.told != null && !entry.retried && entry.peer !== from && (mine?.size ?? 0) < maxInFlight && held < maxHeld) {
              (entry.holders ??= new Map()).set(from, ++seq)
              addTo(holding, from, id)
              held++
              context.schedule(holdMs, { hold: id, peer: from, seq })
            } else {
              append(notFound, from, id)
              if (entry != null) lacks(entry, from)
            }
          }
          send()
        },
        onNotFound (from, ids) {
          for (const id of ids.slice(0, maxBatch)) {
            const entry = tracked.get(id)
            if (entry == null) continue
            lacks(entry, from)
            // not what `from` was asked for (or asked and timed out): nothing more to do
            if (answered(id, entry, from)) next(id, entry)
          }
          pump(from)
          send()
        },
        timer (timer) {
          if ('flush' in timer) {
            const queue = queues.get(timer.flush)
            if (queue?.seq === timer.seq) flush(timer.flush, queue)
            return
          }
          if ('ahead' in timer) {
            const entry = tracked.get(timer.ahead)
            // still fetched from its first announcer: else there may be nothing to announce
            if (entry == null || entry.aheadSeq !== timer.seq || entry.told != null || entry.retried) return
            goAhead(timer.ahead, entry)
            send()
            return
          }
          if ('graft' in timer) {
            const entry = tracked.get(timer.graft)
            if (entry == null || entry.graftSeq !== timer.seq) return
            entry.graftSeq = 0
            // the tree did not bring it: ask the first announcer with a free slot (else pump does)
            const peer = entry.alternatives.find(hasSlot)
            if (peer != null) request(timer.graft, entry, peer)
            send()
            return
          }
          if ('hold' in timer) {
            const entry = tracked.get(timer.hold)
            const holders = entry?.holders
            if (entry == null || holders?.get(timer.peer) !== timer.seq) return
            holders.delete(timer.peer)
            removeFrom(holding, timer.peer, timer.hold)
            held--
            append(notFound, timer.peer, timer.hold)
            lacks(entry, timer.peer)
            send()
            return
          }
          const { request: id, peer } = timer
          const entry = tracked.get(id)
          if (entry == null || entry.peer !== peer || entry.seq !== timer.seq) return
          removeFrom(inFlight, peer, id)
          if (context.has(id)) {
            // answered, then still validating or rejected/ignored: not a stall, nothing to fetch
            forget(id, entry)
          } else {
            context.report(peer, 'stalled', `no answer in ${requestTimeoutMs} ms to a request for ${id.slice(0, 16)}`)
            lacks(entry, peer)
            next(id, entry)
          }
          pump(peer)
          send()
        }
      }
    }
  }
}
