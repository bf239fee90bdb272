/**
 * An eclipse attack on discovery (Heilman et al., "Eclipse Attacks on Bitcoin's Peer-to-Peer
 * Network", USENIX Security 2015) against the production policy: every honest node runs
 * `@hearsay/discovery`'s {@link DiscoveryPolicy}, unchanged, in virtual time. The attacker holds
 * many addresses in a few netgroups, keeps inbound connections to every honest node, accepts
 * every dial, and answers every peer-exchange question with as many of its own addresses as it
 * is asked for. Honest outbound connections end now and then (churn), so each node keeps
 * choosing new outbound peers from its book; the measure is the share of honest nodes' outbound
 * slots the attacker holds, hour by hour, and after a restart of some nodes with and without
 * their anchors.
 */
import { DiscoveryPolicy, type Anchor, type DiscoveryAction, type PexRecord, type PolicyNumbers, type AddressBookOptions } from '@hearsay/discovery/address-book'
import { exponential, sample, seededRng } from '@hearsay/sansio'
import type { Clock, PeerKey, Rng } from '@hearsay/interface'
import { EventQueue } from './queue.ts'

/** Address-book sizes of an eclipse run (the book's own defaults are Bitcoin Core's). */
export type TableSizes = Pick<AddressBookOptions, 'newBucketCount' | 'triedBucketCount' | 'bucketSize' | 'newBucketsPerSourceGroup' | 'triedBucketsPerGroup'>

/** Options of {@link simulateEclipse}. Every one has a default; a run is a pure function of them. */
export interface EclipseOptions {
  /** Honest nodes. @default 1000 */
  nodes?: number
  /** Netgroups (/16s) the attacker's addresses are in. @default 16 */
  attackerGroups?: number
  /** Addresses the attacker holds in each of its netgroups, every one reachable. @default 256 */
  attackerAddrsPerGroup?: number
  /** Inbound connections the attacker keeps open to every honest node (reopened each hour). @default 8 */
  attackerInbound?: number
  /** Hours of attack simulated. @default 24 */
  hours?: number
  /** Hours before the attack starts, for the honest network to settle. @default 1 */
  warmupHours?: number
  /** Peers every honest node knows at start (its seed list), chosen at random. @default 16 */
  seedPeers?: number
  /** Mean lifetime of an outbound connection between honest nodes (exponential): churn. @default 2 h */
  connectionLifetimeMs?: number
  /** Share of honest nodes restarted at the end: half with their anchors, half without. @default 0.1 */
  restartShare?: number
  /** How long after the restart the restarted nodes are measured. @default 10 min */
  restartWatchMs?: number
  /** Address book sizes of every honest node. @default Bitcoin Core's (1024 x 64 new, 256 x 64 tried) */
  tables?: TableSizes
  /** Policy numbers of every honest node. @default the production defaults */
  policy?: Partial<PolicyNumbers>
  /** Time a dial or a question takes. @default 100 */
  rttMs?: number
  /** Nodes whose tables are read each hour for the attacker's share of them. @default 50 */
  tableSample?: number
  /** Seed of the run. @default 1 */
  seed?: number | string
  /** Called with each hourly sample as it is taken (progress of a long run). */
  onSample?: (sample: EclipseSample) => void
}

/** The attacker's hold at one moment. */
export interface EclipseSample {
  /** Hours since the attack began. */
  hour: number
  /** Share of all honest nodes' outbound connections held by the attacker. */
  outboundShare: number
  /** Honest nodes with at least half of their outbound connections to the attacker. */
  halfEclipsed: number
  /** Honest nodes all of whose outbound connections are to the attacker. */
  eclipsed: number
  /** Most outbound connections the attacker holds at any one honest node. */
  mostHeld: number
  /** Mean outbound connections per honest node. */
  meanOutbound: number
  /** Share of `new` entries that are the attacker's, over the table sample. */
  newShare: number
  /** Share of `tried` entries that are the attacker's, over the table sample. */
  triedShare: number
}

