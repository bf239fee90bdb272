import { createHash } from 'node:crypto'
import { ManualClock, seededRng } from '@hearsay/sansio'
import { TopicRouter, type ValidationResult } from '@hearsay/gossip/strategies'
import type { Direction, GossipFrame, GossipMessage, PeerKey, StrategySpec } from '@hearsay/interface'

/** A frame on its way, as the harness logs it. */
export interface SentFrame {
  at: number
  from: PeerKey
  to: PeerKey
  frame: GossipFrame
}

export interface HarnessNode {
  key: PeerKey
  router: TopicRouter<any>
  delivered: Array<{ at: number, message: GossipMessage, from: PeerKey }>
  reports: Array<{ peer: PeerKey, infraction: string, detail?: string }>
  /** what the validator answers for payloads of this node (default accept; undefined: later, by `router.validated`) */
  validator?: (message: GossipMessage, from: PeerKey) => ValidationResult | undefined
}

export interface HarnessOptions {
  spec: StrategySpec | ((key: PeerKey) => StrategySpec)
  /** node count; nodes are named n0, n1, ... */
  nodes: number
  /** [a, b]: a dialled b, so b is outbound for a and a is inbound for b */
  edges: Array<[number, number]>
  latencyMs?: number
  seed?: number
  /** drop every frame for which this returns true */
  drop?: (sent: SentFrame) => boolean
}

export interface Harness {
  clock: ManualClock
  nodes: HarnessNode[]
  sent: SentFrame[]
  publish(node: number, text: string): GossipMessage
  /** Connect a and b after creation (a dials b). */
  connect(a: number, b: number): void
  /** Run every timer (and so every frame in flight) until quiet. */
  settle(limit?: number): void
}

/** Message id the tests use: SHA-256 hex, as the adapter does. */
export function messageOf (topic: string, text: string): GossipMessage {
  const data = new TextEncoder().encode(text)
  return { id: createHash('sha256').update(data).digest('hex'), topic, data }
}

/**
 * A network of topic routers on a manual clock with a constant link latency: the smallest
 * simulator, for exact unit tests of strategies through the real router.
 */
export function createHarness (options: HarnessOptions): Harness {
  const clock = new ManualClock()
  const rng = seededRng(options.seed ?? 1)
  const latency = options.latencyMs ?? 10
  const sent: SentFrame[] = []
  const nodes: HarnessNode[] = []
  const byKey = new Map<PeerKey, HarnessNode>()

  for (let i = 0; i < options.nodes; i++) {
    const key = `n${i}`
    const spec = typeof options.spec === 'function' ? options.spec(key) : options.spec
    const node: HarnessNode = { key, delivered: [], reports: [], router: undefined as unknown as TopicRouter<any> }
    node.router = new TopicRouter<any>({
      topic: 't',
      spec,
      clock,
      rng: rng.fork(),
      effects: {
        send: (to, frame) => {
          const record: SentFrame = { at: clock.now(), from: key, to, frame }
          sent.push(record)
          if (options.drop?.(record) === true) return
          clock.setTimeout(() => { byKey.get(to)?.router.receive(key, frame) }, latency)
        },
        schedule: (delayMs, timer) => { clock.setTimeout(() => { node.router.timer(timer) }, delayMs) },
        deliver: (message, from) => { node.delivered.push({ at: clock.now(), message, from }) },
        validate: (message, from) => node.validator == null ? 'accept' : node.validator(message, from),
        report: (peer, infraction, detail) => { node.reports.push({ peer, infraction, detail }) }
      }
    })
    nodes.push(node)
    byKey.set(key, node)
  }

  const connect = (a: number, b: number): void => {
    const outbound: Direction = 'outbound'
    const inbound: Direction = 'inbound'
    nodes[a].router.addPeer(nodes[b].key, outbound)
    nodes[b].router.addPeer(nodes[a].key, inbound)
  }
  for (const [a, b] of options.edges) connect(a, b)

  return {
    clock,
    nodes,
    sent,
    connect,
    publish (node, text) {
      const message = messageOf('t', text)
      nodes[node].router.publish(message)
      return message
    },
    settle (limit = 1_000_000) {
      clock.runAll(limit)
    }
  }
}

/** Edges of a line 0-1-2-...-(n-1), each node dialling the next. */
export function line (n: number): Array<[number, number]> {
  return Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number])
}

/** Edges of a star: every node dials node 0. */
export function star (n: number): Array<[number, number]> {
  return Array.from({ length: n - 1 }, (_, i) => [i + 1, 0] as [number, number])
}

/** Edges of a complete graph. */
export function complete (n: number): Array<[number, number]> {
  const edges: Array<[number, number]> = []
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) edges.push([a, b])
  return edges
}

/** A connected random graph: a random spanning tree plus `extra` random edges (seeded). */
export function randomGraph (n: number, extra: number, seed: number): Array<[number, number]> {
  const rng = seededRng(seed)
  const edges: Array<[number, number]> = []
  const has = new Set<string>()
  const add = (a: number, b: number): void => {
    if (a === b || has.has(`${a}-${b}`) || has.has(`${b}-${a}`)) return
    has.add(`${a}-${b}`)
    edges.push([a, b])
  }
  for (let i = 1; i < n; i++) add(i, rng.int(i))
  for (let k = 0; k < extra * 4 && edges.length < n - 1 + extra; k++) add(rng.int(n), rng.int(n))
  return edges
}