/** The restarted nodes, measured `restartWatchMs` after their restart. */
export interface RestartFigures {
  /** Nodes restarted this way. */
  nodes: number
  /** Share of their outbound connections held by the attacker. */
  outboundShare: number
  /** Of them, those all of whose outbound connections are to the attacker. */
  eclipsed: number
  /** Mean outbound connections per restarted node. */
  meanOutbound: number
}

/** What {@link simulateEclipse} measured. */
export interface EclipseResult {
  /** The options, resolved. */
  options: Required<Omit<EclipseOptions, 'policy' | 'tables' | 'onSample'>> & { policy: Partial<PolicyNumbers>, tables: TableSizes }
  /** The attacker's addresses in all. */
  attackerAddrs: number
  /** One sample at the start of the attack, then one an hour. */
  timeline: EclipseSample[]
  /** Restarted with their saved anchors, and without. */
  restart: { anchors: RestartFigures, noAnchors: RestartFigures }
  /** Events run. */
  events: number
  /** Wall time of the run (ms) and peak resident memory of the process (MiB). */
  perf: { wallMs: number, peakRssMiB: number }
}

const HOUR = 3_600_000
const TICK = 0
const DIAL = 1
const ASK = 2
const EXPIRE = 3
const SAMPLE = 4
const RESTART = 5
const TOPUP = 6

interface Honest {
  index: number
  key: PeerKey
  addr: string
  policy: DiscoveryPolicy
  /** due time of the armed tick, and its generation */
  armed: number
  gen: number
  conns: Set<string>
  anchors: Anchor[]
  attackerIn: number
  /** the peer store, for nodes that will restart: every peer dialled or connected */
  known?: Set<PeerKey>
  restart?: 'anchors' | 'none'
}

interface Conn {
  id: string
  /** dialler and dialled: an honest node's index, or -1 - attacker address index */
  from: number
  to: number
}

/**
 * Run the eclipse attack. Deterministic: the same options give the same result (but `perf`).
 */
export function simulateEclipse (options: EclipseOptions = {}): EclipseResult {
  const started = performance.now()
  const o = {
    nodes: options.nodes ?? 1000,
    attackerGroups: options.attackerGroups ?? 16,
    attackerAddrsPerGroup: options.attackerAddrsPerGroup ?? 256,
    attackerInbound: options.attackerInbound ?? 8,
    hours: options.hours ?? 24,
    warmupHours: options.warmupHours ?? 1,
    seedPeers: options.seedPeers ?? 16,
    connectionLifetimeMs: options.connectionLifetimeMs ?? 2 * HOUR,
    restartShare: options.restartShare ?? 0.1,
    restartWatchMs: options.restartWatchMs ?? 10 * 60_000,
    rttMs: options.rttMs ?? 100,
    tableSample: options.tableSample ?? 50,
    seed: options.seed ?? 1,
    policy: options.policy ?? {},
    tables: options.tables ?? {}
  }
  if (!Number.isInteger(o.attackerGroups) || o.attackerGroups < 1 || o.attackerGroups > 256) throw new RangeError('attackerGroups: expected an integer in [1, 256]')
  if (!Number.isInteger(o.attackerAddrsPerGroup) || o.attackerAddrsPerGroup < 1 || o.attackerAddrsPerGroup > 65_536) throw new RangeError('attackerAddrsPerGroup: expected an integer in [1, 65536]')
  if (!Number.isInteger(o.nodes) || o.nodes < 2) throw new RangeError('nodes: expected an integer >= 2')
  const rng: Rng = seededRng(`eclipse:${o.seed}`)
  const queue = new EventQueue()
  let now = 0
  const clock: Clock = { now: () => now }

  // ---- addresses ----------------------------------------------------------------------------
  const attackerCount = o.attackerGroups * o.attackerAddrsPerGroup
  // the attacker's /16s: 100.0 .. 100.(G-1); honest nodes anywhere else
  const attackerAddr = (n: number): string => {
    const group = Math.floor(n / o.attackerAddrsPerGroup)
    const host = n % o.attackerAddrsPerGroup
    return `/ip4/100.${group}.${host >> 8}.${host & 255}/tcp/4001`
  }
  // one string per key and address, shared by every book and connection that holds it
  const attackerRecords: PexRecord[] = Array.from({ length: attackerCount }, (_, n) => ({ peer: `a${n}`, addrs: [attackerAddr(n)], ageMs: 0 }))
  const honestAddr = (): string => {
    let a: number
    do a = 1 + rng.int(223); while (a === 100 || a === 127 || a === 10)
    return `/ip4/${a}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}/tcp/4001`
  }

  const makePolicy = (key: PeerKey): DiscoveryPolicy => new DiscoveryPolicy({
    ...o.policy,
    clock,
    rng: rng.fork(),
    self: key,
    addressBook: o.tables
  })

  const nodes: Honest[] = Array.from({ length: o.nodes }, (_, index) => {
    const key = `h${index}`
    return { index, key, addr: honestAddr(), policy: makePolicy(key), armed: Infinity, gen: 0, conns: new Set(), anchors: [], attackerIn: 0 }
  })
  const restartCount = Math.min(o.nodes, 2 * Math.floor(o.nodes * o.restartShare / 2))
  for (const [i, node] of sample(rng, nodes, restartCount).entries()) {
    node.restart = i % 2 === 0 ? 'anchors' : 'none'
    node.known = new Set()
  }
  /** honest index ≥ 0, attacker -1 - n, unknown undefined */
  const resolve = (peer: PeerKey): number | undefined => {
    const n = Number(peer.slice(1))
    if (!Number.isInteger(n) || n < 0) return undefined
    if (peer[0] === 'h' && n < o.nodes) return n
    if (peer[0] === 'a' && n < attackerCount) return -1 - n
    return undefined
  }

  // ---- connections --------------------------------------------------------------------------
  const conns = new Map<string, Conn>()
  let connSeq = 0
  let attacking = false

  const arm = (node: Honest): void => {
    const due = node.policy.nextDue() ?? Infinity
    if (due === node.armed) return
    node.armed = due
    node.gen++
    if (Number.isFinite(due)) queue.push(Math.max(due, now), TICK, node.index, node.gen, undefined)
  }

  const run = (node: Honest, actions: DiscoveryAction[]): void => {
    for (const action of actions) {
      if (action.type === 'dial' || action.type === 'ask') {
        node.known?.add(action.peer)
        queue.push(now + o.rttMs, action.type === 'dial' ? DIAL : ASK, node.index, 0, { action, policy: node.policy })
      } else if (action.type === 'close') {
        close(action.connection)
      } else {
        node.anchors = action.anchors
      }
    }
    arm(node)
  }

  const close = (id: string): void => {
    const conn = conns.get(id)
    if (conn == null) return
    conns.delete(id)
    for (const side of [conn.from, conn.to]) {
      if (side < 0) continue
      const node = nodes[side]
      node.conns.delete(id)
      node.policy.disconnected(id)
      arm(node)
    }
    if (conn.from < 0 && conn.to >= 0) nodes[conn.to].attackerIn--
  }

  const keyOf = (side: number): PeerKey => side >= 0 ? nodes[side].key : attackerRecords[-1 - side].peer
  const addrOf = (side: number): string => side >= 0 ? nodes[side].addr : attackerRecords[-1 - side].addrs[0]

  /** `node` learns of connection `id` with `other` (an index as in {@link Conn}). */
  const meet = (node: Honest, id: string, other: number, direction: 'inbound' | 'outbound'): void => {
    const peer = keyOf(other)
    const addr = addrOf(other)
    node.conns.add(id)
    node.known?.add(peer)
    const actions = node.policy.connected({ id, peer, direction, addr, openedAt: now })
    // identify: the peer's own address, over the connection
    node.policy.identified(peer, [addr], addr)
    run(node, actions)
  }

  /** Open a connection from `from` to `to` (indices as in {@link Conn}); the dialler is told by the caller. */
  const open = (from: number, to: number): Conn => {
    const conn: Conn = { id: `k${connSeq++}`, from, to }
    conns.set(conn.id, conn)
    if (from < 0 && to >= 0) nodes[to].attackerIn++
    if (from >= 0) meet(nodes[from], conn.id, to, 'outbound')
    if (to >= 0) meet(nodes[to], conn.id, from, 'inbound')
    return conn
  }

  const topUp = (node: Honest): void => {
    for (let tries = 0; tries < o.attackerInbound && node.attackerIn < o.attackerInbound; tries++) {
      open(-1 - rng.int(attackerCount), node.index)
    }
  }

  // ---- measuring ----------------------------------------------------------------------------
  const isAttacker = (peer: PeerKey): boolean => peer.charCodeAt(0) === 97 // 'a'
  const outboundOf = (list: readonly Honest[]): RestartFigures => {
    let total = 0
    let held = 0
    let eclipsed = 0
    for (const node of list) {
      const peers = node.policy.outboundPeers()
      const bad = peers.filter(isAttacker).length
      total += peers.length
      held += bad
      if (peers.length > 0 && bad === peers.length) eclipsed++
    }
    return { nodes: list.length, outboundShare: total === 0 ? 0 : held / total, eclipsed, meanOutbound: list.length === 0 ? 0 : total / list.length }
  }
  const tableNodes = sample(rng, nodes, Math.min(o.tableSample, o.nodes))
  const timeline: EclipseSample[] = []
  const measure = (hour: number): void => {
    const all = outboundOf(nodes)
    let half = 0
    let most = 0
    for (const node of nodes) {
      const peers = node.policy.outboundPeers()
      const held = peers.filter(isAttacker).length
      if (peers.length > 0 && held * 2 >= peers.length) half++
      if (held > most) most = held
    }
    const counts = { new: 0, newBad: 0, tried: 0, triedBad: 0 }
    for (const node of tableNodes) {
      for (const entry of node.policy.book.entries()) {
        const bad = isAttacker(entry.peer) ? 1 : 0
        if (entry.table === 'new') { counts.new++; counts.newBad += bad } else { counts.tried++; counts.triedBad += bad }
      }
    }
    timeline.push({
      hour,
      outboundShare: round(all.outboundShare),
      halfEclipsed: half,
      eclipsed: all.eclipsed,
      mostHeld: most,
      meanOutbound: round(all.meanOutbound, 2),
      newShare: round(counts.new === 0 ? 0 : counts.newBad / counts.new),
      triedShare: round(counts.tried === 0 ? 0 : counts.triedBad / counts.tried)
    })
    options.onSample?.(timeline[timeline.length - 1])
  }

  // ---- the run ------------------------------------------------------------------------------
  for (const node of nodes) {
    const seeds = sample(rng, nodes.filter(n => n !== node), o.seedPeers).map(n => ({ peer: n.key, addrs: [n.addr] }))
    for (const seed of seeds) node.known?.add(seed.peer)
    run(node, node.policy.start(seeds))
  }
  const attackAt = o.warmupHours * HOUR
  const restartAt = attackAt + o.hours * HOUR
  for (let h = 0; h <= o.hours; h++) queue.push(attackAt + h * HOUR, SAMPLE, h, 0, undefined)
  queue.push(restartAt, RESTART, 0, 0, undefined)
  let restarted: { anchors: Honest[], none: Honest[] } = { anchors: [], none: [] }
  let restartFigures: EclipseResult['restart'] | undefined

  let events = 0
  while (queue.pop()) {
    events++
    now = queue.time
    const kind = queue.kind
    if (kind === TICK) {
      const node = nodes[queue.a]
      if (queue.b !== node.gen) continue
      node.armed = Infinity
      run(node, node.policy.tick())
    } else if (kind === DIAL) {
      const node = nodes[queue.a]
      const { action, policy } = queue.obj as { action: Extract<DiscoveryAction, { type: 'dial' }>, policy: DiscoveryPolicy }
      if (policy !== node.policy) continue
      const target = resolve(action.peer)
      if (target == null || target === node.index) {
        run(node, node.policy.dialed(action.peer, 'failed'))
        continue
      }
      const conn = open(node.index, target)
      run(node, node.policy.dialed(action.peer, { connection: conn.id }))
      if (target >= 0) queue.push(now + exponential(rng, o.connectionLifetimeMs), EXPIRE, 0, 0, conn.id)
    } else if (kind === ASK) {
      const node = nodes[queue.a]
      const { action, policy } = queue.obj as { action: Extract<DiscoveryAction, { type: 'ask' }>, policy: DiscoveryPolicy }
      if (policy !== node.policy) continue
      const target = resolve(action.peer)
      if (target == null || !node.policy.isConnected(action.peer)) {
        node.policy.askFailed(action.peer)
      } else if (target < 0) {
        // the attacker answers with as many of its own addresses as it is asked for
        node.policy.answered(action.peer, sample(rng, attackerRecords, action.max))
      } else {
        const answer = nodes[target].policy.serve(node.key, action.max)
        if ('records' in answer) node.policy.answered(action.peer, answer.records)
        else node.policy.askFailed(action.peer)
      }
      arm(node)
    } else if (kind === EXPIRE) {
      close(queue.obj as string)
    } else if (kind === SAMPLE) {
      if (!attacking) {
        attacking = true
        for (const node of nodes) topUp(node)
      } else if (queue.a < o.hours) {
        for (const node of nodes) topUp(node)
      }
      measure(queue.a)
    } else if (kind === RESTART) {
      if (queue.a === 0) {
        restarted = { anchors: nodes.filter(n => n.restart === 'anchors'), none: nodes.filter(n => n.restart === 'none') }
        for (const node of [...restarted.anchors, ...restarted.none]) {
          for (const id of [...node.conns]) close(id)
          node.policy.stop()
          node.policy = makePolicy(node.key)
          // a restarted node reads its peer store (every peer it dialled or met) and, with anchors, its anchors
          const seeds = [...(node.known ?? [])].flatMap(peer => {
            const i = resolve(peer)
            return i == null ? [] : [{ peer, addrs: [addrOf(i)] }]
          })
          run(node, node.policy.start(seeds, node.restart === 'anchors' ? node.anchors : []))
        }
        queue.push(now + 1000, TOPUP, 0, 0, undefined)
        queue.push(now + o.restartWatchMs, RESTART, 1, 0, undefined)
      } else {
        restartFigures = { anchors: rounded(outboundOf(restarted.anchors)), noAnchors: rounded(outboundOf(restarted.none)) }
        break
      }
    } else if (kind === TOPUP) {
      for (const node of [...restarted.anchors, ...restarted.none]) topUp(node)
    }
  }
  const empty: RestartFigures = { nodes: 0, outboundShare: 0, eclipsed: 0, meanOutbound: 0 }
  return {
    options: o,
    attackerAddrs: attackerCount,
    timeline,
    restart: restartFigures ?? { anchors: empty, noAnchors: empty },
    events,
    perf: { wallMs: Math.round(performance.now() - started), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }
  }
}

function round (value: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

function rounded (figures: RestartFigures): RestartFigures {
  return { ...figures, outboundShare: round(figures.outboundShare), meanOutbound: round(figures.meanOutbound, 2) }
}
